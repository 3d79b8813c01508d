"""The change watcher: what in the log and the facts no longer matches the certificate on file.

Pure: takes the case as it stands, the travel log, the proof log and the rules; returns
findings. Each finding says what changed, the rule that applies (don't rely on the
certificate for that part), what to do, and whether a letter to SSA is the answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from cocflow.case import Case, Engagement
from cocflow.countries import country_name
from cocflow.proof.chain import ChainEntry
from cocflow.screening.decision import Decision
from cocflow.tracking.certificates import Certificate, certificates_on_file, uncovered

__all__ = ["WatchFinding", "watch"]

ENDING_SOON = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class WatchFinding:
    code: str
    changed: str
    rule: str
    action: str
    letter: Literal["extension", "correction"] | None = None
    needs_action: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "changed": self.changed,
            "rule": self.rule,
            "action": self.action,
            "letter": self.letter,
            "needs_action": self.needs_action,
        }


def _stored_outcome(entries: Sequence[ChainEntry]) -> str | None:
    """The outcome of the last screening recorded in the proof log."""
    outcome = None
    for entry in entries:
        if entry.kind == "screened":
            outcome = json.loads(entry.payload).get("outcome")
    return outcome


def _decision_changed(before: str, now: str) -> WatchFinding:
    if now == "go":
        return WatchFinding(
            "DECISION_CHANGED",
            f"Screening the case as it stands now says go; the stored case said {before}.",
            "A U.S. certificate path is open now: nothing is proven until it is requested.",
            "Store the case again ('cocflow case update ID CASE_FILE'), then prepare the "
            "request ('cocflow request CASE --out DIR --case ID').",
        )
    return WatchFinding(
        "DECISION_CHANGED",
        f"Screening the case as it stands now says {now}; the stored case said {before}.",
        "Pause: do not rely on a certificate for work the current facts no longer support.",
        "Run 'cocflow screen' on the case and follow what it says; talk to a cross-border "
        "tax professional if the work continues.",
    )


def watch(
    case: Case,
    decision: Decision,
    trips: Sequence[tuple[str, date, date, str]],
    entries: Sequence[ChainEntry],
    *,
    today: date,
    us_codes: frozenset[str],
) -> list[WatchFinding]:
    """Findings for one case. ``trips``: (country, start, end, purpose) of the log.

    Every certificate on file counts: an extension adds its days to the first certificate's, so
    work is outside the certificates only on days none of them covers."""
    found: list[WatchFinding] = []
    certs = certificates_on_file(entries)
    foreign = [e for e in case.engagements if e.country not in us_codes]
    work_trips = [t for t in trips if t[3] == "work" and t[0] not in us_codes]
    before = _stored_outcome(entries)
    if before is not None and decision.outcome != before:
        found.append(_decision_changed(before, decision.outcome))
    if decision.outcome != "go" and not certs:
        # No U.S. certificate is expected or on file: the checks below are about one.
        return found
    if not certs:
        started = [e for e in foreign if e.start <= today]
        if started:
            found.append(
                WatchFinding(
                    "NO_CERTIFICATE",
                    f"The work in {country_name(started[0].country)} began on "
                    f"{started[0].start} and no certificate is on file.",
                    "Until the certificate is issued and kept, the exemption is not proven.",
                    "Record the certificate in the case, or follow up the request with SSA.",
                )
            )
        return found
    latest = certs[-1]
    covered = {c.country for c in certs if c.country}
    shown = ", ".join(sorted(country_name(c) for c in covered)) or "the certificate's country"
    for country in sorted({t[0] for t in work_trips} | {e.country for e in foreign}):
        if covered and country not in covered:
            found.append(
                WatchFinding(
                    "NEW_WORK_COUNTRY",
                    f"Work in {country_name(country)} appears in the log or the "
                    f"case; the certificates on file cover {shown} only.",
                    "Pause for that work: no certificate covers it (several countries need "
                    "screening).",
                    "Screen the work in that country before it starts, and do "
                    "not show these certificates for it.",
                )
            )
    found += _outside(certs, foreign, work_trips)
    found += _end_moved(certs, foreign)
    changed = [
        json.loads(x.payload).get("paths", [])
        for x in entries
        if x.kind == "facts_changed" and x.seq > certs[0].entry
    ]
    if any(p.startswith("worker.residence") for paths in changed for p in paths):
        found.append(
            WatchFinding(
                "RESIDENCE_MOVED",
                "The residence changed after the certificate was issued.",
                "Where residence decides (most agreements for the self-employed), the certificate "
                "may no longer apply: pause.",
                "Screen the case again and, if the answer changed, tell SSA.",
                "correction",
            )
        )
    found += _ending(certs, latest, foreign, work_trips, today)
    return found


def _ref(cert: Certificate) -> str:
    return f"certificate of entry {cert.entry}" + (
        f", request {cert.control_number}" if cert.control_number else ""
    )


def _last_end(certs: Sequence[Certificate], country: str) -> date | None:
    """The last day the certificates for ``country`` reach (``date.max``: open-ended)."""
    ends = [c.end or date.max for c in certs if c.country == country and c.start]
    return max(ends) if ends else None


def _outside(
    certs: Sequence[Certificate],
    foreign: Sequence[Engagement],
    work_trips: Sequence[tuple[str, date, date, str]],
) -> list[WatchFinding]:
    stays: list[tuple[str, date, date | None]] = [(t[0], t[1], t[2]) for t in work_trips]
    stays += [(e.country, e.start, e.end) for e in foreign]
    for country, start, end in stays:
        if not any(c.country == country for c in certs):
            continue
        gaps = uncovered(certs, country, start, end)
        if not gaps:
            continue
        first, last = gaps[0]
        last_end = _last_end(certs, country)
        after = last_end is not None and last_end != date.max and first > last_end
        return [
            WatchFinding(
                "WORK_OUTSIDE_CERTIFICATE",
                f"The log or the case shows work in {country_name(country)} from {first} to "
                f"{last or 'no end date'} that no certificate on file covers.",
                "Pause for those days: no certificate covers them.",
                "Ask SSA to extend or correct the certificate (cocflow drafts the letter).",
                "extension" if after else "correction",
            )
        ]
    return []


def _end_moved(certs: Sequence[Certificate], foreign: Sequence[Engagement]) -> list[WatchFinding]:
    found: list[WatchFinding] = []
    for e in foreign:
        last_end = _last_end(certs, e.country)
        if last_end is None or last_end == date.max:
            continue
        latest = [c for c in certs if c.country == e.country][-1]
        where = country_name(e.country)
        if e.end is None or e.end > last_end:
            found.append(
                WatchFinding(
                    "END_DATE_MOVED",
                    f"The stay in {where} now ends "
                    f"{e.end or 'with no end date'}, after the certificates' end ({last_end}).",
                    "Pause after the certificates' end: check the agreement's limit before "
                    "asking for more.",
                    f"Ask SSA to extend the certificate ({_ref(latest)}) before {last_end}.",
                    "extension",
                )
            )
        elif e.end < last_end - timedelta(days=1):
            found.append(
                WatchFinding(
                    "END_DATE_MOVED",
                    f"The stay in {where} now ends on {e.end}, before the "
                    f"certificates' end ({last_end}).",
                    "The certificate overstates the period.",
                    f"Tell SSA the work ended early ({_ref(latest)}); cocflow drafts the "
                    "correction letter.",
                    "correction",
                )
            )
    return found


def _ending(
    certs: Sequence[Certificate],
    latest: Certificate,
    foreign: Sequence[Engagement],
    work_trips: Sequence[tuple[str, date, date, str]],
    today: date,
) -> list[WatchFinding]:
    if latest.country is None:
        return []
    last_end = _last_end(certs, latest.country)
    if last_end is None or last_end == date.max or not today <= last_end <= today + ENDING_SOON:
        return []
    goes_on = any(
        e.country == latest.country and (e.end is None or e.end > last_end) for e in foreign
    ) or any(t[0] == latest.country and t[2] > last_end for t in work_trips)
    if not goes_on:
        return []
    return [
        WatchFinding(
            "CERTIFICATE_ENDING",
            f"The certificate ends on {last_end}, within "
            f"{ENDING_SOON.days} days, and the work goes on.",
            "After the end date the exemption is not proven.",
            f"Ask SSA for an extension before {last_end} ({_ref(latest)}).",
            "extension",
        )
    ]
