"""Services for the travel and work log, the change watcher and the reminders.

They work on a :class:`~cocflow.services.cases.Casework`: the log lives in the store, the watcher's
findings go into the proof file, and reminders come from every case's facts and proof log.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cocflow.case import public_title
from cocflow.countries import normalize_country
from cocflow.documents.pdf import render_change_letter
from cocflow.errors import InputError, Problem, clip
from cocflow.io.atomic import atomic_write
from cocflow.io.inputs import MAX_TRIPS_BYTES, read_input_bytes
from cocflow.io.tripfiles import parse_trips_csv, parse_trips_ics
from cocflow.screening.screen import screen
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.store.crypto import keyed_digest
from cocflow.text import control_character
from cocflow.tracking.certificates import certificates_on_file
from cocflow.tracking.letters import FollowUp, LetterKind, follow_up_letter
from cocflow.tracking.reminders import Obligation, Reminder, schedule, to_ics
from cocflow.tracking.trips import (
    Counting,
    DayCount,
    Purpose,
    Trip,
    day_counts,
    gaps,
    overlaps,
    uk_tax_year,
)
from cocflow.tracking.watch import WatchFinding, watch

__all__ = ["ImportResult", "Logbook", "WatchResult"]

CERTIFICATE_LEAD = timedelta(days=60)
CHASE_AFTER = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    overlaps: list[tuple[Trip, Trip]]
    gaps: list[tuple[date, date]]


@dataclass(frozen=True, slots=True)
class WatchResult:
    case_id: str
    findings: list[WatchFinding]
    letters: list[Path]
    # Letters recorded as requests that do not count yet: the case's check found errors.
    not_ready: list[Path] = field(default_factory=list)


def _when(recorded: tuple[dict[str, Any], Any]) -> date | None:
    """The date an event says it happened (``--date``), else the day it was recorded."""
    payload, entry = recorded
    if payload.get("date"):
        return date.fromisoformat(payload["date"])
    return date.fromisoformat(entry.at[:10]) if entry.at else None


def _trip(record: Any) -> Trip:
    return Trip(
        record.country,
        date.fromisoformat(record.start),
        date.fromisoformat(record.end),
        record.purpose,
        record.note,
        record.origin,
    )


class Logbook:
    def __init__(self, work: Casework) -> None:
        self.work = work

    def resolve(self, case_id: str | None) -> str:
        """The case meant: the one given (a unique prefix will do), or the only case stored."""
        if case_id:
            return self.work.resolve(case_id)
        cases = self.work.cases()
        if len(cases) == 1:
            return cases[0].id
        if not cases:
            raise InputError(
                [
                    Problem(
                        "--case",
                        "NO_CASE",
                        "no case is stored yet; the log belongs to a case.",
                        "store one first: cocflow case new CASE_FILE.",
                    )
                ]
            )
        raise InputError(
            [
                Problem(
                    "--case",
                    "CASE_REQUIRED",
                    f"there are {len(cases)} cases; say which one.",
                    "add --case ID ('cocflow case list' shows the ids).",
                )
            ]
        )

    # --- the log -------------------------------------------------------------------------

    def trips(self, case_id: str) -> list[tuple[int, Trip]]:
        return [(r.id, _trip(r)) for r in self.work.store.trips(case_id)]

    def log_stay(
        self,
        case_id: str,
        country: str,
        start: date,
        end: date | None = None,
        *,
        purpose: Purpose = "work",
        note: str | None = None,
    ) -> ImportResult:
        """Log one stay typed in (``end`` ``None``: a single day); the country by code or name."""
        try:
            code = normalize_country(country)
        except ValueError as exc:
            raise InputError(
                [Problem("COUNTRY", "BAD_COUNTRY", f"{exc}.", "use an ISO code such as PT.")]
            ) from None
        bad = control_character(note) if note else None
        if bad is not None:
            raise InputError(
                [
                    Problem(
                        "--note",
                        "CONTROL_CHARACTER",
                        f"the note holds a control character ({bad}).",
                        "type it again without it.",
                    )
                ]
            )
        last = end or start
        if last < start:
            raise InputError(
                [
                    Problem(
                        "END",
                        "DATES_OUT_OF_ORDER",
                        f"{last} is before {start}.",
                        "put the first day first.",
                    )
                ]
            )
        return self.add(case_id, [Trip(code, start, last, purpose, note, "typed")])

    def add(self, case_id: str, new: list[Trip]) -> ImportResult:
        rows = [
            {
                "country": t.country,
                "start": t.start.isoformat(),
                "end": t.end.isoformat(),
                "purpose": t.purpose,
                "note": t.note,
                "origin": t.origin,
            }
            for t in new
        ]
        self.work.store.add_trips(case_id, rows)
        every = [t for _, t in self.trips(case_id)]
        return ImportResult(len(new), overlaps(every), gaps(every))

    def import_file(self, case_id: str, path: Path) -> ImportResult:
        """All or nothing: any bad row or event, and nothing is added."""
        data = read_input_bytes(path, "the trip log", MAX_TRIPS_BYTES)
        if path.suffix.lower() == ".ics":
            trips, event_problems = parse_trips_ics(data)
            problems = [
                Problem(f"{where}.{p.path}" if p.path else where, p.code, p.message, p.fix)
                for where, p in event_problems
            ]
        elif path.suffix.lower() == ".csv":
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError(
                    [
                        Problem(
                            "FILE",
                            "NOT_UTF8",
                            "the CSV is not UTF-8 text.",
                            "save it as UTF-8 CSV.",
                        )
                    ],
                    str(path),
                ) from None
            trips, line_problems = parse_trips_csv(text)
            problems = [
                Problem(
                    f"line {line}: {p.path}" if p.path else f"line {line}", p.code, p.message, p.fix
                )
                for line, p in line_problems
            ]
        else:
            raise InputError(
                [
                    Problem(
                        "FILE",
                        "BAD_FILE_TYPE",
                        "import reads .csv or .ics files.",
                        "export the log as CSV or iCalendar.",
                    )
                ]
            )
        if problems:
            raise InputError(problems, str(path))
        return self.add(case_id, trips)

    def remove(self, case_id: str, trip_id: int) -> None:
        self.work.store.remove_trip(case_id, trip_id)

    def days(
        self, case_id: str, year: int, counting: Counting, tax_year: Literal["calendar", "uk"]
    ) -> dict[str, DayCount]:
        return day_counts([t for _, t in self.trips(case_id)], year, counting, tax_year=tax_year)

    # --- the watcher -----------------------------------------------------------------------

    def watch_all(
        self, case_ids: list[str], today: date, letters_dir: Path | None
    ) -> list[WatchResult | tuple[str, str]]:
        """Each case on its own: one that cannot be read is reported, the others still run."""
        from cocflow.errors import CocflowError

        results: list[WatchResult | tuple[str, str]] = []
        for case_id in case_ids:
            try:
                results.append(self.watch(case_id, today, letters_dir))
            except CocflowError as err:
                results.append((case_id, str(err)))
        return results

    def findings(self, case_id: str, today: date) -> list[WatchFinding]:
        """What no longer matches the certificates on file, without recording anything."""
        work = self.work
        case = work.case(case_id)
        decision = screen(case, work.rules, today)
        trips = [(t.country, t.start, t.end, t.purpose) for _, t in self.trips(case_id)]
        return watch(
            case,
            decision,
            trips,
            work.entries(case_id),
            today=today,
            us_codes=work.rules.network.us_codes,
        )

    def watch(self, case_id: str, today: date, letters_dir: Path | None) -> WatchResult:
        """The findings, recorded in the proof file, and the letters drafted into
        ``letters_dir`` (each recorded as a request)."""
        work = self.work
        findings = self.findings(case_id, today)
        letters: list[Path] = []
        not_ready: list[Path] = []
        if letters_dir is not None:
            kinds: list[LetterKind] = sorted({f.letter for f in findings if f.letter})
            for kind in kinds:
                follow = self._follow_up(case_id, kind, findings, today)
                data = render_change_letter(follow.letter)
                path = letters_dir / f"{kind}-letter-{case_id}.pdf"
                atomic_write(path, data)
                letters.append(path)
                entry = work.record_follow_up(case_id, follow, data, today)
                if not json.loads(entry.payload)["ready"]:
                    not_ready.append(path)
        if findings:
            work.record(
                case_id,
                "watch_findings",
                {
                    "as_of": today.isoformat(),
                    "codes": [f.code for f in findings],
                    "needs_action": any(f.needs_action for f in findings),
                    "letters": [p.name for p in letters],
                },
            )
        return WatchResult(case_id, findings, letters, not_ready)

    def _follow_up(
        self, case_id: str, kind: LetterKind, findings: list[WatchFinding], today: date
    ) -> FollowUp:
        work = self.work
        return follow_up_letter(
            work.case(case_id),
            certificates_on_file(work.entries(case_id)),
            kind,
            ssn=work.store.secrets(case_id).get("ssn"),
            ssa_address=work.rules.process.mail.value,
            us_codes=work.rules.network.us_codes,
            today=today,
            residence_moved=any(f.code == "RESIDENCE_MOVED" for f in findings),
        )

    # --- reminders -------------------------------------------------------------------------

    def obligations(
        self, case_id: str, processing_days: int, today: date, *, named: str | None = None
    ) -> list[Obligation]:
        """The case's dated obligations, each titled with the action and ``named`` (else the
        case's public title: its label or places, never the person's name)."""
        work = self.work
        summary = work.store.get_case(case_id)
        entries = work.entries(case_id)
        payloads = [(e.kind, json.loads(e.payload), e) for e in entries]
        source = work.rules.process.online.urls[0]
        found: list[Obligation] = []
        foreign = [
            e
            for e in summary.facts["engagements"]
            if e["country"] not in work.rules.network.us_codes
        ]
        submitted = [(p, e) for k, p, e in payloads if k == "submitted"]
        certified = [p for k, p, _ in payloads if k == "certificate_received"]
        if summary.outcome == "go" and foreign and not submitted and not certified:
            prepared = [p for k, p, _ in payloads if k == "request_prepared" and p.get("file_by")]
            start = date.fromisoformat(min(e["start"] for e in foreign))
            due = (
                date.fromisoformat(prepared[-1]["file_by"])
                if prepared
                else start - timedelta(days=processing_days + work.rules.process.buffer_days)
            )
            found.append(
                Obligation(
                    case_id,
                    "file_by",
                    due,
                    "File the certificate request",
                    f"Request the U.S. certificate for the work starting {start} "
                    f"(the date assumes {processing_days} days of SSA "
                    f"processing, which SSA does not publish).",
                    source,
                )
            )
        if submitted and not certified:
            when = _when(submitted[-1])
            if when:
                found.append(
                    Obligation(
                        case_id,
                        "follow_up",
                        when + timedelta(days=processing_days),
                        "Follow up the certificate request",
                        f"No certificate recorded since the request of {when}: contact SSA.",
                        source,
                    )
                )
        if certified:
            end = certified[-1].get("period_end")
            if end:
                ends = date.fromisoformat(end)
                found.append(
                    Obligation(
                        case_id,
                        "certificate_ending",
                        ends - CERTIFICATE_LEAD,
                        "Certificate ends soon",
                        f"The certificate ends on {ends}: if the work goes on, "
                        f"ask SSA for an extension now.",
                        source,
                    )
                )
                found.append(
                    Obligation(
                        case_id,
                        "extension_deadline",
                        ends,
                        "Last day to ask for an extension",
                        f"Ask before the certificate ends on {ends}.",
                        source,
                    )
                )
        plan = work.foreign_plan_of(summary.decision)
        if plan is not None and foreign and not certified:
            start = date.fromisoformat(min(e["start"] for e in foreign))
            found.append(
                Obligation(
                    case_id,
                    "foreign_certificate",
                    start,
                    f"Get {plan.document}",
                    f"The other country covers this work: ask {plan.from_whom.rstrip('.')} "
                    f"before the work starts on {start}, and record it in the case as the "
                    "certificate.",
                    source,
                )
            )
        found += self._yearly(case_id, summary, payloads, today)
        found += _rules_turned(case_id, payloads)
        # Every reminder names the case it is for ("File the certificate request: Dana, PT").
        if named is None:
            named = public_title(work.case(case_id)) if summary.outcome != INCOMPLETE else ""
        return [replace(o, title=f"{o.title}: {named}") for o in found]

    def _yearly(
        self, case_id: str, summary: Any, payloads: list[Any], today: date
    ) -> list[Obligation]:
        found: list[Obligation] = []
        us = self.work.rules.network.us_codes
        foreign = [e for e in summary.facts["engagements"] if e["country"] not in us]

        def last(e: dict[str, Any]) -> date:  # open-ended work: through next year
            return (
                date.fromisoformat(e["end"])
                if e.get("end")
                else max(date.fromisoformat(e["start"]), today.replace(month=1, day=1)).replace(
                    month=12, day=31
                )
                + timedelta(days=366)
            )

        years = sorted({y for e in foreign for y in range(int(e["start"][:4]), last(e).year + 1)})
        uk_years = sorted(
            {
                ty
                for e in foreign
                if e["country"] == "GB"
                for ty in range(
                    uk_tax_year(date.fromisoformat(e["start"])), uk_tax_year(last(e)) + 1
                )
            }
        )
        segments = summary.decision.get("segments", [])
        covered_abroad = summary.kind == "self_employed" and (
            any(s.get("certificate") == "foreign" for s in segments)
            or self.work.foreign_plan_of(summary.decision) is not None
        )
        for year in years:
            if covered_abroad:
                found.append(
                    Obligation(
                        case_id,
                        "schedule_se",
                        date(year + 1, 4, 15),
                        f"Attach the foreign certificate to Schedule SE ({year})",
                        "Covered abroad: attach a copy of the foreign certificate to Schedule SE "
                        "with the U.S. return to show the exemption from self-employment tax.",
                        "https://secure.ssa.gov/poms.Nsf/lnx/0302001005",
                        key=str(year),
                    )
                )
        for year in uk_years:
            found.append(
                Obligation(
                    case_id,
                    "uk_self_assessment",
                    date(year + 1, 10, 5),
                    f"UK Self Assessment registration (tax year {year}-{year + 1})",
                    "If you must file a UK return and have never filed, tell HMRC by 5 October "
                    "after the tax year; the certificate does not change this.",
                    "https://gov.uk/self-assessment-tax-returns/penalties-deadline",
                    key=str(year),
                )
            )
        deliveries = [(p, e) for k, p, e in payloads if k == "delivered"]
        if deliveries and not any(p.get("file") for p, _ in deliveries):
            start = _when(deliveries[-1])
            if start:
                found.append(
                    Obligation(
                        case_id,
                        "delivery_chaser",
                        start + CHASE_AFTER,
                        "Get written proof of receipt",
                        f"The certificate was sent to {deliveries[-1][0].get('to')} "
                        f"on {start} without a receipt on file.",
                        None,
                    )
                )
        return found

    def reminders(self, processing_days: int | None, today: date) -> list[Reminder]:
        """Every case's obligations; a case that cannot be read becomes one reminder to look at
        it, so that it never hides the other cases' dates. ``processing_days``: SSA's assumed
        processing time (``None``: the rules' value)."""
        processing_days = processing_days or self.work.rules.process.processing_days.value
        obligations: list[Obligation] = []
        for case in self.work.cases():
            if case.outcome == INCOMPLETE:  # answers never confirmed: nothing is due yet
                continue
            try:
                obligations += self.obligations(case.id, processing_days, today)
            except Exception as exc:  # one damaged case must not silence every other one
                obligations.append(
                    Obligation(
                        case.id,
                        "case_unreadable",
                        today,
                        f"Check case {case.id}: its reminders could not be worked out",
                        f"{type(exc).__name__}: {clip(str(exc), 200)}. Run 'cocflow proof "
                        f"verify {case.id}' and 'cocflow case show {case.id}'.",
                        None,
                    )
                )
        return schedule(obligations)

    def feed_key(self) -> str:
        """The key in the calendar feed's address: derived from the store's key (the same at
        every start, different for every store), so only whoever was given the address reads
        the feed. It shows the reminders' titles and dates, never an SSN."""
        return keyed_digest(self.work.store.keys, "calendar-feed", b"1")[:32]

    def feed(self, given: str, processing_days: int | None, today: date) -> bytes:
        """The calendar for a feed address holding ``given``; a wrong key is refused."""
        known = [keyed_digest(k, "calendar-feed", b"1")[:32] for k in self.work.store.keys.ring]
        if not any(hmac.compare_digest(given.encode(), k.encode()) for k in known):
            raise InputError(
                [
                    Problem(
                        "feed",
                        "WRONG_FEED",
                        "this calendar address is not this store's.",
                        "copy the address again from the reminders page.",
                    )
                ]
            )
        return self.ics(processing_days, today)

    def ics(self, processing_days: int | None, today: date) -> bytes:
        return to_ics(
            self.reminders(processing_days, today),
            stamp=datetime.now(UTC).replace(microsecond=0),
        )


def _rules_turned(case_id: str, payloads: list[Any]) -> list[Obligation]:
    """A reminder to review a case whose answer the rules changed, while nothing was recorded
    on it since (due the day it changed)."""
    if not payloads or payloads[-1][0] != "screened":
        return []
    _, payload, entry = payloads[-1]
    if payload.get("because") != "the rules changed" or not payload["changes"]["outcome"]:
        return []
    before, after = payload["changes"]["outcome"]
    return [
        Obligation(
            case_id,
            "rules_changed",
            date.fromisoformat(entry.at[:10]),
            "Review the answer the rules changed",
            f"Screened again under rules {payload.get('rules_version')}: the answer went from "
            f"{before.replace('_', ' ')} to {after.replace('_', ' ')} (entry {entry.seq}). "
            "Do not rely on the exemption until it is confirmed again.",
            None,
            entry.hash[:12],
        )
    ]
