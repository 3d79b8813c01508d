"""Reading a client roster an advisor uploads: a CSV file or an Excel workbook, as a table of text.

Spreadsheets reach cocflow in many shapes: Excel's CSV in a European locale separates values
with ``;``, older Windows exports are cp1252 rather than UTF-8, "Unicode text" is UTF-16 with
tabs, and a workbook stores dates and numbers as typed values. :func:`read_table` turns each into
the same :class:`Table`: the headings, then each row's cells as text (dates as ``YYYY-MM-DD``,
whole numbers without ``.0``) with the row number a spreadsheet shows for it, so a problem
reported on "row 7" is found on row 7. What the cells mean is the core's business
(:mod:`cocflow.interview.roster`); nothing here interprets or refuses a value.

The input is untrusted: its size, its rows and columns and a workbook's unpacked size are
bounded, and whatever is wrong with the file (a broken workbook, a password, the wrong format)
is an :class:`~cocflow.errors.InputError` in words an advisor can act on, never a library's
traceback.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from cocflow.errors import InputError, Problem, clip
from cocflow.interview.roster import column_letter

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Table",
    "read_table",
]

MAX_BYTES = 10 * 1024 * 1024  # a roster of 50,000 rows is a few megabytes
MAX_ROWS = 50_000  # rows below the header row
MAX_COLUMNS = 200  # a roster has about twenty
UNPACK_FACTOR = 20  # a workbook may unpack to this many times its size (text compresses ~10x)
_EXCEL_ROWS = 1_048_576  # Excel's last row: a sheet claiming more is not a spreadsheet

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
OTHER_SPREADSHEETS = frozenset({".xls", ".ods", ".numbers", ".xlsb"})
DELIMITERS = (",", ";", "\t")

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and any workbook saved with a password
_SAVE_AS = (
    "open it in Excel (or another spreadsheet) and save it as Excel Workbook (.xlsx) or as "
    "CSV, then upload that file."
)


@dataclass(frozen=True, slots=True)
class Table:
    """A roster as text: its headings and, for each row below them, the cells and the row number
    a spreadsheet shows (``row_numbers[i]`` is the number of ``rows[i]``).

    Headings are trimmed; a blank heading above data is named after its column ("Column C") and
    a repeated one gets a number ("Notes (2)"), so every heading names one column. Rows with no
    value are left out; a row's trailing blank cells are dropped (the core pads rows)."""

    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    header_row: int = 1
    format: Literal["csv", "xlsx"] = "csv"
    delimiter: str | None = None  # CSV only
    encoding: str | None = None  # CSV only

    def numbered_rows(self) -> list[tuple[int, list[str]]]:
        """``(row number, cells)`` of every row, as :func:`cocflow.interview.roster.import_rows`
        takes them."""
        return list(zip(self.row_numbers, self.rows, strict=True))


def _refuse(filename: str, code: str, message: str, fix: str) -> InputError:
    return InputError([Problem("FILE", code, message, fix)], _name(filename) if filename else None)


def _name(filename: str) -> str:
    """The file's name without its folders (a browser may send a whole Windows path)."""
    return clip(re.split(r"[\\/]", filename)[-1], 80) or "the file"


def _suffix(filename: str) -> str:
    name = _name(filename)
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def read_table(
    data: bytes,
    filename: str,
    *,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    max_columns: int = MAX_COLUMNS,
) -> Table:
    """The table of a roster file's bytes, read as CSV or as an Excel workbook (its first sheet).

    The format is taken from the file's content where it tells (a workbook is a zip archive),
    else from its name: ``.csv``, ``.txt`` and ``.tsv`` are CSV, ``.xlsx`` and ``.xlsm``
    workbooks. Raises :class:`InputError` (path ``FILE``) for a file that is too large, has too
    many rows or columns, is empty, or is not a CSV file or a readable workbook."""
    name = _name(filename)
    if len(data) > max_bytes:
        raise _refuse(
            filename,
            "TOO_LARGE",
            f"{name} is {len(data):,} bytes; at most {max_bytes:,} are read.",
            "check that this is the roster, or split it into smaller files.",
        )
    suffix = _suffix(filename)
    known = CSV_SUFFIXES | XLSX_SUFFIXES | OTHER_SPREADSHEETS
    if suffix not in known:
        raise _refuse(
            filename,
            "UNKNOWN_FORMAT",
            f"{name} is not a CSV file (.csv) or an Excel workbook (.xlsx).",
            _SAVE_AS,
        )
    if data.startswith(_OLE):
        raise _refuse(
            filename,
            "OLD_OR_PROTECTED_WORKBOOK",
            f"{name} is an old-format Excel workbook (.xls) or a workbook protected by a "
            "password; neither can be read.",
            "remove the password if there is one; " + _SAVE_AS,
        )
    if suffix in OTHER_SPREADSHEETS:
        raise _refuse(
            filename,
            "UNSUPPORTED_SPREADSHEET",
            f"{name} is saved as {suffix}; cocflow reads .xlsx workbooks and CSV files.",
            _SAVE_AS,
        )
    if data.startswith(_ZIP):  # a workbook, whatever its name says
        return _read_xlsx(
            data, filename, max_rows=max_rows, max_bytes=max_bytes, max_columns=max_columns
        )
    if suffix in XLSX_SUFFIXES:
        raise _refuse(
            filename,
            "NOT_A_WORKBOOK",
            f"{name} is named like an Excel workbook but is not one.",
            _SAVE_AS,
        )
    return _read_csv(data, filename, max_rows=max_rows, max_columns=max_columns)


# --- CSV ----------------------------------------------------------------------------------------


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """The text and its encoding: UTF-16 with a byte-order mark (Excel's "Unicode text"),
    UTF-8 (with or without a mark), else Windows-1252 (older Excel on Windows)."""
    candidates: tuple[str, ...]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text, encoding.removesuffix("-sig")
    raise _refuse(
        filename,
        "NOT_TEXT",
        f"{_name(filename)} is not a text file, so it cannot be read as CSV.",
        _SAVE_AS,
    )


def _delimiter(line: str) -> str:
    """The separator of a header line: whichever of ``,`` ``;`` and tab it holds most often
    outside quotes (a comma when it holds none: a one-column file)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, values)`` of every record, numbered as a spreadsheet numbers them (a value
    spanning lines is one row); a quote that is never closed refuses the file from its row."""
    # One value may be as long as the whole text; the caller caps the text's size.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvError(number, str(exc)) from None
        yield number, values


class _CsvError(Exception):
    def __init__(self, row: int, detail: str) -> None:
        super().__init__(detail)
        self.row = row


def _read_csv(data: bytes, filename: str, *, max_rows: int, max_columns: int) -> Table:
    text, encoding = _decode(data, filename)
    text = text.removeprefix("\ufeff")
    top, _, rest = text.partition("\n")
    hint = re.fullmatch(r'"?sep=([,;\t|])"?[,;\t]*', top.rstrip("\r"))
    if hint:  # Excel's own "sep=;" line: it names the separator and is not a row
        delimiter, text = hint[1], rest
    else:
        delimiter = _delimiter(next((line for line in text.splitlines() if line.strip()), ""))
    try:
        return _table(
            _records(text, delimiter),
            filename,
            max_rows=max_rows,
            max_columns=max_columns,
            format="csv",
            delimiter=delimiter,
            encoding=encoding,
        )
    except _CsvError as exc:
        detail = str(exc)
        if "unexpected end of data" in detail or "EOF" in detail:
            detail = "a quoted value is never closed"
        raise _refuse(
            filename,
            "BAD_CSV",
            f"the file cannot be read as CSV from row {exc.row} on ({detail}).",
            "close the quote (or remove it) in that row, save, and upload the file again.",
        ) from None


# --- Building the table -------------------------------------------------------------------------


def _trimmed(values: Sequence[str]) -> list[str]:
    """The cells less the blank ones at the end."""
    end = len(values)
    while end and not values[end - 1].strip():
        end -= 1
    return list(values[:end])


def _headings(cells: Sequence[str], width: int) -> list[str]:
    """Trimmed headings for ``width`` columns: a blank one named after its column, a repeated
    one numbered, so each heading names one column."""
    headers: list[str] = []
    seen: set[str] = set()
    for i in range(width):
        heading = " ".join(cells[i].split()) if i < len(cells) else ""
        heading = heading or f"Column {column_letter(i)}"
        base, n = heading, 1
        while heading.casefold() in seen:
            n += 1
            heading = f"{base} ({n})"
        seen.add(heading.casefold())
        headers.append(heading)
    return headers


def _table(
    records: Iterable[tuple[int, Sequence[str]]],
    filename: str,
    *,
    max_rows: int,
    max_columns: int,
    format: Literal["csv", "xlsx"],
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """The table of ``(row number, cells)`` records: the first row with a value is the header
    row; blank rows are left out; the limits are checked as the rows come."""
    header: list[str] | None = None
    header_row = 0
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, values in records:
        cells = _trimmed(values)
        if not cells:
            continue
        if len(cells) > max_columns:
            raise _refuse(
                filename,
                "TOO_MANY_COLUMNS",
                f"row {number} has {len(cells):,} columns; at most {max_columns:,} are read.",
                "delete the columns that are not part of the roster, or check that this is the "
                "roster.",
            )
        if header is None:
            header, header_row = cells, number
            continue
        if len(rows) >= max_rows:
            raise _refuse(
                filename,
                "TOO_MANY_ROWS",
                f"the file has more than {max_rows:,} rows below the header row.",
                f"split it into files of at most {max_rows:,} rows, each with the header row.",
            )
        rows.append(cells)
        numbers.append(number)
    if header is None:
        raise _refuse(
            filename,
            "EMPTY",
            f"{_name(filename)} holds no rows.",
            "check that this is the roster; its first row should name the columns.",
        )
    # A value right of the last heading gets no heading here: the core reports it by its column
    # letter (in a CSV file it is usually a value with an unquoted separator).
    headers = _headings(header, len(header))
    return Table(headers, rows, numbers, header_row, format, delimiter, encoding)


# --- XLSX ---------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A workbook cell as text: dates as ``YYYY-MM-DD`` (a date-and-time cell keeps its date),
    whole numbers without ``.0``, TRUE/FALSE as Excel shows them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _unpacked_size(data: bytes, filename: str, limit: int) -> None:
    """Refuse a workbook that is not a zip archive of a workbook, or that would unpack to more
    than ``limit`` bytes (a small file that unpacks to gigabytes is an attack)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse(
            filename,
            "NOT_A_WORKBOOK",
            f"{_name(filename)} is damaged or is not an Excel workbook.",
            _SAVE_AS,
        ) from None
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise _refuse(
            filename,
            "NOT_A_WORKBOOK",
            f"{_name(filename)} is a zip archive but not an Excel workbook.",
            _SAVE_AS,
        )
    if sum(m.file_size for m in members) > limit:
        raise _refuse(
            filename,
            "TOO_LARGE",
            f"{_name(filename)} unpacks to more than {limit:,} bytes.",
            "delete what is not part of the roster (other sheets, pictures), or save the "
            "roster as CSV.",
        )


def _read_xlsx(
    data: bytes, filename: str, *, max_rows: int, max_bytes: int, max_columns: int
) -> Table:
    _unpacked_size(data, filename, max_bytes * UNPACK_FACTOR)
    # openpyxl has no type information; its XML is parsed with defusedxml (installed with it).
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    broken = _refuse(
        filename,
        "NOT_A_WORKBOOK",
        f"{_name(filename)} is damaged and cannot be read.",
        _SAVE_AS,
    )
    with warnings.catch_warnings():
        # openpyxl warns of parts it skips (data validation, slicers): none matters for a roster.
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # any failure of the library is a damaged file to the advisor
            raise broken from None
        return _first_sheet(workbook, filename, broken, max_rows=max_rows, max_columns=max_columns)


def _first_sheet(
    workbook: Any, filename: str, broken: InputError, *, max_rows: int, max_columns: int
) -> Table:
    """The table of the workbook's first sheet; the workbook is closed afterwards."""
    try:
        if not workbook.worksheets:
            raise _refuse(
                filename,
                "NO_SHEET",
                f"{_name(filename)} has no sheet of cells.",
                "put the roster on the first sheet.",
            )
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a workbook claims may be wrong: read every row

        def records() -> Iterator[tuple[int, list[str]]]:
            # Each row as wide as its last cell (no padding to the sheet's width); a row wider
            # than the limit keeps one column more, for _table to refuse it.
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > _EXCEL_ROWS:
                    return
                if values.count(None) == len(values):  # a blank row, quickly
                    continue
                yield number, [_cell_text(v) for v in values[: max_columns + 1]]

        return _table(
            records(), filename, max_rows=max_rows, max_columns=max_columns, format="xlsx"
        )
    except InputError:
        raise
    except Exception:  # a sheet that breaks while being read
        raise broken from None
    finally:
        workbook.close()
