"""The schema of the rules data: one file per agreement, every value with its sources.

A rule that changed over time is a list of dated entries (``from``/``to``); the entry in force
on a date is the newest one whose ``from`` is not after it. Every fact carries a confidence:
``high`` and ``medium`` may decide a case (``medium`` adds a warning), while ``low``,
``unverified`` and ``conflicting`` lead to a pause. A ``conflicting`` rule lists the readings
the sources give; the engine decides only when every reading gives the same answer.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cocflow.isodate import IsoDate

__all__ = [
    "DECIDING_CONFIDENCE",
    "EMPLOYER_ONLY",
    "Agreement",
    "CodesFact",
    "Condition",
    "Confidence",
    "DateFact",
    "Document",
    "LaterAgreement",
    "Network",
    "RepeatedPosting",
    "RequestExtra",
    "RuleEntry",
    "RuleKind",
    "RuleSpec",
    "Source",
    "TextFact",
]

Confidence = Literal["high", "medium", "low", "unverified", "conflicting"]
DECIDING_CONFIDENCE: frozenset[str] = frozenset({"high", "medium"})
# A request "extra" that says who may file (the employer only), not an item of the request.
EMPLOYER_ONLY = "requester_employer_only"
RuleKind = Literal[
    "detachment",
    "residence",
    "residence_with_transfer",
    "territorial_with_transfer",
    "nationality",
    "unknown",
]
WorkerKind = Literal["employee", "self_employed"]


class _Model(BaseModel):
    # The schema is built on the first validation, not at import: a command that loads the
    # compiled bundle (cocflow.rules.bundle) never validates, and starts faster for it.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Source(_Model):
    """Where a value was read: the page, its title, the section, and when it was checked."""

    url: str = Field(pattern=r"^https?://\S+$")
    title: str = Field(min_length=1)
    section: str | None = None
    verified: IsoDate


class _Sourced(_Model):
    confidence: Confidence
    sources: tuple[Source, ...] = Field(min_length=1)
    note: str | None = None

    @cached_property
    def urls(self) -> tuple[str, ...]:
        """The source URLs, each once, in order."""
        return tuple(dict.fromkeys(s.url for s in self.sources))

    @property
    def last_verified(self) -> date:
        return max(s.verified for s in self.sources)


class DateFact(_Sourced):
    value: IsoDate


class TextFact(_Sourced):
    value: str = Field(min_length=1)


class CodesFact(_Sourced):
    value: tuple[str, ...] = Field(min_length=1)


class RepeatedPosting(_Model):
    """A new posting to the same country counts on its own only if it ends within
    ``within_months_of_first_start`` of the first posting's start, or starts at least
    ``min_gap_months`` after the previous one ended; otherwise the stays add up."""

    within_months_of_first_start: int = Field(gt=0)
    min_gap_months: int = Field(gt=0)


class Condition(_Model):
    """A yes/no fact the rule needs beyond the case's dates and places, answered in the case
    file under ``worker.statements.<id>`` (for example France's private health insurance)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)
    only_if_national_of_neither: bool = False


CertificateIssue = Literal["issued", "not_issued", "unverified"]


class Document(_Model):
    """What proves the coverage when no certificate is issued for it (for example SSA's letter
    of exemption under the Australian agreement): its name, who issues it, who asks for it, and
    a step to repeat every year, if any."""

    kind: Literal["letter_of_exemption"]
    issuer: Literal["us", "foreign"]
    name: str = Field(min_length=1)
    requested_by: str = Field(min_length=1)
    yearly_step: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @cached_property
    def urls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.url for s in self.sources))


class RuleSpec(_Model):
    """One reading of a coverage rule.

    - ``detachment``: a U.S. employer sends the employee; U.S. coverage when the expected length
      is within ``limit_months`` and the employment existed before the transfer.
      ``conditions`` are further yes/no facts that must hold for U.S. coverage.
    - ``territorial_with_transfer``: the place of work covers, except a U.S. business that
      operated in the U.S. before and is moved abroad for at most ``limit_months``.
    - ``residence``: the country of residence covers (no time limit); residence in neither
      country is outside the rule.
    - ``residence_with_transfer``: residence decides, except a business normally carried on in
      the U.S. and moved abroad for at most ``limit_months``, which keeps U.S. coverage.
    - ``nationality``: U.S. nationals keep U.S. coverage, nationals of the other country are
      covered there, dual nationals of both elect within ``election_months``.
    - ``unknown``: the sources do not establish the rule.
    """

    rule: RuleKind
    limit_months: int | None = Field(default=None, gt=0)
    limit_months_to_us: int | None = Field(default=None, gt=0)
    repeated_posting: RepeatedPosting | None = None
    election_months: int | None = Field(default=None, gt=0)
    conditions: tuple[Condition, ...] = ()
    # The rule does not apply to officers and crew members of ships and aircraft (for example
    # the U.K. detached-worker rule, RS 02001.370): a crew member's case pauses.
    not_for_crews: bool = False
    us_certificate: CertificateIssue = "issued"
    foreign_certificate: CertificateIssue = "issued"
    # When the certificate of the covering side is not issued: the document that proves the
    # coverage instead (None: nothing is needed, coverage simply continues as before).
    us_document: Document | None = None
    foreign_document: Document | None = None
    sources: tuple[Source, ...] = ()

    @cached_property
    def urls(self) -> tuple[str, ...]:
        """The source URLs, each once, in order."""
        return tuple(dict.fromkeys(s.url for s in self.sources))

    @model_validator(mode="after")
    def _parameters_fit_rule(self) -> RuleSpec:
        needs_limit = self.rule in (
            "detachment",
            "territorial_with_transfer",
            "residence_with_transfer",
        )
        if needs_limit and self.limit_months is None:
            raise ValueError(f"rule '{self.rule}' needs limit_months")
        if not needs_limit and (
            self.limit_months or self.limit_months_to_us or self.repeated_posting
        ):
            raise ValueError(f"rule '{self.rule}' takes no limit_months or repeated_posting")
        if self.election_months is not None and self.rule != "nationality":
            raise ValueError("election_months belongs to rule 'nationality' only")
        if self.us_document is not None and self.us_certificate != "not_issued":
            raise ValueError("us_document is for us_certificate: not_issued only")
        if self.foreign_document is not None and self.foreign_certificate != "not_issued":
            raise ValueError("foreign_document is for foreign_certificate: not_issued only")
        return self


class RuleEntry(RuleSpec):
    """A coverage rule in force from ``from`` (to ``to``, if it ended), with its sources."""

    start: IsoDate = Field(alias="from")
    end: IsoDate | None = Field(default=None, alias="to")
    confidence: Confidence
    sources: tuple[Source, ...] = Field(min_length=1)
    note: str | None = None
    readings: tuple[RuleSpec, ...] = ()

    @model_validator(mode="after")
    def _readings_fit_confidence(self) -> RuleEntry:
        if self.confidence == "conflicting":
            if len(self.readings) < 2:
                raise ValueError("a conflicting rule lists at least two readings")
            if any(not r.sources for r in self.readings):
                raise ValueError("every reading of a conflicting rule has its sources")
        elif self.readings:
            raise ValueError("readings are for confidence 'conflicting' only")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self

    @property
    def last_verified(self) -> date:
        return max(s.verified for s in self.sources)


class RequestExtra(_Sourced):
    """An item a U.S. certificate request needs under this agreement only."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    applies_to: tuple[WorkerKind, ...] = Field(min_length=1)
    text: str = Field(min_length=1)
    only_for_nationals_of_the_country: bool = False
    # The id of a rule condition this item proves: where that condition is part of the rule
    # that gives U.S. coverage, a missing item is an error whatever the item's own confidence.
    proves_condition: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")


class LaterAgreement(_Sourced):
    """A replacement agreement signed after the one in force.

    Decisions follow the agreement in force, with a warning, until a recorded
    ``entry_into_force`` falls on or before the end of a stay (then they pause: the new rules
    are not encoded). ``recheck`` is the date by which its status should be looked up again.
    """

    signed: IsoDate
    status: Literal["signed_not_in_force", "in_force"]
    entry_into_force: IsoDate | None = None
    recheck: IsoDate | None = None

    @model_validator(mode="after")
    def _in_force_has_date(self) -> LaterAgreement:
        if self.status == "in_force" and self.entry_into_force is None:
            raise ValueError("a later agreement in force needs entry_into_force")
        return self


class Agreement(_Model):
    """One U.S. totalization agreement (or the U.S.-Quebec understanding)."""

    cocflow_rules: Literal[1]
    id: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    name: str = Field(min_length=1)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,3}$")
    kind: Literal["agreement", "understanding"]
    status: Literal["in_force", "signed_not_in_force"]
    signed: DateFact | None = None
    entry_into_force: DateFact | None = None
    # The entry into force of an earlier agreement this one replaced (its rules not encoded):
    # stays that start under it pause instead of being treated as having no agreement.
    replaced_agreement: DateFact | None = None
    later_agreements: tuple[LaterAgreement, ...] = ()
    employee: tuple[RuleEntry, ...] = ()
    self_employed: tuple[RuleEntry, ...] = ()
    request_extras: tuple[RequestExtra, ...] = ()
    # What "the United States" means in this agreement's text (the States and DC are "US");
    # None: the network's list. A residence or employer in a U.S. territory the text leaves
    # out is not the United States for this agreement.
    us_territory: CodesFact | None = None
    # What a certificate under this agreement covers, where it is less than the whole of the
    # foreign social security (Canada: the pension plans, not Employment Insurance).
    certificate_scope: TextFact | None = None
    foreign_certificate_issuer: TextFact | None = None
    us_certificate_use: TextFact | None = None
    delivery_notes: tuple[TextFact, ...] = ()

    def rule_on(self, kind: str, day: date) -> RuleEntry | None:
        """The rule for ``kind`` of worker in force on ``day`` (the newest whose dates hold)."""
        timeline = self.employee if kind == "employee" else self.self_employed
        chosen = None
        for entry in timeline:
            if entry.start <= day and (entry.end is None or day <= entry.end):
                chosen = entry
        return chosen

    def extras_for(
        self, kind: str, citizenship: tuple[str, ...] | None
    ) -> tuple[RequestExtra, ...]:
        """The extra request items that apply to this worker (``requester_employer_only`` is
        about who may file, not an item of the request, so it is left out)."""
        national = self.country in (citizenship or ())
        return tuple(
            x
            for x in self.request_extras
            if x.id != EMPLOYER_ONLY
            and kind in x.applies_to
            and (national or not x.only_for_nationals_of_the_country)
        )

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        if self.status == "in_force":
            if self.entry_into_force is None:
                raise ValueError("an agreement in force needs entry_into_force")
            if not self.employee or not self.self_employed:
                raise ValueError("an agreement in force needs employee and self_employed rules")
        elif self.entry_into_force is not None:
            raise ValueError("an agreement not in force has no entry_into_force")
        elif self.signed is None:
            raise ValueError("an agreement not in force needs its signed date and sources")
        expected = self.country + (f"-{self.subdivision}" if self.subdivision else "")
        if self.id != expected:
            raise ValueError(
                f"id '{self.id}' does not match country and subdivision ('{expected}')"
            )
        for name, timeline in (("employee", self.employee), ("self_employed", self.self_employed)):
            for before, after in pairwise(timeline):
                if after.start <= before.start:
                    raise ValueError(f"{name} entries are not in date order")
                if before.end is not None and before.end >= after.start:
                    raise ValueError(f"{name} entries overlap ({before.end} >= {after.start})")
        return self


class Network(_Model):
    """Facts about the network of agreements as a whole."""

    cocflow_rules: Literal[1]
    version: str = Field(min_length=1)
    agreements_list: tuple[Source, ...] = Field(min_length=1)
    united_states: tuple[str, ...] = Field(min_length=1)
    united_states_sources: tuple[Source, ...] = Field(min_length=1)
    note: str | None = None

    @cached_property
    def united_states_sources_urls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.url for s in self.united_states_sources))

    @cached_property
    def us_codes(self) -> frozenset[str]:
        """The codes that count as the United States (states and territories)."""
        return frozenset(self.united_states)

    @cached_property
    def urls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.url for s in self.agreements_list))
