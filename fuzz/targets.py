"""Fuzz targets for cocflow's input parsers, shared by atheris (fuzz/run.py) and pytest
(tests/test_fuzz.py).

Every target takes the raw bytes of one input file and feeds them through the same route the
application uses for a file of that kind. The contract checked here:

* a bad input ends in :class:`cocflow.errors.CocflowError` (InputError, RulesError), which a
  target lets through and the callers count as a correct rejection, or in the parser's own
  "problems" return value;
* any other exception escaping a target is a finding (a bug), and so is a single input that
  takes more than about two seconds.

This module never imports atheris: the pytest run must work without it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

from cocflow.case import Case
from cocflow.errors import CocflowError, Problem
from cocflow.io.casefile import CaseFile, load_case
from cocflow.io.tripfiles import parse_trips_csv, parse_trips_ics
from cocflow.rules.loader import load_agreement_file
from cocflow.rules.model import Agreement
from cocflow.services import batch
from cocflow.tracking.trips import Trip, gaps, overlaps

__all__ = ["ALLOWED", "HANG_SECONDS", "TARGETS", "Finding", "innermost_frame"]

# Exceptions that count as a correct, on-purpose rejection of a bad input.
ALLOWED: tuple[type[BaseException], ...] = (CocflowError,)
# One input taking longer than this is a finding (a hang or a blow-up).
HANG_SECONDS = 2.0


class Finding(AssertionError):
    """A target returned something that breaks the parser's documented contract."""


def innermost_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """Where ``exc`` was raised: its innermost frame in cocflow (or in fuzz/), else the
    innermost frame at all. Names a finding independently of the library it ended in."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = str(Path(__file__).resolve().parent)
    ours = [f for f in frames if "/cocflow/" in f.filename or f.filename.startswith(here)]
    return (ours or frames)[-1] if frames else None


# One private scratch directory per process: the file-reading entry points are exercised
# through a real file, since their error mapping (UnicodeDecodeError, yaml.YAMLError, ...) is
# part of the route under test. Files are overwritten for each input, never accumulated.
_SCRATCH: Path | None = None


def _scratch(name: str, data: bytes) -> Path:
    global _SCRATCH  # noqa: PLW0603 - one scratch directory per process, made lazily
    if _SCRATCH is None:
        _SCRATCH = Path(tempfile.mkdtemp(prefix="cocflow-fuzz-"))
        atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
    path = _SCRATCH / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------ case file


def _case(data: bytes, suffix: str) -> None:
    # load_case is the text route of every caller (CLI, services, casework, preparation):
    # decode as UTF-8, yamlio.loads(text, suffix), parse_case(data); then to_case().
    try:
        case_file = load_case(_scratch("case" + suffix, data))
    except ALLOWED:
        return
    if not isinstance(case_file, CaseFile):
        raise Finding(f"load_case returned {type(case_file).__name__}, not a CaseFile")
    case = case_file.to_case()
    if not isinstance(case, Case) or not case.engagements:
        raise Finding("to_case() gave no engagements for a valid case file")


def case_yaml(data: bytes) -> None:
    """A case file written as YAML (``.yaml``)."""
    _case(data, ".yaml")


def case_json(data: bytes) -> None:
    """A case file written as JSON (``.json``)."""
    _case(data, ".json")


# --------------------------------------------------------------------------------- roster


def roster(data: bytes) -> None:
    """A batch roster CSV, read as ``screen-batch`` reads it (before screening)."""
    # As screen_roster_file: _read_roster (UTF-8 with BOM -> CSV -> header and rows), then
    # parse_roster. Whatever _read_roster returns after the header and the rows (the rows it
    # could not split into the header's columns) is passed on, as screen_roster_file does.
    try:
        header, rows, *more = batch._read_roster(_scratch("roster.csv", data))
        cases, errors, count = batch.parse_roster(rows, header, *more)
    except ALLOWED:
        return
    if count != len(rows) + sum(len(m) for m in more):
        raise Finding(f"parse_roster counted {count} rows of {len(rows)} (+ {more!r})")
    for row_error in errors:
        if not isinstance(row_error.problem, Problem) or row_error.line < 2:
            raise Finding(f"bad row error {row_error!r}")
    for client_id, case in cases.items():
        if not isinstance(case, Case) or not case.engagements:
            raise Finding(f"client {client_id!r} has no engagements")
        if any(row_error.client_id == client_id for row_error in errors):
            raise Finding(f"client {client_id!r} has row errors but was kept")


# ---------------------------------------------------------------------------------- trips


def _check_trips(trips: list[Trip], problems: list[tuple[object, Problem]]) -> None:
    for trip in trips:
        if not isinstance(trip, Trip) or trip.end < trip.start:
            raise Finding(f"bad trip {trip!r}")
    for _, problem in problems:
        if not isinstance(problem, Problem):
            raise Finding(f"bad problem {problem!r}")
    # What an import does next with the trips it got (logbook.Logbook.add).
    overlaps(trips)
    gaps(trips)


def trips_csv(data: bytes) -> None:
    """A trip log as CSV, decoded as ``cocflow trips import`` decodes it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # the importer refuses it as NOT_UTF8 before parsing
    trips, problems = parse_trips_csv(text)
    _check_trips(trips, list(problems))


def trips_ics(data: bytes) -> None:
    """A trip log as an iCalendar export (raw bytes, as the importer reads them)."""
    trips, problems = parse_trips_ics(data)
    _check_trips(trips, list(problems))


# ---------------------------------------------------------------------------------- rules


def rules(data: bytes) -> None:
    """One agreement file of the rules data, checked on its own as zz.yaml."""
    try:
        agreement = load_agreement_file(_scratch("zz.yaml", data))
    except ALLOWED:
        return
    if not isinstance(agreement, Agreement) or agreement.id != "ZZ":
        raise Finding(f"load_agreement_file accepted {agreement!r} for zz.yaml")
    # The properties the engine reads from every agreement.
    for entry in (*agreement.employee, *agreement.self_employed):
        if not isinstance(entry.last_verified, date):
            raise Finding("an entry has no last_verified date")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "case_yaml": case_yaml,
    "case_json": case_json,
    "roster": roster,
    "trips_csv": trips_csv,
    "trips_ics": trips_ics,
    "rules": rules,
}
