"""The four checkpoints of a U.S. certificate, judged from the proof log alone.

1. Screening says go. 2. A request was filed with complete details: clean checks, each submitted,
whose periods together cover the work (an extension request adds the days after the first
one). 3. Records stored together: certificates that together cover the whole work period, and a
confirmation of the filing as a file. 4. Every certificate used delivered with proof of receipt.
Each needs the one before and events in order; a change of facts that makes a request untrue
(anything but the case's name or a stay's end) voids the requests before it. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cocflow.proof.chain import ChainEntry
from cocflow.tracking.certificates import Certificate, certificates_on_file, uncovered
from cocflow.tracking.foreignpath import OUTCOME_WORDS, Checkpoint, outcome_turned

__all__ = ["CHECKPOINT_NAMES", "NEUTRAL_CHANGES", "us_checkpoints"]

CHECKPOINT_NAMES = (
    "Coverage confirmed",
    "Request filed with complete details",
    "Records stored together",
    "Certificate delivered with proof of receipt",
)


Payloads = list[tuple[ChainEntry, dict[str, Any]]]


def us_checkpoints(
    payloads: Payloads, countries: list[str], work_start: str | None, work_end: str | None
) -> list[Checkpoint]:
    """The four checkpoints for work in ``countries`` from ``work_start`` to ``work_end``
    (ISO dates; ``work_end`` ``None``: open-ended), from the log's entries and payloads."""
    country = countries[0] if len(countries) == 1 else None
    start = date.fromisoformat(work_start) if work_start else None
    end = date.fromisoformat(work_end) if work_end else None
    period = f"{', '.join(countries)}, {work_start} to {work_end or 'open-ended'}"
    one = _screened(payloads)
    requests, waiting = _filed_requests(payloads)
    two = _requested(one, requests, waiting, country=country, start=start, end=end)
    after = min((r.submitted for r in requests), default=None)
    certificates = [
        c
        for c in certificates_on_file([e for e, _ in payloads])
        if after is not None and c.entry > after
    ]
    used = _covering(certificates, country, start, end)
    three = _stored(
        payloads, two, requests=requests, certificates=certificates, used=used, period=period
    )
    return [one, two, three, _delivered(payloads, three, used)]


def _screened(payloads: Payloads) -> Checkpoint:
    screened = [(e, p) for e, p in payloads if e.kind == "screened"]
    last = screened[-1] if screened else None
    return Checkpoint(
        CHECKPOINT_NAMES[0],
        bool(last and last[1]["outcome"] == "go"),
        f"entry {last[0].seq}: screening says {OUTCOME_WORDS.get(last[1]['outcome'], '?')}"
        if last
        else "no screening recorded",
    )


def _requested(
    one: Checkpoint,
    requests: list[_Filed],
    waiting: int | None,
    *,
    country: str | None,
    start: date | None,
    end: date | None,
) -> Checkpoint:
    gaps = (
        uncovered([r.period(country) for r in requests], country, start, end)
        if country and start
        else [(start, end)]
    )
    if requests and not gaps:
        why = "; ".join(
            f"entry {r.submitted}: submitted after the clean check of entry {r.entry}"
            for r in requests
        )
    elif waiting is not None:
        why = f"no submission recorded after the clean check of entry {waiting}"
    elif requests and country:
        first, to = gaps[0]
        why = (
            f"the requests filed do not cover {first} to {to or 'the end of the work'}: "
            "ask SSA for an extension (cocflow drafts the letter), then record its submission"
        )
    else:
        why = (
            "no clean check of the case as it stands, submitted after it (prepare the request "
            "again after the last change of facts)"
        )
    return Checkpoint(CHECKPOINT_NAMES[1], one.done and bool(requests) and not gaps, why)


def _stored(
    payloads: Payloads,
    two: Checkpoint,
    *,
    requests: list[_Filed],
    certificates: list[Certificate],
    used: list[Certificate],
    period: str,
) -> Checkpoint:
    confirmation = [
        e
        for e, p in payloads
        if e.kind in ("approved", "submitted", "extension_requested")
        and p.get("file")
        and requests
        and e.seq > requests[0].entry
    ]
    done = two.done and bool(used and confirmation)
    if done:
        shown = ", ".join(str(c.entry) for c in used)
        why = (
            f"certificate (entry {shown}), confirmation (entry {confirmation[-1].seq}) and "
            f"submitted data (entry {requests[-1].entry})"
        )
    elif certificates and not used:
        shown = ", ".join(str(c.entry) for c in certificates)
        why = (
            f"the certificate of entry {shown} does not cover the work ({period}) on its own "
            "or with the others: check their country and periods"
        )
    else:
        why = (
            "needs, after the submission, the certificate (its country and the period it "
            "covers), and the approval or submission confirmation as a file"
        )
    return Checkpoint(CHECKPOINT_NAMES[2], done, why)


def _delivered(payloads: Payloads, three: Checkpoint, used: list[Certificate]) -> Checkpoint:
    receipts = {
        c.entry: [
            (e, p)
            for e, p in payloads
            if e.kind == "delivered" and e.seq > c.entry and p.get("file")
        ]
        for c in used
    }
    sent = [
        (e, p)
        for e, p in payloads
        if e.kind == "delivered" and used and e.seq > min(c.entry for c in used)
    ]
    waiting = [entry for entry, found in receipts.items() if not found]
    if used and not waiting:
        last = max((found[-1] for found in receipts.values()), key=lambda x: x[0].seq)
        why = f"entry {last[0].seq}: delivered to {last[1].get('to')} with proof of receipt"
        if len(used) > 1:
            why += f" (each of the {len(used)} certificates delivered)"
    elif used and len(waiting) < len(used):
        why = (
            f"no proof of receipt for the certificate of entry {waiting[0]}: deliver it too, "
            "and keep the proof of receipt"
        )
    elif sent:
        why = (
            f"entry {sent[-1][0].seq}: sent to {sent[-1][1].get('to')} but no "
            "written proof of receipt is on file"
        )
    else:
        why = "no delivery of the certificate recorded after it was received"
    return Checkpoint(CHECKPOINT_NAMES[3], three.done and bool(used) and not waiting, why)


# --- requests and certificates that together cover the work ------------------------------

# Changes that leave an earlier request true for the period it asked for: how the case is
# named, a stay's end (an extension asks for the days after; a shorter stay is a correction), and
# the person's own records (evidence the request was checked against, not what was filed).
NEUTRAL_CHANGES = re.compile(r"^(label|client_ref|engagements\[\d+\]\.end|records(\[\d+\].*)?)$")


@dataclass(frozen=True)
class _Filed:
    entry: int  # the clean check (request_prepared)
    submitted: int  # its submission
    start: str | None
    end: str | None

    def period(self, country: str | None) -> Certificate:
        return Certificate(
            country,
            date.fromisoformat(self.start) if self.start else None,
            date.fromisoformat(self.end) if self.end else None,
            self.entry,
            None,
        )


def _filed_requests(payloads: Payloads) -> tuple[list[_Filed], int | None]:
    """The clean checks that were submitted and that no later change of facts made untrue, nor
    a later screening that turned to another outcome (an extension request is one of them, for
    the days it asks for), and the entry of a clean check still waiting for its submission."""
    pending: list[tuple[ChainEntry, dict[str, Any]]] = []
    filed: list[_Filed] = []
    turned = outcome_turned([(e.seq, e.kind, p) for e, p in payloads])
    for entry, payload in payloads:
        if entry.kind == "request_prepared" and payload.get("ready"):
            pending = [(entry, payload)]
        elif entry.kind in ("submitted", "extension_requested") and pending:
            prepared, p = pending.pop()
            filed.append(
                _Filed(prepared.seq, entry.seq, p.get("period_start"), p.get("period_end"))
            )
        elif entry.kind == "facts_changed" and any(
            not NEUTRAL_CHANGES.match(path) for path in payload.get("paths", [])
        ):
            pending, filed = [], []
        elif entry.kind == "screened" and entry.seq == turned:
            pending, filed = [], []  # filed for another answer (the rules changed since)
    return filed, pending[-1][0].seq if pending else None


def _covering(
    certificates: list[Certificate], country: str | None, start: date | None, end: date | None
) -> list[Certificate]:
    """The latest certificates that together cover ``start``..``end`` (a later certificate
    replaces an earlier one for its days), or nothing when they do not."""
    if country is None or start is None:
        return []
    used: list[Certificate] = []
    for cert in sorted(certificates, key=lambda c: -c.entry):
        if cert.country != country or cert.start is None:
            continue
        if not uncovered(used, country, start, end):
            break
        if uncovered([*used, cert], country, start, end) != uncovered(used, country, start, end):
            used.append(cert)
    return sorted(used, key=lambda c: c.entry) if not uncovered(used, country, start, end) else []
