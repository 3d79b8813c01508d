"""U.S. Social Security numbers: shape, validity, and the numbers that are something else.

Validity follows SSA's never-issued rules (area 000, 666 and 900-999; group 00; serial 0000)
and its known sample numbers, through python-stdnum. Numbers of another kind typed into the
SSN field (an ITIN or an EIN) get their own code. Nothing here ever returns more than the last
four digits of the number in a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.us import ein, itin
from stdnum.us import ssn as stdnum_ssn

__all__ = ["SsnProblem", "check_ssn", "mask", "normalize"]

SOURCE = "https://secure.ssa.gov/apps10/poms.nsf/lnx/0110201035"


@dataclass(frozen=True, slots=True)
class SsnProblem:
    code: str
    message: str
    fix: str


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def mask(value: str) -> str:
    """``XXX-XX-6789``: the only form of an SSN shown on screen or in logs."""
    digits = _digits(value)
    return f"XXX-XX-{digits[-4:]}" if len(digits) >= 4 else "XXX-XX-XXXX"


def normalize(value: str) -> str:
    """``123-45-6789`` from any spacing or dashes (the caller checks validity first)."""
    d = _digits(value)
    return f"{d[:3]}-{d[3:5]}-{d[5:]}"


def check_ssn(value: str) -> SsnProblem | None:
    """``None`` for a number SSA could have issued, else what is wrong with it."""
    text = value.strip()
    ending = f"(ending {_digits(text)[-4:]})" if len(_digits(text)) >= 4 else ""
    if re.fullmatch(r"\d{2}-\d{7}", text) or (ein.is_valid(text) and "-" in text[:3]):
        return SsnProblem(
            "SSN_IS_EIN",
            f"This looks like an employer identification number (EIN), not an SSN {ending}.",
            "enter the person's own Social Security number; the EIN belongs to a business.",
        )
    if not re.fullmatch(r"\d{3}[- ]?\d{2}[- ]?\d{4}", text):
        return SsnProblem(
            "SSN_FORMAT",
            "An SSN has nine digits, written 000-00-0000.",
            "copy the number from the Social Security card.",
        )
    if itin.is_valid(normalize(text)):
        return SsnProblem(
            "SSN_IS_ITIN",
            f"This is an individual taxpayer identification number (ITIN), not an SSN {ending}.",
            "a certificate request needs the Social Security number; an ITIN cannot be used.",
        )
    try:
        stdnum_ssn.validate(normalize(text))
    except ValidationError:
        digits = _digits(text)
        area, group, serial = digits[:3], digits[3:5], digits[5:]
        if area in ("000", "666") or area[0] == "9":
            return SsnProblem(
                "SSN_INVALID_AREA",
                f"SSA never issues numbers whose first three digits are 000, 666 or 900-999 "
                f"{ending}.",
                "check the first three digits on the card.",
            )
        if group == "00":
            return SsnProblem(
                "SSN_INVALID_GROUP",
                f"SSA never issues numbers with 00 in the middle {ending}.",
                "check the middle two digits on the card.",
            )
        if serial == "0000":
            return SsnProblem(
                "SSN_INVALID_SERIAL",
                "SSA never issues numbers ending 0000.",
                "check the last four digits on the card.",
            )
        return SsnProblem(
            "SSN_KNOWN_SAMPLE",
            f"This is a published sample number {ending}, not a real SSN.",
            "enter the person's own number from the card.",
        )
    return None
