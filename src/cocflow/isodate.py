"""Strict ISO calendar dates (``YYYY-MM-DD`` and nothing else)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["EARLIEST", "LATEST", "IsoDate", "check_plausible", "parse_iso_date"]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

# Every date cocflow takes in (work, residence, birth, business, as-of, travel) lies in this
# range: a year 0001 or 9999 is a typing mistake, and dates near the calendar's ends break date
# arithmetic (a 60-month limit from 9999-01-01 does not exist).
EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)


def check_plausible(day: date) -> date:
    """``day`` if it lies between :data:`EARLIEST` and :data:`LATEST`, else ``ValueError``."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(
            f"'{day.isoformat()}' is outside the dates cocflow accepts ({EARLIEST} to {LATEST})"
        )
    return day


def parse_iso_date(value: Any) -> date:
    """Return the date written as ``YYYY-MM-DD``; raise ``ValueError`` with a reason otherwise."""
    if isinstance(value, datetime):  # a YAML !!timestamp with a time of day
        raise ValueError(f"'{value}' is a date and a time; write the date alone, as YYYY-MM-DD")
    if isinstance(value, date):
        return check_plausible(value)
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        raise ValueError(f"'{value}' is not a date written as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a real calendar date") from None
    return check_plausible(day)


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
