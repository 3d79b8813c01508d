"""Reading CSV strictly: every record with the line it starts on, and nothing lost silently.

Python's csv module, left to itself, reads an unclosed quote to the end of the file as one
value, numbers records by the line they end on, and stops at the first value over 131,072
characters. The reader here refuses bad quoting with the line it starts on, numbers records by
their first line, skips blank lines, and leaves size limits to the callers (who cap the input
and each value).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["MAX_CELL", "CsvSyntaxError", "records", "spreadsheet_safe", "to_csv"]

MAX_CELL = 10_000  # characters in one value: more is a mistake (or an attack), never data


class CsvSyntaxError(ValueError):
    """The text is not CSV from ``line`` on (usually a quote that is never closed)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line, values)`` of every non-blank record of ``text`` (a BOM is ignored)."""
    # One value may be as long as the whole text; callers cap the text's size.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            detail = str(exc)
            if "unexpected end of data" in detail or "EOF" in detail:
                detail = "a quoted value is never closed"
            raise CsvSyntaxError(
                line, f"the file is not valid CSV from here on: {detail}"
            ) from None
        if any(cell.strip() for cell in row):
            yield line, row
        line = reader.line_num + 1


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula (``=HYPERLINK(...)``,
    ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe (OWASP's rule for
    CSV injection). Every value a user typed can reach a decision or errors file."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV of ``rows`` under ``header``, every cell made spreadsheet-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(h) for h in header])
    writer.writerows([spreadsheet_safe(c) for c in row] for row in rows)
    return buffer.getvalue().encode("utf-8")
