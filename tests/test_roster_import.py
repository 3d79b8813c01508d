"""Roster import: a client spreadsheet (CSV or XLSX) read as a table, mapped to fields, turned
into one case per client with every problem of every row reported at once."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from cocflow.case import Business, Case, Client, Employer, Engagement, Person, Residence, Worker
from cocflow.errors import InputError
from cocflow.interview import roster
from cocflow.interview.roster import (
    DateOrder,
    RosterImport,
    check_mapping,
    import_rows,
    mapping_key,
    parse_country,
    parse_date,
    parse_kind,
    suggest_mapping,
)
from cocflow.io.rosterfile import Table, read_table
from cocflow.services import batch

# --- helpers ------------------------------------------------------------------------------------


def xlsx(rows: Sequence[Sequence[Any]], *, second_sheet: bool = False) -> bytes:
    """A workbook made here, with typed cells (dates, numbers) as Excel stores them."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if second_sheet:
        book.create_sheet("Other").append(["not", "read"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    date_order: DateOrder | None = None,
    mapping: dict[str, str | None] | None = None,
) -> RosterImport:
    """Import rows numbered as a spreadsheet would (header row 1)."""
    return import_rows(
        headers,
        [(i, list(r)) for i, r in enumerate(rows, start=2)],
        suggest_mapping(headers) if mapping is None else mapping,
        date_order=date_order,
    )


def where(result: RosterImport) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in result.problems]


HEADERS = ["Ref", "Name", "Worker type", "Host country", "From", "Until", "Residence", "Notes"]

# --- mapping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Client ID", "client_id"),
        ("client_id", "client_id"),
        ("Ref", "client_id"),
        ("Reference", "client_id"),
        ("Client #", "client_id"),
        ("Name", "name"),
        ("Client", "name"),
        ("Client name", "name"),
        ("client_name", "client_name"),  # the batch roster's column: whom the work is for
        ("Customer", "client_name"),
        ("client_country", "client_country"),
        ("Client country", "client_country"),  # the batch meaning: the customer's country
        ("Worker type", "kind"),
        ("Status", "kind"),
        ("KIND", "kind"),
        ("Country of work", "country"),
        ("Host country", "country"),
        ("Country of the stay", "country"),
        ("Start date", "start"),
        ("Start date (DD/MM/YYYY) *", "start"),
        ("Assignment start date", "start"),
        ("From", "start"),
        ("End date", "end"),
        ("To", "end"),
        ("Until", "end"),
        ("Province", "region"),
        ("Country of residence", "residence_country"),
        ("Nationality", "citizenship"),
        ("Employer", "employer_name"),
        ("Employer country", "employer_country"),
        ("Hire date", "employer_hired"),
        ("In business since", "business_operating_since"),
        ("Statements", "statements"),
        ("Customer country", "client_country"),
        ("Job", "description"),
        ("E-mail", "email"),
        ("Date of birth", None),
        ("Notes", None),
        ("Phone", None),
    ],
)
def test_a_heading_suggests_its_field(heading: str, field: str | None) -> None:
    assert suggest_mapping([heading]) == {heading: field}


def test_a_field_goes_to_the_first_heading_that_names_it() -> None:
    mapping = suggest_mapping(["Ref", "Client ID", "From", "Start date", "Tel"])
    assert mapping == {
        "Ref": "client_id",
        "Client ID": None,
        "From": "start",
        "Start date": None,
        "Tel": None,
    }


def test_every_field_has_a_label_and_its_synonyms_name_only_it() -> None:
    for f in roster.FIELDS:
        assert f.label and f.help
        for heading in (f.label, *f.synonyms):
            assert suggest_mapping([heading])[heading] == f.id, heading


def test_the_mapping_key_is_the_set_of_headings() -> None:
    key = mapping_key(["Ref", "Start date", "Host country"])
    assert key == mapping_key(["host  COUNTRY", "ref", "Start date "])
    assert key != mapping_key(["Ref", "Start date", "Host country", "Notes"])
    assert key != mapping_key(["Ref", "Start date (MM/DD/YYYY)", "Host country"])
    assert key.startswith("roster-v1:")


def test_a_mapping_lists_everything_that_makes_it_unusable() -> None:
    headers = ["Ref", "From", "Start", "Tel"]
    mapping: dict[str, str | None] = {
        "Ref": "client_id",
        "From": "start",
        "Start": "start",
        "Tel": "phone",
        "Gone": None,
    }
    codes = {(p.path, p.code) for p in check_mapping(headers, mapping)}
    assert codes == {
        ("Start", "FIELD_TWICE"),
        ("Tel", "UNKNOWN_FIELD"),
        ("Gone", "UNKNOWN_COLUMN"),
        ("Worker type", "MISSING_FIELD"),
        ("Work country", "MISSING_FIELD"),
    }
    with pytest.raises(InputError) as caught:
        import_rows(headers, [], mapping)
    assert len(caught.value.problems) == 5


def test_headings_left_out_of_the_mapping_are_notes() -> None:
    headers = ["Ref", "Type", "Country", "Start", "Phone"]
    mapping: dict[str, str | None] = {
        "Ref": "client_id",
        "Type": "kind",
        "Country": "country",
        "Start": "start",
    }
    result = run(headers, [["A1", "employee", "JP", "2027-01-01", "555"]], mapping=mapping)
    assert result.clients[0].notes == {"Phone": "555"}


# --- spellings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Self-employed", "self_employed"),
        ("self employed", "self_employed"),
        ("SELF_EMPLOYED", "self_employed"),
        ("Freelancer", "self_employed"),
        ("contractor", "self_employed"),
        ("Sole proprietor", "self_employed"),
        ("Employee", "employee"),
        ("employed", "employee"),
        ("Posted", "employee"),
        ("seconded", "employee"),
        (" employee ", "employee"),
    ],
)
def test_kinds_as_people_write_them(text: str, kind: str) -> None:
    assert parse_kind(text) == kind


def test_an_unknown_kind_says_what_to_write() -> None:
    with pytest.raises(roster.CellError) as caught:
        parse_kind("intern")
    assert caught.value.code == "BAD_KIND"
    assert "Self-employed or Employee" in caught.value.fix


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Korea", "KR"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("United States", "US"),
        ("pt", "PT"),
        ("Portugal", "PT"),
        ("Deutschland", "DE"),
        ("Osterreich", "AT"),
        ("japan", "JP"),
    ],
)
def test_countries_as_people_write_them(text: str, code: str) -> None:
    assert parse_country(text) == code


def test_an_unknown_country_is_a_problem_with_a_hint() -> None:
    with pytest.raises(roster.CellError) as caught:
        parse_country("Portugl")
    assert caught.value.code == "BAD_COUNTRY"
    assert "did you mean Portugal" in str(caught.value)


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2027-02-18", None, date(2027, 2, 18)),
        ("2027-02-18", "DMY", date(2027, 2, 18)),
        ("2027-02-18", "MDY", date(2027, 2, 18)),
        ("2027/2/8", None, date(2027, 2, 8)),
        ("2027.02.08", "YMD", date(2027, 2, 8)),
        ("18/02/2027", None, date(2027, 2, 18)),
        ("02/18/2027", None, date(2027, 2, 18)),
        ("18.2.2027", None, date(2027, 2, 18)),
        ("18-02-2027", None, date(2027, 2, 18)),
        ("03/03/2027", None, date(2027, 3, 3)),  # the same in either order
        ("03/04/2027", "DMY", date(2027, 4, 3)),
        ("03/04/2027", "MDY", date(2027, 3, 4)),
        ("3.4.2027", "DMY", date(2027, 4, 3)),
        (" 2027-02-18 ", None, date(2027, 2, 18)),
    ],
)
def test_dates_are_read(text: str, order: DateOrder | None, expected: date) -> None:
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "order", "code"),
    [
        ("03/04/2027", None, "AMBIGUOUS_DATE"),
        ("03/04/27", "DMY", "TWO_DIGIT_YEAR"),
        ("18/02/27", None, "TWO_DIGIT_YEAR"),
        ("02/18/2027", "DMY", "DATE_ORDER_MISMATCH"),
        ("18/02/2027", "MDY", "DATE_ORDER_MISMATCH"),
        ("18/02/2027", "YMD", "DATE_ORDER_MISMATCH"),
        ("31/02/2027", "DMY", "BAD_DATE"),
        ("2027-02-30", None, "BAD_DATE"),
        ("13/13/2027", None, "BAD_DATE"),
        ("18/02/2027 10:00", None, "BAD_DATE"),
        ("next March", None, "BAD_DATE"),
        ("2027-02-18/2027-03-01", None, "BAD_DATE"),
        ("18/02/3027", None, "DATE_OUT_OF_RANGE"),
        ("0027-02-18", None, "DATE_OUT_OF_RANGE"),
    ],
)
def test_dates_that_are_refused(text: str, order: DateOrder | None, code: str) -> None:
    with pytest.raises(roster.CellError) as caught:
        parse_date(text, order)
    assert caught.value.code == code
    assert caught.value.fix


def test_an_ambiguous_date_names_both_readings_and_asks_for_the_order_once() -> None:
    with pytest.raises(roster.CellError) as caught:
        parse_date("03/04/2027", None)
    assert str(caught.value) == "'03/04/2027' could be 3 April 2027 or 4 March 2027."
    assert "date order" in caught.value.fix and "once" in caught.value.fix


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
separators = st.sampled_from("/.-")


def _write(day: date, order: DateOrder, sep: str, padded: bool) -> str:
    def part(n: int) -> str:
        return f"{n:02d}" if padded else str(n)

    parts = {
        "DMY": (part(day.day), part(day.month), f"{day.year:04d}"),
        "MDY": (part(day.month), part(day.day), f"{day.year:04d}"),
        "YMD": (f"{day.year:04d}", part(day.month), part(day.day)),
    }[order]
    return sep.join(parts)


@given(days, st.sampled_from(["DMY", "MDY", "YMD"]), separators, st.booleans())
def test_a_date_written_in_the_chosen_order_reads_back(
    day: date, order: DateOrder, sep: str, padded: bool
) -> None:
    assert parse_date(_write(day, order, sep, padded), order) == day


@given(days, st.sampled_from([None, "DMY", "MDY", "YMD"]))
def test_iso_dates_read_whatever_the_order(day: date, order: DateOrder | None) -> None:
    assert parse_date(day.isoformat(), order) == day


@given(days, st.sampled_from(["DMY", "MDY"]), separators)
def test_without_an_order_only_the_ambiguous_dates_are_refused(
    day: date, order: DateOrder, sep: str
) -> None:
    text = _write(day, order, sep, padded=True)
    if day.day <= 12 and day.day != day.month:
        with pytest.raises(roster.CellError) as caught:
            parse_date(text, None)
        assert caught.value.code == "AMBIGUOUS_DATE"
    else:
        assert parse_date(text, None) == day


# --- reading the file: CSV ----------------------------------------------------------------------

ROSTER_TEXT = 'Ref{d}Name{d}Start\nA1{d}Zoë{d}2027-03-01\nA2{d}"Smith{d} Jo"{d}2027-04-01\n'


@pytest.mark.parametrize(
    ("data", "delimiter", "encoding"),
    [
        (ROSTER_TEXT.format(d=",").encode(), ",", "utf-8"),
        (ROSTER_TEXT.format(d=";").encode(), ";", "utf-8"),
        (ROSTER_TEXT.format(d="\t").encode(), "\t", "utf-8"),
        (b"\xef\xbb\xbf" + ROSTER_TEXT.format(d=";").encode(), ";", "utf-8"),
        (ROSTER_TEXT.format(d=";").encode("cp1252"), ";", "cp1252"),
        (ROSTER_TEXT.format(d="\t").encode("utf-16"), "\t", "utf-16"),
        (ROSTER_TEXT.format(d=",").replace("\n", "\r\n").encode(), ",", "utf-8"),
        (("sep=;\n" + ROSTER_TEXT.format(d=";")).encode(), ";", "utf-8"),
    ],
)
def test_csv_separators_and_encodings(data: bytes, delimiter: str, encoding: str) -> None:
    table = read_table(data, "roster.csv")
    assert (table.format, table.delimiter, table.encoding) == ("csv", delimiter, encoding)
    assert table.headers == ["Ref", "Name", "Start"]
    assert table.rows == [["A1", "Zoë", "2027-03-01"], ["A2", f"Smith{delimiter} Jo", "2027-04-01"]]
    assert table.row_numbers == [2, 3]


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    text = '\nRef,Note\nA1,"two\nlines"\n\nA2,x,,\n'
    table = read_table(text.encode(), "r.csv")
    assert table.header_row == 2
    assert table.numbered_rows() == [(3, ["A1", "two\nlines"]), (5, ["A2", "x"])]


def test_csv_headings_are_trimmed_named_and_made_unique() -> None:
    table = read_table(b" Ref ,,Notes,notes\nA1,x,y,z\n", "r.csv")
    assert table.headers == ["Ref", "Column B", "Notes", "notes (2)"]


# --- reading the file: XLSX ---------------------------------------------------------------------


def test_xlsx_cells_become_text_as_a_person_reads_them() -> None:
    data = xlsx(
        [
            ["Ref", "Start", "End", "Whole", "Part", "Flag", None, "Ref"],
            ["A1", datetime(2027, 3, 1), date(2027, 6, 30), 1001.0, 2.5, True, "x", 7],
            [None, None],
            ["A2", "01/04/2027", None, 12, 0.1, False],
            [None],
            [],
        ],
        second_sheet=True,
    )
    table = read_table(data, "Roster.XLSX")
    assert table.format == "xlsx"
    assert table.headers == ["Ref", "Start", "End", "Whole", "Part", "Flag", "Column G", "Ref (2)"]
    assert table.numbered_rows() == [
        (2, ["A1", "2027-03-01", "2027-06-30", "1001", "2.5", "TRUE", "x", "7"]),
        (4, ["A2", "01/04/2027", "", "12", "0.1", "FALSE"]),
    ]


def test_a_workbook_is_read_as_one_whatever_its_name() -> None:
    data = xlsx([["Ref"], ["A1"]])
    assert read_table(data, "export.csv").format == "xlsx"


# --- reading the file: refusals -----------------------------------------------------------------


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100  # an .xls, or a workbook with a password


def _truncated_workbook() -> bytes:
    return xlsx([["Ref"], ["A1"]])[:300]


def _workbook_with_broken_sheet() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["Ref"], ["A1"]]))) as good,
        zipfile.ZipFile(buffer, "w") as bad,
    ):
        for item in good.infolist():
            content = good.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99"
            bad.writestr(item, content)
    return buffer.getvalue()


def _zip_that_is_not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"Ref\nA1\n", "roster.pdf", "UNKNOWN_FORMAT"),
        (b"Ref\nA1\n", "roster", "UNKNOWN_FORMAT"),
        (OLE, "roster.xls", "OLD_OR_PROTECTED_WORKBOOK"),
        (OLE, "roster.xlsx", "OLD_OR_PROTECTED_WORKBOOK"),
        (b"Ref;Name\n", "roster.ods", "UNSUPPORTED_SPREADSHEET"),
        (_zip_that_is_not_a_workbook(), "roster.ods", "UNSUPPORTED_SPREADSHEET"),
        (b"Ref,Name\nA1,x\n", "roster.xlsx", "NOT_A_WORKBOOK"),
        (_truncated_workbook(), "roster.xlsx", "NOT_A_WORKBOOK"),
        (_workbook_with_broken_sheet(), "roster.xlsx", "NOT_A_WORKBOOK"),
        (_zip_that_is_not_a_workbook(), "roster.xlsx", "NOT_A_WORKBOOK"),
        (b"PK\x03\x04" + b"\xff" * 64, "roster.xlsx", "NOT_A_WORKBOOK"),
        (b"", "roster.csv", "EMPTY"),
        (b"\n ,, \n\n", "roster.csv", "EMPTY"),
        (xlsx([]), "roster.xlsx", "EMPTY"),
        (b'Ref,Name\nA1,"never closed\nA2,x\n', "roster.csv", "BAD_CSV"),
        (b"R\x00e\x00f\x00\n\x00", "roster.csv", "NOT_TEXT"),
        (b"Ref\n\x81\x8d\x8f\x90\n", "roster.csv", "NOT_TEXT"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_words(
    data: bytes, filename: str, code: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_table(data, filename)
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("FILE", code)
    text = f"{problem.message} {problem.fix}"
    for word in ("openpyxl", "zip file", "Error", "Traceback", "KeyError", "codec"):
        assert word not in text


def test_a_browser_path_is_shown_as_the_file_name() -> None:
    with pytest.raises(InputError) as caught:
        read_table(b"x", "C:\\Users\\ann\\Desktop\\clients.pdf")
    assert caught.value.source == "clients.pdf"
    assert caught.value.problems[0].message.startswith("clients.pdf is not")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_limits_are_checked(kind: str) -> None:
    rows = [["Ref", "Country"], *([f"A{i}", "PT"] for i in range(5))]
    data = xlsx(rows) if kind == "xlsx" else "\n".join(",".join(r) for r in rows).encode()
    name = f"roster.{kind}"
    assert len(read_table(data, name, max_rows=5).rows) == 5
    for limits, code in (
        ({"max_rows": 4}, "TOO_MANY_ROWS"),
        ({"max_bytes": len(data) - 1}, "TOO_LARGE"),
        ({"max_columns": 1}, "TOO_MANY_COLUMNS"),
    ):
        with pytest.raises(InputError) as caught:
            read_table(data, name, **limits)
        assert caught.value.problems[0].code == code, limits


def test_a_workbook_that_unpacks_to_too_much_is_refused() -> None:
    data = xlsx([["Ref", "Note"], *(["A1", "x" * 9_000 + str(i)] for i in range(50))])
    with pytest.raises(InputError) as caught:
        read_table(data, "roster.xlsx", max_bytes=len(data))
    assert caught.value.problems[0].code == "TOO_LARGE"
    assert "unpacks" in caught.value.problems[0].message


def test_a_workbook_with_a_cell_far_below_is_read_without_the_gap() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet["A2"], sheet["A5000"] = "Ref", "A1", "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), "r.xlsx")
    assert table.numbered_rows() == [(2, ["A1"]), (5000, ["A2"])]


# --- importing ----------------------------------------------------------------------------------


def test_rows_are_grouped_into_one_case_per_client() -> None:
    rows = [
        ["A1", "Ann Lee", "Freelancer", "UK", "2027-03-01", "2027-06-30", "USA", "vip"],
        ["B2", "Bo Park", "posted", "Korea", "2027-01-10", "", "", ""],
        ["A1", "", "self employed", "Holland", "2027-07-01", "2027-08-31", "U.S.", "call first"],
        ["A1", "Ann Lee", "", "Portugal", "2027-09-01", "", "", "vip"],
    ]
    headers = [*HEADERS, "Employer", "Employer country"]
    rows = [[*r, *(["Acme", "US"] if r[0] == "B2" else ["", ""])] for r in rows]
    result = run(headers, rows)
    assert result.ok and result.rows == 4
    ann, bo = result.clients
    assert (ann.reference, ann.name, ann.rows) == ("A1", "Ann Lee", (2, 4, 5))
    assert ann.notes == {"Notes": "vip; call first"}
    assert ann.case == Case(
        worker=Worker(
            kind="self_employed",
            residence=(
                Residence("US", date(2027, 3, 1), date(2027, 6, 30)),
                Residence("US", date(2027, 7, 1), date(2027, 8, 31)),
            ),
        ),
        engagements=(
            Engagement("GB", date(2027, 3, 1), date(2027, 6, 30), client=Client()),
            Engagement("NL", date(2027, 7, 1), date(2027, 8, 31), client=Client()),
            Engagement("PT", date(2027, 9, 1), None, client=Client()),
        ),
        client_ref="A1",
    )
    assert bo.case is not None and bo.case.employer == Employer("Acme", "US")
    assert bo.notes == {}
    assert result.cases == {"A1": ann.case, "B2": bo.case}


def test_a_batch_roster_imports_to_the_cases_batch_screening_builds() -> None:
    """The same columns mean the same facts: the import builds what screen-batch builds."""
    columns = list(batch.ROSTER_COLUMNS)
    values = [
        {
            "client_id": "A1",
            "kind": "employee",
            "country": "CA",
            "start": "2027-04-01",
            "end": "2028-03-31",
            "region": "QC",
            "residence_country": "US",
            "citizenship": "US;IT",
            "employer_name": "Acme",
            "employer_country": "US",
            "employer_hired": "2019-03-01",
            "statements": "private_health_insurance=yes",
            "client_name": "Maple Ltd",
            "client_country": "CA",
            "description": "Installing servers",
        },
        {
            "client_id": "A2",
            "kind": "self_employed",
            "country": "ES",
            "start": "2027-03-01",
            "end": "2027-05-31",
            "business_operating_since": "2018-01-01",
        },
        {
            "client_id": "A2",
            "kind": "self_employed",
            "country": "FR",
            "start": "2027-06-01",
            "business_operating_since": "2018-01-01",  # batch wants it on every row
        },
    ]
    rows = [[v.get(c, "") for c in columns] for v in values]
    cases, errors, _ = batch.parse_roster(
        [(i, dict(zip(columns, r, strict=True))) for i, r in enumerate(rows, start=2)], columns
    )
    assert not errors
    result = run(columns, rows)
    assert result.ok
    assert suggest_mapping(columns) == {c: c for c in columns}
    assert {c.reference: c.case for c in result.clients} == {
        ref: Case(
            worker=case.worker,
            engagements=case.engagements,
            employer=case.employer,
            business=case.business,
            client_ref=ref,
        )
        for ref, case in cases.items()
    }
    a2 = result.cases["A2"]
    assert a2.business == Business(operating_since=date(2018, 1, 1))


def test_every_problem_of_every_row_is_reported_at_once() -> None:
    headers = [*HEADERS, "Employer country", "Email"]
    rows = [
        ["A1", "Ann", "Freelancer", "Narnia", "2027-13-01", "", "", "", "", "ann@example"],
        ["", "Cy", "intern", "PT", "", "", "", "", "", ""],
        ["B2", "Bo", "Employee", "JP", "2027-05-01", "2027-04-01", "Moon", "", "", ""],
        ["B2", "Bo", "Freelancer", "JP", "2027-06-01", "", "", "", "", ""],
        ["C3", "Di", "Employee", "DE", "2027-01-01", "", "", "", "", ""],
        ["D4", "Ed", "", "FR", "2027-01-01", "", "", "", "", ""],
        ["E5", "Flo", "Self-employed", "IT", "2027-01-01", "2027-02-01", "US", "ok", "", ""],
    ]
    result = run(headers, rows)
    assert where(result) == [
        (2, "Host country", "BAD_COUNTRY"),
        (2, "From", "BAD_DATE"),
        (2, "Email", "BAD_EMAIL"),
        (3, "Ref", "REQUIRED"),
        (3, "Worker type", "BAD_KIND"),
        (3, "From", "REQUIRED"),
        (4, "Until", "DATES_OUT_OF_ORDER"),
        (4, "Residence", "BAD_COUNTRY"),
        (4, "Employer country", "REQUIRED"),  # an employee: found on the client's first row
        (5, "Worker type", "CLIENT_VALUES_DIFFER"),
        (6, "Employer country", "REQUIRED"),
        (7, "Worker type", "REQUIRED"),
    ]
    by_ref = {c.reference: c for c in result.clients}
    assert [r for r, c in by_ref.items() if c.case is not None] == ["E5"]
    assert by_ref["B2"].rows == (4, 5) and by_ref["B2"].case is None
    assert {p.reference for p in result.problems_of("B2")} == {"B2"}
    assert len(result.problems_of("B2")) == 4
    differ = result.problems[9]
    assert differ.message == (
        "Worker type is 'self-employed' here but 'employee' on row 4 for the same client."
    )
    assert differ.field == "kind" and "B2" in differ.fix
    assert differ.as_problem().path == "row 5, Worker type"
    for problem in result.problems:
        assert problem.message and problem.fix
        assert "Error" not in problem.message


def test_ambiguous_dates_ask_for_the_date_order_and_read_once_it_is_chosen() -> None:
    rows = [
        ["A1", "Ann", "Freelancer", "PT", "03/04/2027", "18/05/2027", "", ""],
        ["A2", "Bo", "Freelancer", "PT", "2027-04-03", "", "", ""],
    ]
    result = run(HEADERS, rows)
    assert where(result) == [(2, "From", "AMBIGUOUS_DATE")]
    assert result.needs_date_order
    assert result.clients[0].case is None and result.clients[1].case is not None
    chosen = run(HEADERS, rows, date_order="DMY")
    assert chosen.ok and not chosen.needs_date_order
    case = chosen.cases["A1"]
    assert (case.engagements[0].start, case.engagements[0].end) == (
        date(2027, 4, 3),
        date(2027, 5, 18),
    )
    wrong = run(HEADERS, rows, date_order="MDY")
    assert where(wrong) == [(2, "Until", "DATE_ORDER_MISMATCH")]


def test_unknown_columns_are_notes_and_stray_values_are_problems() -> None:
    headers = ["Ref", "Type", "Country", "Start", "Phone", "Advisor"]
    rows = [
        ["A1", "employee", "JP", "2027-01-01", "555", "", "", ""],
        ["A1", "employee", "JP", "2028-01-01", "556", "Kim"],
        ["A2", "employee", "JP", "2027-01-01", "", "", "stray", ""],
    ]
    mapping = suggest_mapping(headers)
    assert mapping["Phone"] is None and mapping["Advisor"] is None
    result = run(
        [*headers, "Employer country"],
        [[*r[:6], "US", *r[6:]] for r in rows],
    )
    assert where(result) == [(4, "column H", "VALUE_WITHOUT_COLUMN")]
    assert result.clients[0].notes == {"Phone": "555; 556", "Advisor": "Kim"}
    assert result.clients[1].case is None


def test_cells_that_no_field_may_hold() -> None:
    rows = [
        ["A1", "Ann", "Freelancer", "PT", "2027-01-01", "", "", "bad\x1bnote"],
        ["A2", "x" * 10_001, "Freelancer", "PT", "2027-01-01", "", "", ""],
    ]
    result = run(HEADERS, rows)
    assert where(result) == [(2, "Notes", "CONTROL_CHARACTER"), (3, "Name", "VALUE_TOO_LONG")]
    assert all(c.case is None for c in result.clients)


def test_statements_citizenship_email_and_region() -> None:
    headers = ["Ref", "Type", "Country", "Province", "Start", "Citizenship", "Statements", "Email"]
    rows = [
        ["A1", "Freelancer", "Canada", "qc", "2027-01-01", "US; Italy", "x=yes", "a@b.example"],
        ["A2", "Freelancer", "Canada", "ZZ", "2027-01-01", "US;Narnia", "x=maybe;y", ""],
    ]
    result = import_rows(
        headers,
        [(2, rows[0]), (3, rows[1])],
        suggest_mapping(headers),
        known_statements={"x"},
    )
    assert where(result) == [
        (3, "Province", "BAD_REGION"),
        (3, "Citizenship", "BAD_COUNTRY"),
        (3, "Statements", "BAD_STATEMENT"),
    ]
    case = result.cases["A1"]
    assert case.engagements[0].region == "QC"
    assert case.worker.citizenship == ("US", "IT")
    assert case.worker.statements == {"x": True}
    assert case.person == Person(email="a@b.example")
    unknown = import_rows(headers, [(2, rows[0])], suggest_mapping(headers), known_statements={"y"})
    assert where(unknown) == [(2, "Statements", "UNKNOWN_STATEMENT")]


def test_blank_rows_are_skipped_and_short_rows_padded() -> None:
    result = run(HEADERS, [["", "", ""], ["A1", "Ann", "Freelancer", "PT", "2027-01-01"]])
    assert result.ok and result.rows == 1 and result.clients[0].rows == (3,)


def test_a_whole_xlsx_roster_imports() -> None:
    data = xlsx(
        [
            ["Client ID", "Client name", "Status", "Country of work", "Start date", "End date"],
            [1001, "Ann", "Self-employed", "Czech Republic", datetime(2027, 3, 1), None],
            [1001.0, "Ann", "freelancer", "Korea", date(2027, 9, 1), date(2027, 12, 31)],
            [None],
        ]
    )
    table: Table = read_table(data, "roster.xlsx")
    result = import_rows(table.headers, table.numbered_rows(), suggest_mapping(table.headers))
    assert result.ok
    (client,) = result.clients
    assert (client.reference, client.name, client.rows) == ("1001", "Ann", (2, 3))
    assert client.case is not None
    assert [e.country for e in client.case.engagements] == ["CZ", "KR"]
    assert client.case.engagements[1].end == date(2027, 12, 31)
