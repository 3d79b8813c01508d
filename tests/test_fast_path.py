"""The fast path gives the full path's decisions, decision by decision.

The full path (:func:`cocflow.screening.screen.screen`) decides every ``go_if`` candidate in
full; the fast path (:func:`~cocflow.screening.screen.screen_fast`, used by ``screen-batch``,
``screen_case`` and so re-screening) asks a candidate only whether it would be a ``go``, and
the batch reads and parses a roster with memoised conversions. Both are compared here on
large, diverse generated inputs: a roster read through the batch's reader and parser, and
cases built directly with facts a roster cannot express (residence histories, U.S.
territories, crews, business addresses), under the shipped rules and the test fixture rules,
on several dates. The whole decision is compared: the objects (every field, the timing note
included), their JSON form and the batch's CSV row.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import fields, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from cocflow.case import (
    Address,
    Business,
    Case,
    Client,
    Employer,
    Engagement,
    Residence,
    Worker,
    WorkerKind,
)
from cocflow.dates import add_months
from cocflow.io.csvio import records, spreadsheet_safe
from cocflow.rules.loader import RuleBook, load_rules
from cocflow.screening import counterfactual
from cocflow.screening.decision import Decision
from cocflow.screening.engine import GoCheck, decide, decide_with_gaps, would_go
from cocflow.screening.screen import _with, screen, screen_fast
from cocflow.services import batch
from cocflow.services.screening import screen_case

from .conftest import AS_OF

FIXTURE = Path(__file__).parent / "rules_fixture"
DATES = (AS_OF, date(1990, 6, 1), date(2031, 3, 31), date(2041, 1, 1))
OTHER = ("TH", "ID", "AE", "SG", "ZA", "IN", "MX", "AR", "NZ", "PE")
US_PLACES = ("US", "US", "US", "PR", "GU", "AS", "VI", "MP")
REGIONS = {"CA": ("QC", "ON", "BC"), "NZ": ("AUK", "WGN")}


def _countries(rules: RuleBook) -> list[str]:
    agreements = sorted({a.country for a in rules.agreements.values()})
    return agreements * 3 + list(OTHER) + ["US", "PR", "CA", "CA"]


def _conditions(rules: RuleBook) -> list[str]:
    return [*sorted(rules.conditions), "not_a_condition_anywhere"]


def _odd_day(rnd: random.Random, low: int = 1975, high: int = 2036) -> date:
    """A day, often one that month arithmetic finds hard (month ends, 29 February)."""
    return _odd_in(rnd, rnd.randrange(low, high), rnd.randrange(1, 13))


def _near(rnd: random.Random, around: date) -> date:
    """A day from about seven years before ``around`` to four years after it, often odd."""
    base = around + timedelta(days=rnd.randrange(-2500, 1500))
    return _odd_in(rnd, base.year, base.month)


def _odd_in(rnd: random.Random, year: int, month: int) -> date:
    pick = rnd.random()
    if pick < 0.2:
        day = 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30 if month != 2 else 28
    elif pick < 0.27 and month == 2 and year % 4 == 0:
        day = 29
    elif pick < 0.4:
        day = 1
    else:
        day = rnd.randrange(1, 29)
    return date(year, month, day)


def _end(rnd: random.Random, start: date) -> date | None:
    """No end, or an end around the usual limits (on, a day before or after their last day),
    or anywhere up to twelve years on."""
    pick = rnd.random()
    if pick < 0.12:
        return None
    if pick < 0.55:
        months = rnd.choice((6, 12, 18, 24, 36, 48, 60, 72))
        return add_months(start, months) + timedelta(days=rnd.choice((-2, -1, 0, 1)))
    return start + timedelta(days=rnd.randrange(0, 12 * 366))


def _case(rnd: random.Random, rules: RuleBook, around: date | None = None) -> Case:
    """A case whose work starts near ``around`` (the as-of date), or any time from 1975."""
    countries = _countries(rules)
    kind: WorkerKind = rnd.choice(("employee", "self_employed"))
    home = rnd.choice(countries)
    first = _near(rnd, around) if around and rnd.random() < 0.8 else _odd_day(rnd)
    if rnd.random() < 0.5:  # half the cases: one country, the facts a go needs, mostly
        return _clean(rnd, rules, kind, home, first)
    engagements: list[Engagement] = []
    start = first
    for _ in range(rnd.choice((1, 1, 1, 2, 2, 3, 4))):
        country = home if rnd.random() < 0.35 else rnd.choice(countries)
        end = _end(rnd, start)
        region = rnd.choice((*REGIONS[country], None)) if country in REGIONS else None
        client_country = rnd.choice((None, "US", country, "MX", "GB"))
        engagements.append(
            Engagement(country, start, end, region, Client("Client", client_country), "Work")
        )
        if end is None or rnd.random() < 0.1:  # overlapping, or after an open-ended one
            start = start + timedelta(days=rnd.randrange(1, 900))
        else:
            start = end + timedelta(days=rnd.choice((1, 2, 30, 200, 400, 800, 1500)))
    residence: list[Residence] = []
    day = first - timedelta(days=rnd.choice((0, 1, 40, 400, 4000)))
    for _ in range(rnd.choice((0, 1, 1, 1, 2, 3))):
        where = rnd.choice((*US_PLACES, home, rnd.choice(countries), "FR"))
        until = None if rnd.random() < 0.5 else day + timedelta(days=rnd.randrange(1, 3000))
        residence.append(Residence(where, day, until))
        if until is None:
            break
        day = until + timedelta(days=rnd.choice((1, 1, 1, 20)))
    citizenship = rnd.choice(
        (None, ("US",), ("US", home), (home,), ("GB",), ("US", "IT"), ("PR",), ("US", "DE"))
    )
    statements = {c: rnd.random() < 0.7 for c in _conditions(rules)[:-1] if rnd.random() < 0.3}
    worker = Worker(
        kind=kind,
        residence=tuple(residence),
        citizenship=citizenship,
        statements=statements,
        ship_or_aircraft_crew=rnd.random() < 0.05,
    )
    employer = business = None
    if kind == "employee" and rnd.random() < 0.95:
        hired = rnd.choice((None, first - timedelta(days=800), first, first + timedelta(days=9)))
        employer = Employer(
            name="Acme",
            country=rnd.choice(("US", "US", "US", "PR", home, "DE", "JP", None)),
            hired=hired,
        )
    if kind == "self_employed" and rnd.random() < 0.9:
        since = rnd.choice((None, first - timedelta(days=3000), first - timedelta(days=100), first))
        address = None
        if rnd.random() < 0.4:
            where = rnd.choice(("US", "US", "PR", "GU", home, "CH"))
            address = Address("1 Main St", "Town", where)
        business = Business(legal_name="Studio", operating_since=since, address=address)
    return Case(worker=worker, engagements=tuple(engagements), employer=employer, business=business)


def _clean(rnd: random.Random, rules: RuleBook, kind: WorkerKind, home: str, first: date) -> Case:
    """Work in one country (one or two stays) by someone who lived in the United States long
    before, for a U.S. employer or business of long standing: the cases that reach the limits,
    their boundaries, the conditions and ``go``."""
    stays, start = [], first
    for _ in range(rnd.choice((1, 1, 1, 2))):
        end = _end(rnd, start)
        region = rnd.choice(REGIONS[home]) if home in REGIONS and rnd.random() < 0.5 else None
        stays.append(Engagement(home, start, end, region, Client("Client", "US")))
        if end is None:
            break
        start = end + timedelta(days=rnd.choice((1, 2, 100, 400, 800)))
    lived = rnd.choice(("US", "US", "US", "PR", "MP", home))
    since = first - timedelta(days=rnd.choice((3000, 3000, 200)))
    residence = [Residence(lived, since, None)]
    citizenship = rnd.choice((("US",), ("US",), ("US", home), (home,)))
    statements = {c: rnd.random() < 0.85 for c in rules.conditions if rnd.random() < 0.8}
    worker = Worker(kind, tuple(residence), citizenship, statements)
    if kind == "employee":
        hired = first - timedelta(days=rnd.choice((2000, 2000, 10)))
        employer = Employer("Acme", rnd.choice(("US", "US", "US", "PR")), hired)
        return Case(worker=worker, engagements=tuple(stays), employer=employer)
    address = Address("1 Main St", "Town", rnd.choice(("US", "US", "PR", "MP")))
    business = Business("Studio", address, None, first - timedelta(days=rnd.choice((3000, 300))))
    return Case(worker=worker, engagements=tuple(stays), business=business)


def _same(fast: Decision, full: Decision) -> None:
    assert fast == full
    assert fast.as_dict() == full.as_dict()
    assert batch.decision_row("c", fast) == batch.decision_row("c", full)


@pytest.fixture(scope="module")
def books(rules: RuleBook) -> dict[str, RuleBook]:
    return {"shipped": rules, "fixture": load_rules(FIXTURE)}


@pytest.mark.parametrize(("book", "seed", "count"), [("shipped", 1, 4000), ("fixture", 2, 2500)])
def test_generated_cases_get_the_same_decisions(
    books: dict[str, RuleBook], book: str, seed: int, count: int
) -> None:
    rules = books[book]
    rnd = random.Random(seed)
    outcomes: Counter[str] = Counter()
    with_go_if = 0
    for n in range(count):
        as_of = DATES[n % len(DATES)] if n % 5 else _odd_day(rnd, 1985, 2040)
        case = _case(rnd, rules, as_of)
        full = screen(case, rules, as_of)
        _same(screen_fast(case, rules, as_of), full)
        outcomes[full.outcome] += 1
        with_go_if += bool(full.go_if)
    # The inputs reach every outcome, and go_if is found (and not found) often.
    assert set(outcomes) == {"go", "no_go", "pause", "not_needed"}, outcomes
    assert count // 40 < with_go_if < count - count // 40, with_go_if


def test_the_go_question_gets_the_full_answer(rules: RuleBook) -> None:
    """Every case go_if tries, and each single engagement ended earlier or left out: the fast
    answers to "would it be a go?" are the full decision's."""
    rnd = random.Random(3)
    asked = 0
    for n in range(1500):
        as_of = DATES[n % len(DATES)]
        case = _case(rnd, rules, as_of)
        decision, gaps = decide_with_gaps(case, rules, as_of)
        check = GoCheck(case, decision.segments, gaps, rules, as_of)
        tried = [c for _, c in counterfactual._candidates(case, decision, rules, as_of)]
        for index, e in enumerate(case.engagements):
            tried.append(counterfactual._with_end(case, index, e.start + timedelta(days=200)))
            kept = tuple(x for x in case.engagements if x.country != e.country)
            tried.append(replace(case, engagements=kept))
        for changed in tried:
            if not changed.engagements:
                continue
            expected = decide(changed, rules, as_of).outcome == "go"
            assert would_go(changed, rules, as_of) is expected
            assert check(changed, rules, as_of) is expected
            asked += 1
    assert asked > 3000


def _roster_rows(rnd: random.Random, rules: RuleBook, clients: int) -> list[dict[str, str]]:
    """Roster rows of ``clients`` clients, with gaps and odd values a roster really has."""
    countries = _countries(rules)
    statements = _conditions(rules)[:-1]
    rows = []
    for n in range(clients):
        case = _case(rnd, rules, AS_OF)
        kind = case.worker.kind or "self_employed"
        employer = case.employer
        hired = employer.hired if employer and employer.hired else None
        shared = {
            "client_id": f"C{n:05d}",
            "kind": kind,
            "citizenship": ";".join(case.worker.citizenship or ()),
            "employer_name": "Acme Inc." if kind == "employee" else "",
            "employer_country": (employer.country or "US")
            if employer and kind == "employee"
            else ("US" if kind == "employee" else ""),
            "employer_hired": hired.isoformat() if hired and rnd.random() < 0.8 else "",
            "business_operating_since": "2017-05-01"
            if kind == "self_employed" and rnd.random() < 0.7
            else "",
            "statements": ";".join(
                f"{s}={rnd.choice(('yes', 'no'))}" for s in statements if rnd.random() < 0.2
            ),
        }
        for e in case.engagements:
            country = e.country if rnd.random() < 0.97 else rnd.choice(countries)
            rows.append(
                {
                    **shared,
                    "country": country,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat() if e.end else "",
                    "region": "QC" if country == "CA" and rnd.random() < 0.3 else "",
                    "residence_country": rnd.choice(("US", "US", e.country, "", "PR", "GB")),
                    "client_name": "Client Ltd",
                    "client_country": rnd.choice(("", "MX", "US", e.country)),
                    "description": "Design work",
                }
            )
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(batch.ROSTER_COLUMNS)
        for row in rows:
            writer.writerow([row.get(c, "") for c in batch.ROSTER_COLUMNS])


def test_a_generated_roster_gets_the_same_decisions(rules: RuleBook, tmp_path: Path) -> None:
    rnd = random.Random(4)
    roster = tmp_path / "roster.csv"
    _write(roster, _roster_rows(rnd, rules, 6000))
    header, rows, bad = batch._read_roster(roster)
    cases, errors, count = batch.parse_roster(rows, header, bad, rules.conditions)
    assert count > 9000 and len(cases) > 5500 and not errors
    compared = 0
    for as_of in (AS_OF, date(2031, 3, 31)):
        fast = dict(batch.screen_roster(cases, rules, as_of))
        assert list(fast) == list(cases)
        for client_id, case in cases.items():
            _same(fast[client_id], screen(case, rules, as_of))
            compared += 1
    assert compared == 2 * len(cases)
    # The file written by screen-batch holds the full path's rows.
    out = tmp_path / "decisions.csv"
    summary = batch.screen_roster_file(roster, out, tmp_path / "errors.csv", rules, AS_OF)
    with out.open(newline="", encoding="utf-8") as handle:
        written = list(csv.reader(handle))
    expected = [
        [spreadsheet_safe(c) for c in batch.decision_row(cid, screen(case, rules, AS_OF))]
        for cid, case in cases.items()
    ]
    assert written[1:] == expected
    assert summary.clients == len(cases)


class _Uncached(batch._Convert):
    """The conversions as they were: every value converted where it occurs."""

    def date(self, value: str, column: str) -> date:
        return batch._date(value, column)

    def country(self, value: str, column: str) -> str:
        return batch._country(value, column)

    def region(self, value: str, country: str) -> str | None:
        return batch._region(value, country)

    def statement_list(self, text: str, known: object) -> dict[str, bool]:
        return batch._statements(text, known)  # type: ignore[arg-type]


def test_reading_and_parsing_a_messy_roster_is_unchanged(
    rules: RuleBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad dates, countries, regions and statements, clients whose rows differ, control
    characters and long values: the memoised conversions and the whole-text checks find what
    converting and checking every value finds, with the same lines and messages."""
    rnd = random.Random(5)
    rows = _roster_rows(rnd, rules, 1500)
    spoil = [
        ("start", "2027-02-30"),
        ("end", "01/02/2028"),
        ("end", "2150-01-01"),
        ("country", "Narnia"),
        ("country", "portugal"),
        ("residence_country", "XX"),
        ("region", "ZZZ"),
        ("client_country", "UK"),
        ("statements", "made_up=yes"),
        ("statements", "private_health_insurance"),
        ("kind", "contractor"),
        ("citizenship", "US;Atlantis"),
        ("employer_hired", "2019-13-01"),
        ("description", "tab\there and a bell \x07"),
        ("client_name", "x" * 10_001),
        ("start", ""),
    ]
    for n in range(0, len(rows), 7):
        column, value = rnd.choice(spoil)
        rows[n] = {**rows[n], column: value}
    roster = tmp_path / "roster.csv"
    _write(roster, rows)
    with roster.open("a", encoding="utf-8") as handle:
        handle.write("C99999,employee,DE\n")  # too few fields

    header, got_rows, got_bad = batch._read_roster(roster)
    text = roster.read_text(encoding="utf-8")
    found = list(records(text))
    want_rows, want_bad = [], []
    for line, values in found[1:]:
        problem = batch._shape_problem(values, header)
        if problem is None:
            want_rows.append((line, dict(zip(header, values, strict=True))))
        else:
            want_bad.append(batch.RowError(line, values[0].strip(), problem))
    assert got_rows == want_rows
    assert got_bad == want_bad
    assert len(got_bad) >= 2

    parsed = batch.parse_roster(got_rows, header, got_bad, rules.conditions)
    monkeypatch.setattr(batch, "_Convert", _Uncached)
    reference = batch.parse_roster(got_rows, header, got_bad, rules.conditions)
    assert parsed == reference
    assert len(parsed[1]) > 150 and len(parsed[0]) > 500


def test_the_decision_is_built_with_every_field() -> None:
    """The fast path builds a decision field by field: a field added later must be carried."""
    marks = {f.name: object() for f in fields(Decision)}
    decision = Decision(**marks)  # type: ignore[arg-type]
    again = _with(
        decision, decision.next_actions, decision.go_if, decision.file_by, decision.timing_note
    )
    assert {f.name: getattr(again, f.name) for f in fields(Decision)} == marks


def test_screen_case_takes_the_fast_path(rules: RuleBook) -> None:
    rnd = random.Random(6)
    done = 0
    while done < 300:
        case = _case(rnd, rules, AS_OF)
        if not case.worker.residence or any(
            s not in rules.conditions for s in case.worker.statements
        ):
            continue
        if case.worker.kind == "employee" and (case.employer is None or not case.employer.country):
            continue
        _same(screen_case(case, AS_OF, rules), screen(case, rules, AS_OF))
        done += 1


def test_go_if_never_ends_a_stay_before_it_begins(rules: RuleBook) -> None:
    """A later stay in a country whose limit ran out (counted from an earlier, open-ended
    posting) before it begins: no shorter stay is proposed (this crashed the engine)."""
    fixture = load_rules(FIXTURE)
    nz = [
        Engagement("NZ", date(2041, 11, 1), date(2043, 11, 1), "WGN"),
        Engagement("NZ", date(2046, 1, 9), None, "WGN"),
        Engagement("NZ", date(2048, 1, 12), date(2049, 1, 11)),
    ]
    case = Case(
        worker=Worker(
            kind="self_employed",
            residence=(Residence("GU", date(2040, 9, 27), date(2045, 3, 3)),),
        ),
        engagements=tuple(nz),
    )
    full = screen(case, fixture, date(2041, 1, 1))
    assert full.outcome == "pause"
    _same(screen_fast(case, fixture, date(2041, 1, 1)), full)
