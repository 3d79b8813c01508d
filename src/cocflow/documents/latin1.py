"""Text for the core PDF fonts (Helvetica), which print latin-1 only.

Kept apart from the document renderers so that the filing checks can tell, without loading
the PDF library, which values a letter could not print.
"""

from __future__ import annotations

import unicodedata

__all__ = ["to_latin1", "unprintable"]

# Typographic characters mapped to plain ASCII (even where latin-1 has them, like NBSP).
_TYPOGRAPHIC = {
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u2002": " ",
    "\u2003": " ", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u00ad": "",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2039": "<", "\u203a": ">",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-",
    "\u2014": "--", "\u2015": "--",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u20ac": "EUR", "\u2122": "(TM)",
    # Latin letters without a decomposition (NFKD below handles the accented rest)
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i",
    "\u0152": "OE", "\u0153": "oe", "\u0126": "H", "\u0127": "h", "\u0166": "T",
    "\u0167": "t", "\u014a": "N", "\u014b": "n", "\u0138": "q",
}  # fmt: skip


def to_latin1(text: str) -> str:
    """Text that the core PDF fonts can print: latin-1, typographic marks made ASCII.

    Accented letters latin-1 has (é, ã, ü) stay; others lose their accent (ć -> c,
    Ż -> Z, Ł -> L); control characters become spaces (except newlines); a
    character with no sensible latin-1 form becomes ``?``.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TYPOGRAPHIC:
            out.append(_TYPOGRAPHIC[ch])
        elif ch == "\n":
            out.append(ch)
        elif unicodedata.category(ch) == "Cc":
            out.append(" ")
        elif ord(ch) < 256:
            out.append(ch)
        else:
            kept = "".join(
                c
                for c in unicodedata.normalize("NFKD", ch)
                if ord(c) < 256 and not unicodedata.combining(c)
            )
            out.append(kept or "?")
    return "".join(out)


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` that :func:`to_latin1` can only print as ``?``."""
    found = []
    for ch in unicodedata.normalize("NFC", text):
        if ch != "?" and ch not in found and to_latin1(ch) == "?":
            found.append(ch)
    return found
