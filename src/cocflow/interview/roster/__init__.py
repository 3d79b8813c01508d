"""Importing an advisor's client roster: spreadsheet rows in, one case per client out.

An advisor keeps clients in a spreadsheet whose columns are named their own way ("Ref", "Host
country", "From", "Until"). The import runs in three steps, each usable by a web page:

1. :func:`suggest_mapping` proposes which field each column holds, from the column's heading;
   the advisor confirms or corrects it, and :func:`mapping_key` gives the layout a stable key so
   the confirmed mapping is found again the next time the same spreadsheet is imported.
2. :func:`check_mapping` lists what makes a mapping unusable (a required field with no column,
   a field given by two columns).
3. :func:`import_rows` reads every row, groups the rows by client reference (one client, one
   case; several rows, several engagements, as the batch roster does) and lists *every* problem
   of *every* row at once, each with the row number, the column heading, what is wrong and how to
   fix it, so the advisor fixes the spreadsheet in one pass.

The column meanings are the batch roster's (:mod:`cocflow.services.batch`, ``docs/batch.md``),
with spellings people write accepted ("freelancer", "UK", "18/02/2027"). A client with any bad
row gets no case: a missing engagement could turn a pause into a go. Columns mapped to no field
are kept, per client, as notes. Reading the file is the edge's job
(:mod:`cocflow.io.rosterfile`); nothing here reads or writes a file.

An :class:`ImportedClient` carries the advisor's reference, so a service can store it keyed by
(organisation, reference) and a re-import updates the client's case instead of adding another.
"""

from __future__ import annotations

from cocflow.interview.roster.cells import CellError, parse_country, parse_date, parse_kind
from cocflow.interview.roster.fields import (
    DATE_ORDERS,
    FIELDS,
    MAX_CELL,
    REQUIRED_FIELDS,
    DateOrder,
    Field,
    check_mapping,
    column_letter,
    mapping_key,
    suggest_mapping,
)
from cocflow.interview.roster.rows import ImportedClient, RosterImport, RowProblem, import_rows

__all__ = [
    "DATE_ORDERS",
    "FIELDS",
    "MAX_CELL",
    "REQUIRED_FIELDS",
    "CellError",
    "DateOrder",
    "Field",
    "ImportedClient",
    "RosterImport",
    "RowProblem",
    "check_mapping",
    "column_letter",
    "import_rows",
    "mapping_key",
    "parse_country",
    "parse_date",
    "parse_kind",
    "suggest_mapping",
]
