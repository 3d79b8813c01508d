"""Checks on any text cocflow takes in, shared by every parser (case files, rosters, trip logs,
calendars, rules)."""

from __future__ import annotations

import unicodedata

__all__ = ["control_character"]

_LINE_CONTROLS = frozenset("\t\n\r")


def control_character(text: str) -> str | None:
    """The first control character of ``text`` other than tab and line breaks, as ``U+XXXX``.

    Text a person or a file supplies never needs one, and they do harm: a NUL byte breaks
    databases and documents, an escape sequence rewrites the terminal that shows the text."""
    for ch in text:
        if ch not in _LINE_CONTROLS and unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None
