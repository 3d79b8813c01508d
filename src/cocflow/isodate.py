"""Strict ISO calendar dates (``YYYY-MM-DD`` and nothing else)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["IsoDate", "parse_iso_date"]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_date(value: Any) -> date:
    """Return the date written as ``YYYY-MM-DD``; raise ``ValueError`` with a reason otherwise."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        raise ValueError(f"'{value}' is not a date written as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a real calendar date") from None


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
