"""ISO 3166-1 country codes: validation, English names and display names."""

from __future__ import annotations

from functools import cache

__all__ = ["UNITED_STATES", "country_name", "normalize_country"]

UNITED_STATES = "US"


@cache
def _codes() -> dict[str, str]:
    import pycountry  # imported on first use: it is slow to load

    return {c.alpha_2: c.name for c in pycountry.countries}


def country_name(code: str) -> str:
    """The English short name of an ISO code (the code itself if unknown)."""
    name = _codes().get(code, code)
    return "the United States" if code == UNITED_STATES else name


def normalize_country(value: object) -> str:
    """Return the ISO 3166-1 alpha-2 code for a code or an English country name.

    Raises ``ValueError`` with a message a person can act on.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a country is required as an ISO 3166-1 alpha-2 code such as PT")
    text = value.strip()
    upper = text.upper()
    if len(upper) == 2 and upper in _codes():
        return upper
    import pycountry

    try:
        code: str = pycountry.countries.lookup(text).alpha_2
    except LookupError:
        hint = " (the United Kingdom is GB)" if upper == "UK" else ""
        raise ValueError(
            f"'{text}' is not an ISO 3166-1 country code or English country name{hint}"
        ) from None
    return code
