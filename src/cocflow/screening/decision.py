"""A screening decision and its JSON form (contract section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cocflow.rules.model import Document

__all__ = ["Certificate", "Coverage", "Decision", "Outcome", "Reason", "Segment", "Severity"]

Outcome = Literal["go", "no_go", "pause", "not_needed"]
Coverage = Literal["us", "foreign", "dual_risk", "undetermined"]
Certificate = Literal["us", "foreign", "none", "undetermined"]
Severity = Literal["decisive", "warning", "info"]

DECISION_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: a stable code, a sentence for a person, and the sources of the rule applied."""

    code: str
    text: str
    sources: tuple[str, ...]
    severity: Severity = "decisive"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "sources": list(self.sources),
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class Segment:
    """The decision for one engagement."""

    country: str
    start: date
    end: date | None
    agreement_country: bool
    agreement_in_force: bool
    coverage: Coverage
    certificate: Certificate
    reasons: tuple[Reason, ...]
    agreement: str | None = None
    limit_last_day: date | None = None
    limit_from: date | None = None
    document: Document | None = None  # what proves the coverage when no certificate is issued

    def as_dict(self) -> dict[str, Any]:
        document = None
        if self.document is not None:
            document = {
                "kind": self.document.kind,
                "issuer": self.document.issuer,
                "name": self.document.name,
                "requested_by": self.document.requested_by,
                "yearly_step": self.document.yearly_step,
                "sources": list(self.document.urls),
            }
        return {
            "country": self.country,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "agreement_country": self.agreement_country,
            "agreement_in_force": self.agreement_in_force,
            "coverage": self.coverage,
            "certificate": self.certificate,
            "reasons": [r.as_dict() for r in self.reasons],
            "agreement": self.agreement,
            "limit_last_day": self.limit_last_day.isoformat() if self.limit_last_day else None,
            "limit_from": self.limit_from.isoformat() if self.limit_from else None,
            "document": document,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for a whole case."""

    as_of: date
    outcome: Outcome
    country_covered: bool | None
    us_coverage_assigned: bool | None
    segments: tuple[Segment, ...]
    reasons: tuple[Reason, ...]
    next_actions: tuple[str, ...]
    missing_facts: tuple[str, ...]
    rules_version: str
    go_if: tuple[str, ...] = ()
    file_by: date | None = None  # for a go: when the request should reach SSA (an assumption)
    timing_note: str | None = None

    @property
    def request_now(self) -> bool:
        return self.outcome == "go"

    def all_reasons(self) -> tuple[Reason, ...]:
        return self.reasons + tuple(r for s in self.segments for r in s.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cocflow_decision": DECISION_FORMAT,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome,
            "checks": {
                "country_covered": self.country_covered,
                "us_coverage_assigned": self.us_coverage_assigned,
                "request_now": self.request_now,
            },
            "segments": [s.as_dict() for s in self.segments],
            "reasons": [r.as_dict() for r in self.reasons],
            "next_actions": list(self.next_actions),
            "missing_facts": list(self.missing_facts),
            "go_if": list(self.go_if),
            "file_by": self.file_by.isoformat() if self.file_by else None,
            "rules_version": self.rules_version,
        }
