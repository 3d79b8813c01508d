"""Reading one roster cell: dates in the chosen order, kinds of worker and countries as
advisors spell them, statements, e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from functools import lru_cache

from cocflow.case import WorkerKind
from cocflow.countries import normalize_country
from cocflow.dates import long_date
from cocflow.errors import clip
from cocflow.interview.roster.fields import DATE_ORDERS, DateOrder, _fold
from cocflow.isodate import check_plausible

# --- Reading one cell ---------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value cannot be used: ``code``, a message (``str()``) and a ``fix`` for people."""

    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.code = code
        self.fix = fix


def _shown(value: str) -> str:
    return clip(value, 60)


_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d+)")
_DATE_FIX = (
    "write the date as YYYY-MM-DD (2027-03-31), or as day/month/year or month/day/year "
    "with a four-digit year."
)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _words(day: date) -> str:
    return long_date(day)


def _plausible(day: date) -> date:
    try:
        return check_plausible(day)
    except ValueError as exc:
        raise CellError(
            "DATE_OUT_OF_RANGE",
            f"{exc}.",
            "check the year; for work with no end date, leave the cell blank.",
        ) from None


def parse_date(text: str, order: DateOrder | None) -> date:
    """The date a roster cell writes, or :class:`CellError`.

    ``YYYY-MM-DD`` (also with ``/`` or ``.``) is always read, whatever the order. A date that
    ends with the year (``/``, ``.`` or ``-`` between its parts) is read in ``order``; with no
    order chosen it is read when only one order makes it a real date (``18/02/2027``,
    ``02/18/2027``, ``03/03/2027``) and refused as ambiguous otherwise (``03/04/2027``). Two-digit
    years are refused: ``27`` could be 1927 or 2027."""
    value = text.strip()
    if m := _YEAR_FIRST.fullmatch(value):
        found = _day(int(m[1]), int(m[3]), int(m[4]))
        if found is None:
            raise CellError(
                "BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX
            )
        return _plausible(found)
    m = _YEAR_LAST.fullmatch(value)
    if m is None:
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a date.", _DATE_FIX)
    first, second, year_text = int(m[1]), int(m[3]), m[4]
    if len(year_text) != 4:
        raise CellError(
            "TWO_DIGIT_YEAR" if len(year_text) == 2 else "BAD_DATE",
            f"'{_shown(value)}' does not give the year with four digits.",
            "write the year in full (2027, not 27).",
        )
    year = int(year_text)
    dmy, mdy = _day(year, second, first), _day(year, first, second)
    if order == "YMD":
        raise CellError(
            "DATE_ORDER_MISMATCH",
            f"'{_shown(value)}' ends with the year, but the date order chosen is year-month-day.",
            "choose the date order the file uses (day/month/year or month/day/year).",
        )
    if order is not None:
        chosen, other = (dmy, mdy) if order == "DMY" else (mdy, dmy)
        if chosen is not None:
            return _plausible(chosen)
        if other is not None:
            name = DATE_ORDERS[order].split(" (")[0]
            other_name = DATE_ORDERS["MDY" if order == "DMY" else "DMY"].split(" (")[0]
            raise CellError(
                "DATE_ORDER_MISMATCH",
                f"'{_shown(value)}' is not a real date in {name} order "
                f"(it would be {_words(other)} in {other_name} order).",
                "correct the date, or choose the date order the whole file uses.",
            )
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX)
    if dmy is not None and mdy is not None and dmy != mdy:
        raise CellError(
            "AMBIGUOUS_DATE",
            f"'{_shown(value)}' could be {_words(dmy)} or {_words(mdy)}.",
            "choose the date order (day/month/year or month/day/year) once for the file.",
        )
    found = dmy or mdy
    if found is None:
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX)
    return _plausible(found)


_SELF_EMPLOYED = (
    "self_employed",
    "self-employed",
    "self employment",
    "selfemployed",
    "freelancer",
    "freelance",
    "contractor",
    "independent contractor",
    "independent",
    "sole proprietor",
    "sole trader",
    "1099",
)
_EMPLOYEE = (
    "employee",
    "employed",
    "salaried",
    "posted",
    "posted worker",
    "seconded",
    "secondee",
    "W-2",
)
_KINDS: dict[str, WorkerKind] = {_fold(k): "self_employed" for k in _SELF_EMPLOYED}
_KINDS |= {_fold(k): "employee" for k in _EMPLOYEE}


def parse_kind(text: str) -> WorkerKind:
    """``self_employed`` or ``employee`` from the ways people write them, or :class:`CellError`."""
    found = _KINDS.get(_fold(text))
    if found is None:
        raise CellError(
            "BAD_KIND",
            f"'{_shown(text.strip())}' is not a kind of worker.",
            "write Self-employed or Employee (freelancer, contractor, posted and seconded "
            "are understood too).",
        )
    return found


_COUNTRY_ALIASES: dict[str, str] = {
    _fold(name): code
    for code, names in {
        "US": ("USA", "U.S.", "U.S.A.", "United States", "United States of America", "America"),
        "GB": (
            "UK",
            "U.K.",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
            "United Kingdom",
        ),
        "NL": ("Holland", "The Netherlands", "Netherlands", "Nederland"),
        # The U.S. agreement is with the Republic of Korea; no one works under it in the North.
        "KR": ("Korea", "South Korea", "Republic of Korea", "Korea, Republic of"),
        "CZ": ("Czechia", "Czech Republic", "Czech Rep.", "Česko", "Česká republika"),
        "SK": ("Slovakia", "Slovak Republic", "Slovensko"),
        "DE": ("Deutschland",),
        "AT": ("Österreich",),
        "CH": ("Schweiz", "Suisse", "Svizzera"),
        "ES": ("España",),
        "IT": ("Italia",),
        "BE": ("België", "Belgique"),
        "BR": ("Brasil",),
        "PL": ("Polska",),
        "SE": ("Sverige",),
        "NO": ("Norge",),
        "DK": ("Danmark",),
        "FI": ("Suomi",),
        "SI": ("Slovenija",),
        "IE": ("Éire",),
        "IS": ("Ísland",),
        "HU": ("Magyarország",),
    }.items()
    for name in names
}


@lru_cache(maxsize=1024)
def _normalize_country(text: str) -> str:
    """:func:`normalize_country`, remembered: a name is looked up once per import, not per row."""
    return normalize_country(text)


def parse_country(text: str) -> str:
    """The ISO 3166-1 alpha-2 code of a country as people write it ("UK", "Holland", "Korea",
    "U.S.", an ISO code or an English name), or :class:`CellError`."""
    code = _COUNTRY_ALIASES.get(_fold(text))
    if code is not None:
        return code
    try:
        return _normalize_country(text)
    except ValueError as exc:
        raise CellError(
            "BAD_COUNTRY", f"{exc}.", "write the country's English name or its ISO code (PT)."
        ) from None


def _countries(text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    bad: list[str] = []
    for part in filter(None, (p.strip() for p in re.split(r"[;,/]", text))):
        try:
            found[parse_country(part)] = None
        except CellError:
            bad.append(part)
    if bad:
        raise CellError(
            "BAD_COUNTRY",
            ", ".join(f"'{_shown(b)}'" for b in bad) + " is not a country name or ISO code.",
            "write each country's English name or ISO code, separated by ; (US;IT).",
        )
    return tuple(found)


def _statements(text: str, known: Collection[str] | None) -> dict[str, bool]:
    """``id=yes;id=no`` as in the batch roster; every wrong part is named in one message."""
    result: dict[str, bool] = {}
    malformed: list[str] = []
    unknown: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        key = key.strip()
        answer = {"yes": True, "true": True, "no": False, "false": False}.get(value.strip().lower())
        if not sep or answer is None or not key:
            malformed.append(part)
        elif known is not None and key not in known:
            unknown.append(key)
        else:
            result[key] = answer
    if malformed:
        raise CellError(
            "BAD_STATEMENT",
            ", ".join(f"'{_shown(p)}'" for p in malformed) + " is not written as id=yes or id=no.",
            "separate statements with ';', e.g. private_health_insurance=yes.",
        )
    if unknown:
        raise CellError(
            "UNKNOWN_STATEMENT",
            ", ".join(f"'{_shown(k)}'" for k in unknown) + " is not a condition of any agreement.",
            f"use one of: {', '.join(sorted(known or ())) or '(none)'}.",
        )
    return result


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(text: str) -> str:
    if not _EMAIL.fullmatch(text):
        raise CellError(
            "BAD_EMAIL",
            f"'{_shown(text)}' is not an email address.",
            "write one address such as name@example.com, or leave the cell blank.",
        )
    return text


def _text(text: str) -> str:
    return " ".join(text.split())
