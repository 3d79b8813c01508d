"""The engine against a fixture rule book: each rule kind, each limit, each reason for pause.

The fixture agreements (tests/rules_fixture/) use real ISO codes of countries without a U.S.
agreement, so these tests pin the engine's logic independently of the shipped data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.case import Business, Case, Client, Employer, Engagement, Residence, Worker
from cocflow.rules.loader import RuleBook, load_rules
from cocflow.screening.coverage import residence_during
from cocflow.screening.engine import decide
from cocflow.screening.screen import screen

FIXTURE = Path(__file__).parent / "rules_fixture"
AS_OF = date(2026, 11, 25)
D = date.fromisoformat


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules(FIXTURE)


def make(
    stays: list[tuple[str, str, str | None]],
    kind: str = "self_employed",
    home: list[tuple[str, str, str | None]] | None = None,
    **facts: Any,
) -> Case:
    """A case from stays and homes; ``facts`` are worker facts (citizenship, statements, ...)
    or employer_country, employer_hired and business_operating_since."""
    home = [("US", "2000-01-01", None)] if home is None else home
    employer = business = None
    if kind == "employee":
        employer = Employer(
            "Employer",
            facts.pop("employer_country", "US"),
            facts.pop("employer_hired", D("2015-01-01")),
        )
    else:
        business = Business(operating_since=facts.pop("business_operating_since", D("2015-01-01")))
    worker = Worker(
        kind=kind,  # type: ignore[arg-type]
        residence=tuple(Residence(c, D(s), D(e) if e else None) for c, s, e in home),
        **facts,
    )
    return Case(
        worker=worker,
        engagements=tuple(Engagement(c, D(s), D(e) if e else None) for c, s, e in stays),
        employer=employer,
        business=business,
    )


CASES = [
    # (id, case, outcome, codes that must appear, missing facts)
    (
        "posting exactly 60 months",
        make([("AR", "2027-01-01", "2031-12-31")], "employee"),
        "go",
        {"EMP_DETACHED_WITHIN_LIMIT"},
        [],
    ),
    (
        "posting one day over",
        make([("AR", "2027-01-01", "2032-01-01")], "employee"),
        "no_go",
        {"EMP_DETACHED_OVER_LIMIT"},
        [],
    ),
    (
        "posting open-ended",
        make([("AR", "2027-01-01", None)], "employee"),
        "pause",
        {"EMP_OPEN_ENDED"},
        ["engagements[0].end"],
    ),
    (
        "posting, leap-day start, boundary day",
        make([("AR", "2028-02-29", "2033-02-28")], "employee"),
        "pause",
        {"LIMIT_BOUNDARY_AMBIGUOUS"},
        [],
    ),
    (
        "local hire",
        make([("AR", "2027-01-01", "2027-12-31")], "employee", employer_country="AR"),
        "no_go",
        {"EMP_LOCAL_HIRE"},
        [],
    ),
    (
        "employer in a third country",
        make([("AR", "2027-01-01", "2027-12-31")], "employee", employer_country="GB"),
        "pause",
        {"EMP_EMPLOYER_THIRD_COUNTRY"},
        [],
    ),
    (
        "hired on the day the posting starts",
        make([("AR", "2027-01-01", "2027-12-31")], "employee", employer_hired=D("2027-01-01")),
        "no_go",
        {"EMP_HIRED_AFTER_START"},
        [],
    ),
    (
        "hire date missing",
        make([("AR", "2027-01-01", "2027-12-31")], "employee", employer_hired=None),
        "pause",
        {"EMP_HIRE_DATE_UNKNOWN"},
        ["employer.hired"],
    ),
    (
        "self-employed U.S. resident, 7 years, residence rule",
        make([("AR", "2027-01-01", "2033-12-31")]),
        "go",
        {"SE_RESIDENCE_US"},
        [],
    ),
    (
        "self-employed open-ended, residence rule",
        make([("AR", "2027-01-01", None)]),
        "go",
        {"SE_RESIDENCE_US"},
        [],
    ),
    (
        "self-employed living in the work country",
        make([("AR", "2027-01-01", "2027-12-31")], home=[("AR", "2026-01-01", None)]),
        "no_go",
        {"SE_RESIDENCE_FOREIGN"},
        [],
    ),
    (
        "self-employed living in a third country",
        make([("AR", "2027-01-01", "2027-12-31")], home=[("ES", "2026-01-01", None)]),
        "pause",
        {"SE_RESIDENCE_NEITHER"},
        [],
    ),
    (
        "residence changes during the stay",
        make(
            [("AR", "2027-01-01", "2027-12-31")],
            home=[("US", "2020-01-01", "2027-05-31"), ("AR", "2027-06-01", None)],
        ),
        "pause",
        {"SE_RESIDENCE_CHANGES"},
        [],
    ),
    (
        "residence not known for part of the stay",
        make([("AR", "2027-01-01", "2027-12-31")], home=[("US", "2020-01-01", "2027-05-31")]),
        "pause",
        {"SE_RESIDENCE_UNKNOWN"},
        ["worker.residence"],
    ),
    (
        "transfer within 24 months, insured",
        make([("BO", "2027-01-15", "2029-01-14")], statements={"private_health_insurance": True}),
        "go",
        {"SE_TRANSFER_WITHIN_LIMIT"},
        [],
    ),
    (
        "transfer one day over 24 months",
        make([("BO", "2027-01-15", "2029-01-15")], statements={"private_health_insurance": True}),
        "no_go",
        {"SE_TRANSFER_OVER_LIMIT"},
        [],
    ),
    (
        "transfer, condition unanswered",
        make([("BO", "2027-01-15", "2027-12-31")]),
        "pause",
        {"CONDITION_UNANSWERED"},
        ["worker.statements.private_health_insurance"],
    ),
    (
        "transfer, condition not met",
        make([("BO", "2027-01-15", "2027-12-31")], statements={"private_health_insurance": False}),
        "no_go",
        {"CONDITION_NOT_MET"},
        [],
    ),
    (
        "transfer of a business that began during the stay",
        make(
            [("BO", "2027-01-15", "2027-12-31")],
            business_operating_since=D("2027-02-01"),
            statements={"private_health_insurance": True},
        ),
        "no_go",
        {"SE_NO_PRIOR_BUSINESS"},
        [],
    ),
    (
        "transfer, business start missing",
        make(
            [("BO", "2027-01-15", "2027-12-31")],
            business_operating_since=None,
            statements={"private_health_insurance": True},
        ),
        "pause",
        {"SE_BUSINESS_START_UNKNOWN"},
        ["business.operating_since"],
    ),
    (
        "repeated transfer within a year of the last, past the window: the later one is foreign",
        make(
            [("BO", "2027-01-01", "2027-12-31"), ("BO", "2028-06-01", "2029-03-31")],
            statements={"private_health_insurance": True},
        ),
        "no_go",
        {"SE_TRANSFER_WITHIN_LIMIT", "REPEATED_POSTING_OVER", "REPEATED_POSTING_MEASURED"},
        [],
    ),
    (
        "repeated transfer within a year of the last, inside the window: both U.S.",
        make(
            [("BO", "2027-01-01", "2027-06-30"), ("BO", "2027-10-01", "2028-12-31")],
            statements={"private_health_insurance": True},
        ),
        "go",
        {"REPEATED_POSTING_MEASURED"},
        [],
    ),
    (
        "a third posting after a new series: measured from the series or the very first?",
        make(
            [
                ("BO", "2027-01-01", "2027-06-30"),
                ("BO", "2028-09-01", "2028-12-31"),
                ("BO", "2029-03-01", "2029-12-31"),
            ],
            statements={"private_health_insurance": True},
        ),
        "pause",
        {"REPEATED_POSTING_UNCLEAR"},
        [],
    ),
    (
        "repeated transfer a year after the last: counts alone",
        make(
            [("BO", "2027-01-01", "2027-12-31"), ("BO", "2029-01-01", "2030-06-30")],
            statements={"private_health_insurance": True},
        ),
        "go",
        set(),
        [],
    ),
    (
        "two postings that only together exceed the limit, no rule",
        make([("AR", "2027-01-01", "2030-12-31"), ("AR", "2032-01-01", "2033-12-31")], "employee"),
        "pause",
        {"REPEATED_POSTING_UNCLEAR"},
        [],
    ),
    (
        "adjacent postings are one stay",
        make([("AR", "2027-01-01", "2029-12-31"), ("AR", "2030-01-01", "2032-06-30")], "employee"),
        "no_go",
        {"EMP_DETACHED_OVER_LIMIT"},
        [],
    ),
    (
        "U.S. national, nationality rule, open-ended",
        make([("CO", "2027-01-01", None)], citizenship=("US",)),
        "go",
        {"NATIONALITY_US"},
        [],
    ),
    (
        "dual national elects",
        make([("CO", "2027-01-01", "2027-12-31")], citizenship=("US", "CO")),
        "pause",
        {"NATIONALITY_DUAL_ELECTION"},
        [],
    ),
    (
        "national of the work country elects",
        make([("CO", "2027-01-01", "2027-12-31")], citizenship=("CO",)),
        "pause",
        {"NATIONALITY_ELECTION"},
        [],
    ),
    (
        "third-country national",
        make([("CO", "2027-01-01", "2027-12-31")], citizenship=("GB",)),
        "no_go",
        {"NATIONALITY_THIRD"},
        [],
    ),
    (
        "U.S. and third-country national counts as U.S.",
        make([("CO", "2027-01-01", "2027-12-31")], citizenship=("US", "GB")),
        "go",
        {"NATIONALITY_US"},
        [],
    ),
    (
        "citizenship missing",
        make([("CO", "2027-01-01", "2027-12-31")]),
        "pause",
        {"NATIONALITY_UNKNOWN"},
        ["worker.citizenship"],
    ),
    (
        "nationality rule, employee of a local employer",
        make(
            [("CO", "2027-01-01", "2027-12-31")],
            "employee",
            citizenship=("US",),
            employer_country="CO",
        ),
        "no_go",
        {"EMP_LOCAL_HIRE"},
        [],
    ),
    (
        "conflicting readings agree",
        make([("EC", "2027-01-01", "2027-12-31")]),
        "go",
        {"RULE_CONFLICT_NOT_DECIDING"},
        [],
    ),
    (
        "conflicting readings disagree",
        make([("EC", "2027-01-01", "2033-12-31")]),
        "pause",
        {"RULE_CONFLICTING"},
        [],
    ),
    (
        "unverified employee rule",
        make([("EC", "2027-01-01", "2027-12-31")], "employee"),
        "pause",
        {"RULE_UNVERIFIED"},
        [],
    ),
    (
        "low-confidence rule",
        make([("PE", "2027-01-01", "2027-12-31")], "employee"),
        "pause",
        {"RULE_UNVERIFIED"},
        [],
    ),
    (
        "medium and stale rule still decides, with warnings",
        make([("PE", "2027-01-01", "2027-12-31")]),
        "go",
        {"RULE_MEDIUM_CONFIDENCE", "RULE_STALE"},
        [],
    ),
    (
        "work before the agreement takes effect",
        make([("PY", "2027-01-01", "2027-12-31")]),
        "no_go",
        {"AGREEMENT_NOT_IN_FORCE_AT_START"},
        [],
    ),
    (
        "work straddling the entry into force",
        make([("PY", "2029-06-01", "2030-12-31")]),
        "pause",
        {"AGREEMENT_NOT_IN_FORCE_AT_START"},
        [],
    ),
    (
        "agreement not yet in force today",
        make([("PY", "2030-06-01", "2030-12-31")]),
        "pause",
        {"AGREEMENT_NOT_YET_IN_FORCE"},
        [],
    ),
    (
        "signed, not in force",
        make([("VE", "2027-01-01", "2027-12-31")]),
        "no_go",
        {"AGREEMENT_SIGNED_NOT_IN_FORCE"},
        [],
    ),
    (
        "no agreement at all",
        make([("TH", "2027-01-01", "2027-12-31")]),
        "no_go",
        {"NO_AGREEMENT"},
        [],
    ),
    (
        "all work in the United States",
        make([("US", "2027-01-01", "2027-12-31")]),
        "not_needed",
        {"ALL_WORK_IN_US", "WORK_IN_US"},
        [],
    ),
    (
        "two foreign countries",
        make([("AR", "2027-01-01", "2027-03-31"), ("NZ", "2027-04-01", "2027-06-30")]),
        "pause",
        {"MULTIPLE_WORK_COUNTRIES"},
        [],
    ),
    (
        "U.S. work and one foreign country",
        make([("US", "2027-01-01", "2027-03-31"), ("AR", "2027-04-01", "2027-06-30")]),
        "go",
        {"WORK_IN_US", "SE_RESIDENCE_US"},
        [],
    ),
    (
        "national and regional arrangements disagree, region unknown",
        make([("NZ", "2027-01-01", "2028-12-31")]),
        "pause",
        {"SUBDIVISION_DIFFERS"},
        ["engagements[0].region"],
    ),
    (
        "national and regional arrangements agree",
        make([("NZ", "2027-01-01", "2027-06-30")]),
        "go",
        {"SE_RESIDENCE_US", "SE_TRANSFER_WITHIN_LIMIT"},
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "outcome", "codes", "missing"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decision(
    book: RuleBook, case: Case, outcome: str, codes: set[str], missing: list[str]
) -> None:
    decision = decide(case, book, AS_OF)
    found = {r.code for r in decision.all_reasons()}
    assert decision.outcome == outcome, found
    assert codes <= found
    assert list(decision.missing_facts) == missing
    assert (decision.outcome == "go") == decision.request_now
    for reason in decision.all_reasons():
        assert reason.sources and reason.text and reason.code.isupper()


def test_region_outside_the_subdivision_uses_the_national_rule(book: RuleBook) -> None:
    base = make([("NZ", "2027-01-01", "2028-12-31")])
    elsewhere = replace(base, engagements=(replace(base.engagements[0], region="WGN"),))
    auckland = replace(base, engagements=(replace(base.engagements[0], region="AUK"),))
    assert decide(elsewhere, book, AS_OF).outcome == "go"
    both = decide(auckland, book, AS_OF)  # both arrangements apply there and disagree
    assert both.outcome == "pause" and both.missing_facts == ()


def test_client_country_never_decides(book: RuleBook) -> None:
    base = make([("AR", "2027-01-01", "2027-12-31")])
    elsewhere = replace(
        base, engagements=(replace(base.engagements[0], client=Client("Cliente SA", "MX")),)
    )
    a, b = decide(base, book, AS_OF), decide(elsewhere, book, AS_OF)
    assert a.outcome == b.outcome == "go"
    assert "CLIENT_COUNTRY_IGNORED" in {r.code for r in b.all_reasons()}


def test_checks_follow_the_outcome(book: RuleBook) -> None:
    go = decide(make([("AR", "2027-01-01", "2027-12-31")]), book, AS_OF)
    assert (go.country_covered, go.us_coverage_assigned) == (True, True)
    none = decide(make([("TH", "2027-01-01", "2027-12-31")]), book, AS_OF)
    assert (none.country_covered, none.us_coverage_assigned) == (False, False)
    home = decide(make([("US", "2027-01-01", "2027-12-31")]), book, AS_OF)
    assert (home.country_covered, home.us_coverage_assigned) == (None, None)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            make([("AR", "2027-01-01", "2033-06-30")], "employee"),
            "if the stay in Argentina ended on or before 2031-12-31 (60 months or shorter)",
        ),
        (
            make([("AR", "2027-01-01", None)], "employee"),
            "if the stay in Argentina ended on or before 2031-12-31 (60 months or shorter)",
        ),
        (
            make([("AR", "2027-01-01", "2027-12-31")], home=[("AR", "2020-01-01", None)]),
            "if you lived in the United States for the whole time you work abroad",
        ),
        (
            make([("AR", "2027-01-01", "2027-03-31"), ("TH", "2027-04-01", "2027-06-30")]),
            "if all the foreign work were in Argentina (no work in Thailand)",
        ),
    ],
)
def test_go_if_names_the_single_change(book: RuleBook, case: Case, expected: str) -> None:
    decision = screen(case, book, AS_OF)
    assert expected in decision.go_if
    assert decision.outcome != "go"


@pytest.mark.parametrize(
    ("case", "as_of", "unwanted"),
    [
        # A nationality is not a change a person can make to get a certificate.
        (make([("CO", "2027-01-01", "2027-12-31")], citizenship=("US", "CO")), AS_OF, "national"),
        # The stay has begun: where the person lived during it is a fact of the past.
        (
            make([("AR", "2026-06-01", "2027-05-31")], home=[("AR", "2024-01-01", None)]),
            AS_OF,
            "lived in the United States",
        ),
        # A job or business start before the work is a fact of the past, never proposed.
        (
            make([("BO", "2027-01-15", "2027-12-31")], business_operating_since=D("2027-03-01")),
            AS_OF,
            "operated before",
        ),
        # A shorter stay that would have had to end before today is not proposed.
        (
            make([("AR", "2020-01-01", "2026-12-31")], "employee"),
            date(2026, 11, 25),
            "ended on or before 2024-12-31",
        ),
    ],
)
def test_go_if_proposes_only_changes_still_open(
    book: RuleBook, case: Case, as_of: date, unwanted: str
) -> None:
    decision = screen(case, book, as_of)
    assert decision.outcome != "go"
    assert not any(unwanted in text for text in decision.go_if), decision.go_if


def test_no_go_if_when_nothing_single_helps(book: RuleBook) -> None:
    decision = screen(make([("TH", "2027-01-01", "2027-12-31")]), book, AS_OF)
    assert decision.go_if == ()


def test_go_if_claims_are_true(book: RuleBook) -> None:
    """Every go_if sentence about a shorter stay really gives a go, and a day more does not."""
    case = make([("BO", "2027-03-31", "2030-01-01")], statements={"private_health_insurance": True})
    decision = screen(case, book, AS_OF)
    last = decision.segments[0].limit_last_day
    assert last == D("2029-03-30")
    shorter = make(
        [("BO", "2027-03-31", "2029-03-30")], statements={"private_health_insurance": True}
    )
    longer = make(
        [("BO", "2027-03-31", "2029-03-31")], statements={"private_health_insurance": True}
    )
    assert decide(shorter, book, AS_OF).outcome == "go"
    assert decide(longer, book, AS_OF).outcome == "no_go"


# --- residence arithmetic, checked day by day ------------------------------------------

BASE_DAY = date(2027, 1, 1)
offsets = st.integers(min_value=0, max_value=60)


@st.composite
def residences(draw: st.DrawFn) -> tuple[Residence, ...]:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        a, b = sorted((draw(offsets), draw(offsets)))
        open_end = draw(st.booleans()) and draw(st.booleans())
        rows.append(
            Residence(
                draw(st.sampled_from(["US", "AR", "ES"])),
                BASE_DAY + timedelta(a),
                None if open_end else BASE_DAY + timedelta(b),
            )
        )
    return tuple(rows)


@given(residences(), offsets, offsets, st.booleans())
def test_residence_during_matches_a_day_by_day_count(
    rows: tuple[Residence, ...], a: int, b: int, open_ended: bool
) -> None:
    start = BASE_DAY + timedelta(min(a, b))
    end = None if open_ended else BASE_DAY + timedelta(max(a, b))
    case = Case(Worker("self_employed", residence=rows))
    countries, complete = residence_during(case, start, end)
    horizon = BASE_DAY + timedelta(200)  # beyond every finite row: open rows decide after it
    last = end or horizon
    expected: set[str] = set()
    every_day = True
    day = start
    while day <= last:
        here = {r.country for r in rows if r.start <= day and (r.end is None or day <= r.end)}
        expected |= here
        every_day &= bool(here)
        day += timedelta(1)
    assert complete == every_day
    if complete:
        assert countries == expected
