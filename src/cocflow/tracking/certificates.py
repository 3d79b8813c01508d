"""The certificates in a proof log, and the days they cover together.

A stay can be proven by more than one certificate: the first one, then an extension for the
months after it (or a corrected one). What counts is the days every certificate for the country
covers together, with no day missing. Pure: reads proof-log entries, returns values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cocflow.proof.chain import ChainEntry

__all__ = ["Certificate", "certificates_on_file", "uncovered"]

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate recorded in the proof log (``end`` ``None``: no end date printed)."""

    country: str | None
    start: date | None
    end: date | None
    entry: int
    control_number: str | None  # of the request it answers, when recorded


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def certificates_on_file(entries: Sequence[ChainEntry]) -> tuple[Certificate, ...]:
    """Every certificate recorded, in order, each with the control number of the submission
    recorded before it."""
    control = None
    found: list[Certificate] = []
    for entry in entries:
        payload = json.loads(entry.payload)
        if entry.kind in ("submitted", "extension_requested") and payload.get("control_number"):
            control = payload["control_number"]
        if entry.kind == "certificate_received":
            found.append(
                Certificate(
                    payload.get("country"),
                    _day(payload.get("period_start")),
                    _day(payload.get("period_end")),
                    entry.seq,
                    control,
                )
            )
    return tuple(found)


def uncovered(
    certificates: Iterable[Certificate], country: str, start: date, end: date | None
) -> list[tuple[date, date | None]]:
    """The parts of ``start``..``end`` (``None``: open-ended) that no certificate for
    ``country`` covers, in order; empty when the certificates cover every day together."""
    periods = sorted(
        ((c.start, c.end) for c in certificates if c.country == country and c.start is not None),
        key=lambda p: (p[0], p[1] or date.max),
    )
    gaps: list[tuple[date, date | None]] = []
    day: date | None = start  # the first day not yet known to be covered
    for first, last in periods:
        if day is None or (end is not None and day > end):
            break
        if first > day:
            gap_end = first - _DAY if end is None else min(first - _DAY, end)
            gaps.append((day, gap_end))
        if last is None:
            day = None
        elif last + _DAY > day:
            day = last + _DAY
    if day is not None and (end is None or day <= end):
        gaps.append((day, end))
    return gaps
