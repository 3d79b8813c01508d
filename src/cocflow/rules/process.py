"""The schema of ``process.yaml``: how SSA takes certificate requests, with sources."""

from __future__ import annotations

from pydantic import Field

from cocflow.rules.model import TextFact, _Model, _Sourced

__all__ = ["FieldLimits", "Process"]


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
    self_employed_mail_only_claim: TextFact
    email_confirmation: TextFact
    request_before_start: TextFact
    processing_days: IntFact
    buffer_days: int = Field(ge=0)
    field_limits: FieldLimits
