"""A case: the facts a person entered, as plain immutable values, and what is still missing.

This is the one model of a case. Its shape follows the case file of the contract (``worker``,
``employer``, ``engagements``, ``person``, ``business``, ``records``, ``extras``, ``label``,
``client_ref``), so a fact has the same path everywhere: in an error, a check's finding, an
interview question and the watcher's list of changed facts. Parsers at the edges build it: the
case file (:mod:`cocflow.io.casefile`), a roster row (:mod:`cocflow.services.batch`) and the
interview's answers (:mod:`cocflow.interview.questions`). The engine, the checks, the documents,
the store and the watcher read only this.

It holds what the person said, never what the engine derives (that is the decision), and it may
be incomplete: the interview builds it one answer at a time, and :func:`missing` says which facts
screening still needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

__all__ = [
    "Address",
    "Business",
    "Case",
    "Client",
    "Employer",
    "Engagement",
    "MissingFact",
    "Person",
    "Record",
    "RecordKind",
    "Residence",
    "Worker",
    "WorkerKind",
    "missing",
    "public_title",
]

WorkerKind = Literal["self_employed", "employee"]
RecordKind = Literal["passport", "ssn_card", "contract", "business_registration", "lease", "other"]


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    country: str
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class Residence:
    """Where the person lives from ``start`` to ``end`` (inclusive; ``None``: still there).

    The case file writes these as ``from`` and ``to``."""

    country: str
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Worker:
    """Who works: how they are paid, where they live over time, what they have stated."""

    kind: WorkerKind | None = None  # None: not answered yet
    residence: tuple[Residence, ...] = ()
    citizenship: tuple[str, ...] | None = None
    statements: Mapping[str, bool] = field(default_factory=dict)
    performer_or_entertainer: bool = False
    ship_or_aircraft_crew: bool = False


@dataclass(frozen=True, slots=True)
class Client:
    """Whom the work is for: context only, never what decides coverage."""

    name: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """A stay where work is physically performed (``end`` ``None``: open-ended)."""

    country: str
    start: date
    end: date | None = None
    region: str | None = None
    client: Client | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Employer:
    """Who pays an employee's wages."""

    name: str | None = None
    country: str | None = None
    hired: date | None = None
    place_of_hire: str | None = None
    address: Address | None = None
    host_address: Address | None = None


@dataclass(frozen=True, slots=True)
class Business:
    """A self-employed person's business."""

    legal_name: str | None = None
    address: Address | None = None
    nature_of_activity: str | None = None
    operating_since: date | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """The person a request is about. ``ssn`` and ``date_of_birth`` are personal data: the store
    keeps them encrypted and every screen masks them."""

    full_legal_name: str | None = None
    ssn: str | None = None
    date_of_birth: date | None = None
    place_of_birth: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """What one of the person's own documents says, to check the request's data against."""

    kind: RecordKind
    full_legal_name: str | None = None
    ssn: str | None = None
    date_of_birth: date | None = None
    place_of_birth: str | None = None
    legal_name: str | None = None
    address: Address | None = None
    nature_of_activity: str | None = None
    client_name: str | None = None
    country: str | None = None
    start: date | None = None
    end: date | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """Everything a person said about one piece of work abroad. ``None``: not said (yet)."""

    worker: Worker = field(default_factory=Worker)
    engagements: tuple[Engagement, ...] = ()
    employer: Employer | None = None
    person: Person | None = None
    business: Business | None = None
    records: tuple[Record, ...] = ()
    extras: Mapping[str, str | bool] = field(default_factory=dict)
    label: str | None = None  # how the person's lists name the case
    client_ref: str | None = None  # an advisor's own reference for the client

    @property
    def kind(self) -> WorkerKind:
        """The worker's kind; only for a case that :func:`missing` finds complete."""
        if self.worker.kind is None:
            raise ValueError("the case does not say how the person is paid (worker.kind)")
        return self.worker.kind

    @property
    def employer_country(self) -> str | None:
        return self.employer.country if self.employer else None

    @property
    def employer_hired(self) -> date | None:
        return self.employer.hired if self.employer else None

    @property
    def business_operating_since(self) -> date | None:
        return self.business.operating_since if self.business else None

    @property
    def business_address_country(self) -> str | None:
        address = self.business.address if self.business else None
        return address.country if address else None

    @property
    def title(self) -> str:
        """How lists, reminders and calendars name the case: its label when it has one."""
        reference = f" [{self.client_ref}]" if self.client_ref else ""
        if self.label:
            return f"{self.label}{reference}"
        from cocflow.countries import country_name

        places = ", ".join(
            f"{country_name(e.country).removeprefix('the ')} from {e.start}"
            + (f" to {e.end}" if e.end else "")
            for e in self.engagements
        )
        name = self.person.full_legal_name if self.person and self.person.full_legal_name else ""
        return f"{name + ': ' if name else ''}{places or 'Work abroad'}{reference}"


def public_title(case: Case) -> str:
    """How a page title, a reminder or a calendar names the case: its label, else its places;
    never the person's name (titles travel: browser history, calendars, feeds)."""
    return case.title if case.label else replace(case, person=None).title


@dataclass(frozen=True, slots=True)
class MissingFact:
    """A fact screening needs that the case does not give yet, by its case-file path."""

    path: str
    what: str


def missing(case: Case) -> tuple[MissingFact, ...]:
    """The facts screening cannot do without, in the order a person would give them.

    Facts that only sharpen an answer (an employer's hiring date, a business's start) are not
    here: without them the answer is a pause that names them, which is the honest answer."""
    out: list[MissingFact] = []
    if case.worker.kind is None:
        out.append(MissingFact("worker.kind", "how the person is paid for the work"))
    if not case.worker.residence:
        out.append(MissingFact("worker.residence", "where the person lives, and since when"))
    if case.worker.kind == "employee":
        employer = case.employer or Employer()
        if employer.name is None:
            out.append(MissingFact("employer.name", "the employer who pays the wages"))
        if employer.country is None:
            out.append(MissingFact("employer.country", "the employer's country"))
    if not case.engagements:
        out.append(
            MissingFact("engagements", "where the work is physically done, from when to when")
        )
    return tuple(out)
