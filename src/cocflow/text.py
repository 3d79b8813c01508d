"""Checks on any text cocflow takes in, shared by every parser (case files, rosters, trip logs,
calendars, rules)."""

from __future__ import annotations

import re

__all__ = ["control_character"]

# Unicode's control characters (category Cc: C0, DEL and C1), less tab, line feed and return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character of ``text`` other than tab and line breaks, as ``U+XXXX``.

    Text a person or a file supplies never needs one, and they do harm: a NUL byte breaks
    databases and documents, an escape sequence rewrites the terminal that shows the text."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None
