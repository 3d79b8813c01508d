"""The schema of ``process.yaml``: how SSA takes certificate requests, with sources."""

from __future__ import annotations

from pydantic import Field

from cocflow.rules.model import Source, TextFact, _Model, _Sourced

__all__ = ["FieldLimits", "Process", "SupersededClaim"]


class SupersededClaim(_Model):
    """A claim still found in older material that SSA's current pages replace. It is kept, with
    where it was seen and what replaced it, so that nobody mistakes it for an open question."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    claim: str = Field(min_length=1)
    replaced_by: str = Field(min_length=1)
    claim_sources: tuple[Source, ...] = Field(min_length=1)
    current_sources: tuple[Source, ...] = Field(min_length=1)


class LinesFact(_Sourced):
    value: tuple[str, ...] = Field(min_length=1)


class IntFact(_Sourced):
    value: int = Field(gt=0)


class FieldLimits(_Model):
    """Assumed lengths of the online form's fields (SSA publishes none)."""

    note: str = Field(min_length=1)
    fields: dict[str, int]


class Process(_Model):
    cocflow_process: int = Field(ge=1, le=1)
    mail: LinesFact
    fax: TextFact
    online: TextFact
    superseded: tuple[SupersededClaim, ...] = ()
    email_confirmation: TextFact
    request_before_start: TextFact
    processing_days: IntFact
    buffer_days: int = Field(ge=0)
    field_limits: FieldLimits
