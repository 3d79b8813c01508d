"""The facts a screening decision rests on, as plain immutable values.

These are what the engine reads. :mod:`cocflow.io.casefile` builds them from a case file and
:mod:`cocflow.services.batch` from a roster row; neither the engine nor its tests need either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = ["Case", "Engagement", "Residence", "WorkerKind"]

WorkerKind = Literal["self_employed", "employee"]


@dataclass(frozen=True, slots=True)
class Residence:
    """Where the person lives from ``start`` to ``end`` (inclusive; ``None``: still there)."""

    country: str
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """A stay where work is physically performed (``end`` ``None``: open-ended)."""

    country: str
    start: date
    end: date | None
    region: str | None = None
    client_name: str | None = None
    client_country: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A worker's facts for screening. ``None`` means the case file does not say."""

    kind: WorkerKind
    engagements: tuple[Engagement, ...]
    residence: tuple[Residence, ...] = ()
    citizenship: tuple[str, ...] | None = None
    statements: Mapping[str, bool] = field(default_factory=dict)
    employer_name: str | None = None
    employer_country: str | None = None
    employer_hired: date | None = None
    business_operating_since: date | None = None
    business_address_country: str | None = None
    performer_or_entertainer: bool = False
    ship_or_aircraft_crew: bool = False
