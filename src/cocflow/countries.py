"""ISO 3166-1 country codes: validation, English names and display names."""

from __future__ import annotations

from functools import cache

__all__ = ["UNITED_STATES", "country_name", "is_subdivision", "normalize_country"]

UNITED_STATES = "US"


# Names that read with "the" in running text ("work in the Netherlands").
_ARTICLE_WORDS = (
    "Republic",
    "Kingdom",
    "States",
    "Emirates",
    "Islands",
    "Netherlands",
    "Philippines",
    "Bahamas",
    "Gambia",
    "Federation",
)


@cache
def _codes() -> dict[str, str]:
    import pycountry  # imported on first use: it is slow to load

    names = {}
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        if any(word in name for word in _ARTICLE_WORDS):
            name = "the " + name
        names[c.alpha_2] = name
    return names


def country_name(code: str) -> str:
    """The English short name of an ISO code for running text (the code itself if unknown)."""
    return _codes().get(code, code)


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
        hint = " (the United Kingdom is GB)" if upper == "UK" else _did_you_mean(text)
        raise ValueError(
            f"'{text}' is not an ISO 3166-1 country code or English country name{hint}"
        ) from None
    return code


def _did_you_mean(text: str) -> str:
    """A close country name for a misspelt one (" (did you mean Portugal?)"), or nothing."""
    import difflib

    import pycountry

    names = {c.name.lower(): c.name for c in pycountry.countries}
    names |= {
        c.common_name.lower(): c.common_name
        for c in pycountry.countries
        if getattr(c, "common_name", None)
    }
    close = difflib.get_close_matches(text.lower()[:60], list(names), n=1, cutoff=0.75)
    return f" (did you mean {names[close[0]]}?)" if close else ""


def is_subdivision(country: str, region: str) -> bool:
    """Whether ``country-region`` is an ISO 3166-2 code (``CA``, ``QC`` -> CA-QC)."""
    import pycountry

    found = pycountry.subdivisions.get(code=f"{country}-{region}")  # type: ignore[no-untyped-call]
    return found is not None
