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

from cocflow.case import Case
from cocflow.countries import country_name
from cocflow.proof.chain import ChainEntry
from cocflow.screening.decision import Decision

__all__ = ["Certificate", "WatchFinding", "certificate_on_file", "watch"]

ENDING_SOON = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Certificate:
    country: str | None
    start: date | None
    end: date | None
    entry: int
    control_number: str | None


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


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def certificate_on_file(entries: Sequence[ChainEntry]) -> Certificate | None:
    """The latest certificate recorded in the proof log, with the request's control number."""
    control = None
    found = None
    for entry in entries:
        payload = json.loads(entry.payload)
        if entry.kind == "submitted" and payload.get("control_number"):
            control = payload["control_number"]
        if entry.kind == "certificate_received":
            found = Certificate(
                payload.get("country"),
                _day(payload.get("period_start")),
                _day(payload.get("period_end")),
                entry.seq,
                control,
            )
    return found


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
    """Findings for one case. ``trips``: (country, start, end, purpose) of the log."""
    found: list[WatchFinding] = []
    cert = certificate_on_file(entries)
    foreign = [e for e in case.engagements if e.country not in us_codes]
    work_trips = [t for t in trips if t[3] == "work" and t[0] not in us_codes]
    before = _stored_outcome(entries)
    if before is not None and decision.outcome != before:
        found.append(_decision_changed(before, decision.outcome))
    if decision.outcome != "go" and cert is None:
        # No U.S. certificate is expected or on file: the checks below are about one.
        return found
    if cert is None:
        started = [e for e in foreign if e.start <= today]
        if started:
            found.append(
                WatchFinding(
                    "NO_CERTIFICATE",
                    f"The work in {country_name(started[0].country)} began on "
                    f"{started[0].start} and no certificate is on file.",
                    "Until the certificate is issued and kept, the exemption is not proven.",
                    "Record the certificate with 'cocflow proof add ID FILE --kind "
                    "certificate', or follow up the request with SSA.",
                )
            )
        return found
    where = country_name(cert.country) if cert.country else "the certificate's country"
    period = f"{cert.start or '?'} to {cert.end or 'no end date'}"
    ref = f"certificate of entry {cert.entry}" + (
        f", request {cert.control_number}" if cert.control_number else ""
    )
    for country in sorted({t[0] for t in work_trips} | {e.country for e in foreign}):
        if cert.country and country != cert.country:
            found.append(
                WatchFinding(
                    "NEW_WORK_COUNTRY",
                    f"Work in {country_name(country)} appears in the log or the "
                    f"case; the certificate covers {where} only.",
                    "Pause for that work: the certificate does not cover it (several countries "
                    "need screening).",
                    "Screen the work in that country before it starts, and do "
                    "not show this certificate for it.",
                )
            )
    stays = work_trips + [(e.country, e.start, e.end or date.max, "work") for e in foreign]
    outside = [
        t
        for t in stays
        if t[0] == cert.country
        and ((cert.start and t[1] < cert.start) or (cert.end and t[2] > cert.end))
    ]
    if outside:
        t = outside[0]
        found.append(
            WatchFinding(
                "WORK_OUTSIDE_CERTIFICATE",
                f"The log or the case shows work in {where} from {t[1]} to "
                f"{'no end date' if t[2] == date.max else t[2]}, outside the certificate's "
                f"period ({period}).",
                "Pause for those days: the certificate does not cover them.",
                "Ask SSA to extend or correct the certificate ('--letters DIR' drafts the letter).",
                "extension" if cert.end and t[2] > cert.end else "correction",
            )
        )
    for e in foreign:
        if e.country != cert.country or cert.end is None:
            continue
        if e.end is None or e.end > cert.end:
            found.append(
                WatchFinding(
                    "END_DATE_MOVED",
                    f"The stay in {where} now ends "
                    f"{e.end or 'with no end date'}, after the certificate's end ({cert.end}).",
                    "Pause after the certificate's end: check the agreement's limit before asking "
                    "for more.",
                    f"Ask SSA to extend the certificate ({ref}) before {cert.end}.",
                    "extension",
                )
            )
        elif e.end < cert.end - timedelta(days=1):
            found.append(
                WatchFinding(
                    "END_DATE_MOVED",
                    f"The stay in {where} now ends on {e.end}, before the "
                    f"certificate's end ({cert.end}).",
                    "The certificate overstates the period.",
                    f"Tell SSA the work ended early ({ref}); '--letters DIR' drafts the "
                    "correction letter.",
                    "correction",
                )
            )
    changed = [
        json.loads(x.payload).get("paths", [])
        for x in entries
        if x.kind == "facts_changed" and x.seq > cert.entry
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
    if cert.end and today <= cert.end <= today + ENDING_SOON:
        goes_on = any(e.end is None or e.end > cert.end for e in foreign) or any(
            t[2] > cert.end for t in work_trips
        )
        if goes_on:
            found.append(
                WatchFinding(
                    "CERTIFICATE_ENDING",
                    f"The certificate ends on {cert.end}, within "
                    f"{ENDING_SOON.days} days, and the work goes on.",
                    "After the end date the exemption is not proven.",
                    f"Ask SSA for an extension before {cert.end} ({ref}).",
                    "extension",
                )
            )
    return found
