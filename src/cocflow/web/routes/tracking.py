"""The travel and work log with its day counts, the watcher's findings, the reminders with their
calendar file, and the case file in and out.

Pages (``{case_id}`` is the full id; nothing personal ever goes into an address):

- ``/cases/{case_id}/trips``: the log, its overlap and gap flags, a stay to add, a file to
  import; ``/cases/{case_id}/trips/remove/{trip_id}`` asks before it removes;
  ``/cases/{case_id}/trips/days`` counts the days in a calendar year and a UK tax year.
- ``/cases/{case_id}/watch``: what no longer matches the certificates on file; its button drafts
  the extension or correction letter and offers it as a download.
- ``/reminders`` and ``/reminders.ics``: every dated obligation of every case, and the same as a
  calendar file.
- ``/cases/import`` reads a case file into a new case; ``/cases/{case_id}/case-file`` gives the
  case back as a YAML file.

Each route parses the request, calls the services (in a worker thread: they use the database) and
renders; service calls that change something answer with a redirect (303) to a page.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path, PurePath
from typing import Any, Literal, TypeVar, get_args

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.countries import country_name
from cocflow.dates import MONTHS
from cocflow.errors import InputError, Problem
from cocflow.io.casefile import load_case, write_case
from cocflow.io.inputs import MAX_TRIPS_BYTES
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.tracking import Logbook
from cocflow.store.repo import CaseSummary
from cocflow.tracking.reminders import Reminder
from cocflow.tracking.trips import Counting, Purpose, Trip, gaps, overlaps
from cocflow.tracking.watch import WatchFinding
from cocflow.web.components import Choice, FieldError, Question
from cocflow.web.deps import casework, form_fields, today
from cocflow.web.render import page

__all__ = ["routes"]

_T = TypeVar("_T")

PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
PURPOSE_CHOICES = (
    Choice("work", "Work", "You worked there, even for part of the stay."),
    Choice("personal", "Personal", "A holiday or a visit home, with no work."),
    Choice("transit", "Transit", "Passing through on the way somewhere else."),
)
PURPOSE_LABELS = {c.value: c.label for c in PURPOSE_CHOICES}
ORIGIN_LABELS = {"typed": "Typed in", "csv": "CSV file", "calendar": "Calendar file"}
FINDING_HEADINGS = {
    "NEW_WORK_COUNTRY": "Work in a country no certificate covers",
    "WORK_OUTSIDE_CERTIFICATE": "Work outside the certificate's dates",
    "END_DATE_MOVED": "The end of the work moved",
    "RESIDENCE_MOVED": "The residence changed",
    "CERTIFICATE_ENDING": "The certificate ends soon",
    "DECISION_CHANGED": "The screening answer changed",
    "NO_CERTIFICATE": "No certificate on file",
}
# The input each problem of a typed stay is about (the problem's path -> the field's id).
STAY_FIELDS = {"COUNTRY": "country", "START": "start", "END": "end", "--note": "note"}
# "Add a stay": its fields in the order of the page (and of the error summary).
STAY_FORM = (
    Question(
        id="country",
        label="Country",
        hint="A country name or code, for example Portugal or PT.",
        autocomplete="country-name",
        width="medium",
    ),
    Question(id="start", label="First day", hint="For example, 2027-03-01.", width="medium"),
    Question(
        id="end",
        label="Last day (optional)",
        hint="Leave it empty for a stay of one day.",
        width="medium",
    ),
    Question(
        id="purpose",
        label="Why were you there?",
        kind="radios",
        value="work",
        choices=PURPOSE_CHOICES,
    ),
    Question(
        id="note",
        label="Note (optional)",
        hint="For example, the client's site or the project.",
    ),
)
# Problem paths that name no place in the file, so the error summary leaves them out.
NO_PLACE = frozenset({"", "FILE"})
YEARS = range(1900, 2200)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# --- presentation helpers -------------------------------------------------------------------


def _day(day: date, *, short: bool = False) -> str:
    """``1 March 2027`` (``1 Mar 2027`` in tables)."""
    month = MONTHS[day.month - 1]
    return f"{day.day} {month[:3] if short else month} {day.year}"


def _country(code: str) -> str:
    """The country's name to head a table cell ("United Kingdom", not "the United Kingdom")."""
    name = country_name(code)
    return name[4:] if name.startswith("the ") else name


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else ""


def _located(problem: Problem) -> str:
    """A problem of an uploaded file for the error summary: where, what, and the fix."""
    where = "" if problem.path in NO_PLACE else f"{problem.path}: "
    return f"{where}{_sentence(problem.message)} {_sentence(problem.fix)}".strip()


async def _call(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Runs a service call in a worker thread: the services wait on the database."""
    return await run_in_threadpool(function, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class CaseRef:
    """The case a page is about: its id (in addresses), its label (on the page only)."""

    id: str
    title: str

    @property
    def href(self) -> str:
        return f"/cases/{self.id}"

    @property
    def short(self) -> str:
        return self.id[:8]


def _case_ref(work: Casework, case_id: str) -> tuple[CaseRef, CaseSummary]:
    try:
        summary = work.store.get_case(case_id)
    except InputError:
        raise HTTPException(404) from None
    return CaseRef(summary.id, summary.title), summary


async def _open_case(request: Request) -> tuple[Casework, CaseRef, CaseSummary]:
    """The case named by the address (404 when there is none)."""
    work = casework(request)
    case, summary = await _call(_case_ref, work, str(request.path_params["case_id"]))
    return work, case, summary


def _upload(form: Mapping[str, Any], name: str) -> UploadFile | None:
    """The file sent in ``name``, or None when no file was chosen."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def _safe_file_name(filename: str, fallback: str) -> str:
    """The uploaded file's own name without its folders or unusual characters."""
    name = SAFE_NAME.sub("_", PurePath(filename.replace("\\", "/")).name).strip("._")[:100]
    return name or fallback


async def _saved(upload: UploadFile, folder: Path, fallback: str) -> Path:
    """The upload written into ``folder`` (a private temporary folder) under its own name."""
    path = folder / _safe_file_name(upload.filename or "", fallback)
    await _call(path.write_bytes, await upload.read())
    return path


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- the travel and work log --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StayRow:
    """One stay of the log, as the table shows it."""

    id: int
    country: str
    code: str
    first: str
    last: str
    purpose: str
    note: str
    origin: str

    @property
    def description(self) -> str:
        """The stay in words, for the Remove link and the confirmation page."""
        return f"{self.country}, {self.first} to {self.last}"


def _row(trip_id: int, trip: Trip) -> StayRow:
    return StayRow(
        trip_id,
        _country(trip.country),
        trip.country,
        _day(trip.start, short=True),
        _day(trip.end, short=True),
        PURPOSE_LABELS.get(trip.purpose, trip.purpose),
        trip.note or "",
        ORIGIN_LABELS.get(trip.origin, trip.origin),
    )


def _flags(trips: list[Trip]) -> list[tuple[str, str]]:
    """The log's overlaps and gaps in words: (kind, sentence)."""
    found: list[tuple[str, str]] = []
    for a, b in overlaps(trips):
        found.append(
            (
                "Overlap",
                f"{_country(a.country)} ({_day(a.start)} to {_day(a.end)}) and "
                f"{_country(b.country)} ({_day(b.start)} to {_day(b.end)}) share days. "
                "Correct the dates of one of them.",
            )
        )
    for first, last in gaps(trips):
        found.append(
            (
                "Gap",
                f"Nothing is logged from {_day(first)} to {_day(last)}. "
                "Add where you were, if it matters for the work.",
            )
        )
    return found


def _stay_questions(values: Mapping[str, str], errors: Mapping[str, str]) -> dict[str, Question]:
    """The fields of "Add a stay", with what was typed and each field's error."""
    return {
        q.id: replace(q, value=values.get(q.id, q.value), error=errors.get(q.id, ""))
        for q in STAY_FORM
    }


def _log_view(work: Casework, case_id: str) -> tuple[list[StayRow], list[tuple[str, str]]]:
    logged = Logbook(work).trips(case_id)
    return [_row(i, t) for i, t in logged], _flags([t for _, t in logged])


def _done_message(query: Mapping[str, str]) -> str:
    """What the last change did, from the address it redirected to (counts only)."""

    imported = query.get("imported", "")
    if query.get("added") == "1":
        return "The stay is added to the log."
    if imported.isdecimal() and len(imported) < 7:
        return f"{int(imported)} stay{'' if int(imported) == 1 else 's'} imported from the file."
    if query.get("removed") == "1":
        return "The stay is removed from the log."
    return ""


async def _trips_page(
    request: Request,
    work: Casework,
    case: CaseRef,
    *,
    values: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
    field_messages: Mapping[str, str] | None = None,
    file_error: str = "",
    status: int = 200,
) -> Response:
    rows, flags = await _call(_log_view, work, case.id)
    context = {
        "case": case,
        "rows": rows,
        "flags": flags,
        "done": "" if errors else _done_message(request.query_params),
        "errors": errors or [],
        "fields": {
            **_stay_questions(values or {}, field_messages or {}),
            "file": Question(
                id="trips-file",
                label="File to import",
                hint=f"A .csv or .ics file of at most {MAX_TRIPS_BYTES // 2**20} MB.",
                error=file_error,
            ),
        },
        "year": today(request).year,
    }
    return page(request, "tracking/trips.html", context, status)


async def trips(request: Request) -> Response:
    work, case, _ = await _open_case(request)
    return await _trips_page(request, work, case)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


async def trips_post(request: Request) -> Response:
    """Adds the stay typed in, or imports the file sent (the form says which)."""
    work, case, _ = await _open_case(request)
    async with request.form() as form:
        if form.get("form") == "import":
            upload = _upload(form, "trips-file")
            if upload is None:
                message = "Choose a CSV or iCalendar (.ics) file to import"
                return await _trips_page(
                    request,
                    work,
                    case,
                    errors=[FieldError("trips-file", message)],
                    file_error=message,
                    status=400,
                )
            with tempfile.TemporaryDirectory(prefix="cocflow-") as folder:
                path = await _saved(upload, Path(folder), "trips.csv")
                try:
                    result = await _call(Logbook(work).import_file, case.id, path)
                except InputError as err:
                    messages = [_located(p) for p in err.problems]
                    return await _trips_page(
                        request,
                        work,
                        case,
                        errors=[FieldError("trips-file", m) for m in messages],
                        file_error="Nothing was imported: correct the file and import it again",
                        status=400,
                    )
            return RedirectResponse(f"{case.href}/trips?imported={result.added}", 303)
    return await _add_stay(request, work, case, await form_fields(request))


async def _add_stay(
    request: Request, work: Casework, case: CaseRef, fields: Mapping[str, str]
) -> Response:
    values = {q.id: fields.get(q.id, "").strip() for q in STAY_FORM}
    messages: dict[str, str] = {}
    if not values["country"]:
        messages["country"] = "Enter the country, as a name or a code"
    start = _parse_day(values["start"]) if values["start"] else None
    if start is None:
        messages["start"] = (
            "Enter the first day as a date, for example 2027-03-01"
            if values["start"]
            else "Enter the first day of the stay"
        )
    end = _parse_day(values["end"]) if values["end"] else None
    if values["end"] and end is None:
        messages["end"] = "Enter the last day as a date, for example 2027-03-31"
    purpose = next((p for p in PURPOSES if p == values["purpose"]), None)
    if purpose is None:
        messages["purpose"] = "Choose why you were there: work, personal or transit"
    if not messages and start is not None and purpose is not None:
        try:
            await _call(
                Logbook(work).log_stay,
                case.id,
                values["country"],
                start,
                end,
                purpose=purpose,
                note=values["note"] or None,
            )
        except InputError as err:
            for problem in err.problems:
                field = STAY_FIELDS.get(problem.path, "country")
                messages.setdefault(field, f"{_sentence(problem.message)} {_sentence(problem.fix)}")
        else:
            return RedirectResponse(f"{case.href}/trips?added=1", 303)
    errors = [FieldError(q.id, messages[q.id]) for q in STAY_FORM if q.id in messages]
    return await _trips_page(
        request, work, case, values=values, errors=errors, field_messages=messages, status=400
    )


def _find_stay(work: Casework, case_id: str, trip_id: int) -> StayRow:
    for found, trip in Logbook(work).trips(case_id):
        if found == trip_id:
            return _row(found, trip)
    raise HTTPException(404)


async def remove_stay(request: Request) -> Response:
    """GET asks "Remove this stay?"; POST removes it."""
    work, case, _ = await _open_case(request)
    trip_id = int(request.path_params["trip_id"])
    stay = await _call(_find_stay, work, case.id, trip_id)
    if request.method == "POST":
        await _call(Logbook(work).remove, case.id, trip_id)
        return RedirectResponse(f"{case.href}/trips?removed=1", 303)
    return page(request, "tracking/remove.html", {"case": case, "stay": stay})


# --- day counts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountRow:
    country: str
    code: str
    days: int
    work_days: int


@dataclass(frozen=True, slots=True)
class CountTable:
    caption: str
    rows: tuple[CountRow, ...]


def _count_tables(
    work: Casework, case_id: str, year: int, counting: Counting
) -> tuple[CountTable, CountTable]:
    book = Logbook(work)
    kinds: tuple[tuple[Literal["calendar", "uk"], str], ...] = (
        ("calendar", f"Calendar year {year} (1 January to 31 December)"),
        ("uk", f"UK tax year {year} to {year + 1} (6 April {year} to 5 April {year + 1})"),
    )
    calendar, uk = (
        CountTable(
            caption,
            tuple(
                CountRow(_country(code), code, c.days, c.work_days)
                for code, c in book.days(case_id, year, counting, kind).items()
            ),
        )
        for kind, caption in kinds
    )
    return calendar, uk


async def days(request: Request) -> Response:
    work, case, _ = await _open_case(request)
    query = request.query_params
    given = query.get("year", "").strip()
    year = today(request).year
    errors: list[FieldError] = []
    if given:
        if given.isdecimal() and int(given) in YEARS:
            year = int(given)
        else:
            errors.append(
                FieldError("year", f"Enter a year from {YEARS[0]} to {YEARS[-1]}, such as {year}")
            )
    # The form sends "counting" with its boxes; without it (a plain link) both days count.
    chosen = query.get("counting") == "chosen"
    counting = Counting(
        arrival_counts=not chosen or query.get("arrival") == "yes",
        departure_counts=not chosen or query.get("departure") == "yes",
    )
    calendar, uk = await _call(_count_tables, work, case.id, year, counting)
    context = {
        "case": case,
        "year": year,
        "year_value": given or str(year),
        "errors": errors,
        "counting": counting,
        "rule": counting.describe(),
        "tables": (calendar, uk),
    }
    return page(request, "tracking/days.html", context, 400 if errors else 200)


# --- the watcher ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingView:
    heading: str
    finding: WatchFinding


def _findings(work: Casework, case_id: str, on: date) -> list[WatchFinding]:
    """What the watcher finds on ``on``, without recording it: a page that is only looked at
    changes nothing (drafting the letter records the findings)."""
    return Logbook(work).findings(case_id, on)


async def _watch_page(
    request: Request,
    work: Casework,
    case: CaseRef,
    summary: CaseSummary,
    *,
    notice: str = "",
) -> Response:
    on = today(request)
    confirmed = summary.outcome != INCOMPLETE
    found = await _call(_findings, work, case.id, on) if confirmed else []
    letters = sorted({f.letter for f in found if f.letter})
    context = {
        "case": case,
        "confirmed": confirmed,
        "today": _day(on),
        "findings": [FindingView(FINDING_HEADINGS.get(f.code, "What changed"), f) for f in found],
        "letters": letters,
        "notice": notice,
    }
    return page(request, "tracking/watch.html", context)


async def watch_page(request: Request) -> Response:
    work, case, summary = await _open_case(request)
    return await _watch_page(request, work, case, summary)


def _draft(work: Casework, case_id: str, on: date) -> list[tuple[str, bytes]]:
    """Drafts the letters into a private temporary folder (the service records them in the
    proof file); their names and bytes."""
    with tempfile.TemporaryDirectory(prefix="cocflow-") as folder:
        result = Logbook(work).watch(case_id, on, Path(folder))
        return [(path.name, path.read_bytes()) for path in result.letters]


async def draft_letter(request: Request) -> Response:
    work, case, summary = await _open_case(request)
    if summary.outcome == INCOMPLETE:
        return await _watch_page(request, work, case, summary)
    letters = await _call(_draft, work, case.id, today(request))
    if not letters:
        notice = "There is no letter to draft today: nothing found needs one."
        return await _watch_page(request, work, case, summary, notice=notice)
    if len(letters) == 1:
        name, data = letters[0]
        kind = name.split("-", 1)[0]
        return _download(data, "application/pdf", f"cocflow-{kind}-letter-{case.short}.pdf")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in letters:
            kind = name.split("-", 1)[0]
            bundle.writestr(f"cocflow-{kind}-letter-{case.short}.pdf", data)
    return _download(buffer.getvalue(), "application/zip", f"cocflow-letters-{case.short}.zip")


# --- reminders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderRow:
    on: str
    due: str
    overdue: bool
    title: str
    detail: str
    moved: str
    source: str
    case: CaseRef


def _reminder_rows(work: Casework, processing_days: int | None, on: date) -> list[ReminderRow]:
    titles = {c.id: c.title for c in work.cases()}
    reminders: list[Reminder] = Logbook(work).reminders(processing_days, on)
    return [
        ReminderRow(
            _day(r.on, short=True),
            _day(r.obligation.due),
            r.obligation.due < on,
            r.obligation.title,
            r.obligation.detail,
            r.moved or "",
            r.obligation.source or "",
            CaseRef(r.obligation.case_id, titles.get(r.obligation.case_id, "")),
        )
        for r in reminders
    ]


async def reminders(request: Request) -> Response:
    settings = request.app.state.settings
    rows = await _call(_reminder_rows, casework(request), settings.processing_days, today(request))
    key = Logbook(casework(request)).feed_key()
    feed = f"{str(request.base_url).rstrip('/')}/calendar.ics?feed={key}"
    context = {"rows": rows, "today": _day(today(request)), "feed": feed}
    return page(request, "tracking/reminders.html", context)


async def reminders_ics(request: Request) -> Response:
    settings = request.app.state.settings
    book = Logbook(casework(request))
    data = await _call(book.ics, settings.processing_days, today(request))
    return _download(data, "text/calendar; charset=utf-8", "cocflow-reminders.ics")


async def calendar_feed(request: Request) -> Response:
    """The reminders for a calendar app subscribed to the feed's address (no session: the
    address's own key is checked)."""
    settings = request.app.state.settings
    book = Logbook(casework(request))
    given = request.query_params.get("feed", "")
    try:
        data = await _call(book.feed, given, settings.processing_days, today(request))
    except InputError:
        return Response("Not this calendar.\n", status_code=403, media_type="text/plain")
    return Response(data, media_type="text/calendar; charset=utf-8")


# --- the case file in and out ---------------------------------------------------------------


def _import_case(work: Casework, path: Path) -> str:
    return work.start_case(load_case(path).to_case())


def _import_page(request: Request, errors: list[FieldError], file_error: str) -> Response:
    question = Question(
        id="case-file",
        label="Case file",
        hint="A .yaml, .yml or .json file in cocflow's case file format.",
        error=file_error,
    )
    context = {"errors": errors, "question": question}
    return page(request, "tracking/import.html", context, 400 if errors else 200)


async def import_case(request: Request) -> Response:
    """GET shows the upload; POST reads the case file and starts a case with it."""
    if request.method == "GET":
        return _import_page(request, [], "")
    work = casework(request)
    async with request.form() as form:
        upload = _upload(form, "case-file")
        if upload is None:
            message = "Choose a case file to import (.yaml, .yml or .json)"
            return _import_page(request, [FieldError("case-file", message)], message)
        with tempfile.TemporaryDirectory(prefix="cocflow-") as folder:
            path = await _saved(upload, Path(folder), "case.yaml")
            try:
                case_id = await _call(_import_case, work, path)
            except InputError as err:
                return _import_page(
                    request,
                    [FieldError("case-file", _located(p)) for p in err.problems],
                    "Nothing was stored: correct the file and import it again",
                )
    return RedirectResponse(f"/cases/{case_id}", 303)


EXPORT_HEADER = (
    "A cocflow case file (cocflow case new FILE, or Import a case file in cocflow serve).\n"
    "It holds the Social Security number and the date of birth when they were entered:\n"
    "keep it private."
)


def _case_file(work: Casework, case_id: str) -> bytes:
    case = work.working_copy(case_id)
    with tempfile.TemporaryDirectory(prefix="cocflow-") as folder:
        path = Path(folder) / "case.yaml"
        write_case(path, case, EXPORT_HEADER)
        return path.read_bytes()


async def case_file(request: Request) -> Response:
    work, case, _ = await _open_case(request)
    data = await _call(_case_file, work, case.id)
    return _download(data, "application/yaml", f"cocflow-case-{case.short}.yaml")


def routes() -> list[BaseRoute]:
    return [
        Route("/cases/import", import_case, methods=["GET", "POST"], name="import_case"),
        Route("/cases/{case_id:case}/trips", trips, methods=["GET"], name="trips"),
        Route("/cases/{case_id:case}/trips", trips_post, methods=["POST"], name="trips_post"),
        Route("/cases/{case_id:case}/trips/days", days, methods=["GET"], name="trip_days"),
        Route(
            "/cases/{case_id:case}/trips/remove/{trip_id:int}",
            remove_stay,
            methods=["GET", "POST"],
            name="remove_stay",
        ),
        Route("/cases/{case_id:case}/watch", watch_page, methods=["GET"], name="watch"),
        Route("/cases/{case_id:case}/watch/letter", draft_letter, methods=["POST"], name="draft"),
        Route("/cases/{case_id:case}/case-file", case_file, methods=["GET"], name="case_file"),
        Route("/reminders", reminders, methods=["GET"], name="reminders"),
        Route("/reminders.ics", reminders_ics, methods=["GET"], name="reminders_ics"),
        Route("/calendar.ics", calendar_feed, methods=["GET"], name="calendar_feed"),
    ]
