"""The interview: the list of cases, a case's task list, one question per page, where the person
lives and works, check your answers, and the answer.

Routes parse a form, call one service and render. The questions are the interview's own
definitions (``cocflow.interview``), the same the terminal asks; answers go into the case's
working copy (kept on refresh and on Back) and reach the proof file only when confirmed.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.case import Case, Client, Engagement, Residence, public_title
from cocflow.countries import country_name
from cocflow.errors import InputError
from cocflow.interview import questions as interview
from cocflow.interview.filing import FILING_QUESTIONS, RECORD_QUESTIONS
from cocflow.interview.questions import QUESTIONS, Question
from cocflow.services.cases import Casework
from cocflow.services.filing import filing_details_needed
from cocflow.services.progress import case_progress, known_progress
from cocflow.services.screening import conditions, follow_up_questions
from cocflow.web import components as ui
from cocflow.web.deps import casework, field_errors, form_fields, today
from cocflow.web.render import page
from cocflow.web.routes.views import answer_view, check_sections, question_view

__all__ = ["routes"]

# The questions of the first section, in the order asked; the others have pages of their own.
WORK = ("kind", "citizenship", "employer_name", "employer_country", "employer_hired",
        "operating_since")  # fmt: skip
_KEPT_PAGES = 512  # task-list pages kept rendered, the oldest dropped first
_STATIC = {q.id: q for q in (*QUESTIONS, *FILING_QUESTIONS, *RECORD_QUESTIONS)}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _case_id(request: Request, work: Casework) -> str:
    """The case of the URL, or a 404 page (never a database error)."""
    given = str(request.path_params["case_id"])
    try:
        work.store.get_case(given)
    except InputError:
        raise HTTPException(404) from None
    return given


# --- the list of cases and a new case ---------------------------------------------------


def cases_list(request: Request) -> Response:
    work = casework(request)
    rows = list(work.cases())
    return page(request, "interview/cases.html", {"title": "Your cases", "cases": rows})


def new_case(request: Request) -> Response:
    work = casework(request)
    case_id = work.start_case()
    return _see_other(f"/cases/{case_id}/q/kind")


# --- the task list ---------------------------------------------------------------------


_LINKS = {
    "work": "q/kind",
    "home": "home",
    "stays": "stays",
    "answer": "check",
    "details": "details",
    "documents": "documents",
    "proof": "proof",
    "delivery": "proof#delivery",
}


async def hub(request: Request) -> Response:
    """The task list. Read far more often than anything changes: when nothing did, it is
    answered at once (one query); otherwise it is worked out in a worker thread."""
    work = casework(request)
    case_id = str(request.path_params["case_id"])
    day = today(request)
    try:
        progress = known_progress(work, case_id, day)
        if progress is None:
            progress = await run_in_threadpool(case_progress, work, case_id, day)
    except InputError:  # no such case
        raise HTTPException(404) from None
    rendered: dict[str, tuple[object, bytes]] = request.app.state.__dict__.setdefault(
        "_hub_pages", {}
    )
    kept = rendered.get(case_id)
    if kept is not None and kept[0] is progress:  # the same task list: the same page
        return HTMLResponse(kept[1])
    sections = (
        ui.TaskSection(
            "Tell us about the work",
            tuple(_task(case_id, s) for s in progress.sections[:4]),
        ),
        ui.TaskSection(
            "Get the other country's certificate"
            if progress.foreign
            else "Ask SSA for the certificate",
            tuple(_task(case_id, s) for s in progress.sections[4:]),
        ),
    )
    response = page(
        request,
        "interview/hub.html",
        {
            "title": _public_title(progress.case),
            "progress": progress,
            "sections": sections,
            "case_id": case_id,
        },
    )
    if len(rendered) >= _KEPT_PAGES:
        rendered.pop(next(iter(rendered)))
    rendered[case_id] = (progress, bytes(response.body))  # the page holds no session's token
    return response


def _public_title(case: Case) -> str:
    """How a page names the case: its label, else its places (never the person's name)."""
    return public_title(case)


def _task(case_id: str, section: Any) -> ui.Task:
    status = ui.TaskStatus(section.status)
    target = _LINKS[section.key]
    if section.key == "answer" and status in (ui.TaskStatus.DONE, ui.TaskStatus.NEEDS_INFORMATION):
        target = "answer"  # the answer as confirmed; "check your answers" is one link away
    href = "" if status is ui.TaskStatus.CANNOT_START_YET else f"/cases/{case_id}/{target}"
    return ui.Task(section.title, status, href, section.hint)


# --- one question per page -------------------------------------------------------------


def _question(work: Casework, case: Case, qid: str, day: date) -> Question:
    """The question ``qid``: as a screening or the check asks for it (then it is needed), else
    the fixed one."""
    asked = follow_up_questions_for(work, case, day)
    with contextlib.suppress(InputError):  # a case not screenable yet has no filing question
        asked += filing_details_needed(case, day, work.rules)
    found = next((q for q in asked if q.id == qid), None) or _STATIC.get(qid)
    if found is None:
        raise HTTPException(404)
    return found


def follow_up_questions_for(work: Casework, case: Case, day: date) -> tuple[Question, ...]:
    """The questions a pause asks (its missing facts), for the case as it stands."""
    from cocflow.services.screening import screen_case

    try:
        decision = screen_case(case, day, work.rules)
    except InputError:
        return ()
    return follow_up_questions(case, decision, work.rules)


def _after(case_id: str, case: Case, qid: str, back: str | None) -> str:
    """Where a question's answer leads: back to the page that sent the person, else on."""
    if back in ("check", "details"):
        return f"/cases/{case_id}/{back}"
    if qid in WORK:
        rest = [q for q in WORK[WORK.index(qid) + 1 :] if _STATIC[q].when(case)]
        if rest:
            return f"/cases/{case_id}/q/{rest[0]}"
        return f"/cases/{case_id}/home"
    filing = {q.id for q in (*FILING_QUESTIONS, *RECORD_QUESTIONS)}
    if qid in filing:
        return f"/cases/{case_id}/details"
    if qid.startswith("extra:"):
        return f"/cases/{case_id}/details"
    return f"/cases/{case_id}/check"


def _back_link(case_id: str, case: Case, qid: str, back: str | None) -> str:
    """Where Back goes: the page that sent the person, else the question before (one that
    applies to this case), else the task list."""
    if back == "check":
        return f"/cases/{case_id}/check"
    if back == "details":
        return f"/cases/{case_id}/details?review=1"
    if qid in WORK:
        before = [q for q in WORK[: WORK.index(qid)] if _STATIC[q].when(case)]
        if before:
            return f"/cases/{case_id}/q/{before[-1]}"
    return f"/cases/{case_id}"


async def question_page(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    qid = str(request.path_params["qid"])
    day = today(request)
    case = work.working_copy(case_id)
    question = _question(work, case, qid, day)
    back = request.query_params.get("back")
    error = ""
    values: dict[str, str] = {}
    address_errors: dict[str, str] = {}
    if request.method == "POST":
        values = await form_fields(request)
        if question.kind == "address":
            parts = {n: values.get(f"address-{n}", "") for n, _, _ in interview.ADDRESS_PARTS}
            address_errors = {n: _sentence(m) for n, m in interview.address_problems(parts)}
        try:
            value = _parse(question, values, case)
        except ValueError as exc:
            error = _sentence(str(exc))
        else:
            work.save_draft(case_id, interview.with_answer(case, question, value))
            return _see_other(_after(case_id, case, qid, back))
    view = question_view(question, case, values, error)
    return page(
        request,
        "interview/question.html",
        {
            "title": question.text,
            "q": view,
            "address": question.kind == "address",
            "address_parts": interview.ADDRESS_PARTS,
            "address_values": _address_values(question, case, values),
            "errors": [ui.FieldError(_address_id(n), m) for n, m in address_errors.items()]
            or ([ui.FieldError(view.id, error)] if error else []),
            "address_errors": address_errors,
            "back_href": _back_link(case_id, case, qid, back),
            "case_id": case_id,
        },
        status=400 if error else 200,
    )


def _address_id(part: str) -> str:
    """The id of an address part's input (the first part's is the question's own)."""
    return "answer" if part == interview.ADDRESS_PARTS[0][0] else f"address-{part}"


def _address_values(question: Question, case: Case, posted: dict[str, str]) -> dict[str, str]:
    """The parts of an address question: as posted, else as on file (country by name)."""
    if question.kind != "address":
        return {}
    if posted:
        return {name: posted.get(f"address-{name}", "") for name, _, _ in interview.ADDRESS_PARTS}
    value = interview.current(case, question)
    if value is None:
        return {}
    shown = {name: getattr(value, name) or "" for name, _, _ in interview.ADDRESS_PARTS}
    shown["country"] = country_name(value.country).removeprefix("the ")
    return shown


def _parse(question: Question, values: dict[str, str], case: Case) -> Any:
    """The answer in the form, checked as the terminal checks it."""
    if question.kind == "address":
        parts = {name: values.get(f"address-{name}", "") for name, _, _ in interview.ADDRESS_PARTS}
        return interview.parse_address(parts)
    text = values.get("answer", "")
    if question.kind == "ssn" and not text.strip() and interview.current(case, question):
        return interview.current(case, question)  # kept: the number is never sent back
    if question.kind in ("choice", "yes_no"):
        choices = question.choices or interview.YES_NO
        if text not in {value for value, _ in choices}:  # the page offers only its choices
            raise ValueError("select one of the answers")
    return interview.parse_answer(question, text)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?")) else text + "."


# --- where the person lives, and where the work is ---------------------------------------


async def home_page(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    rows = list(case.worker.residence)
    index = _row(request, len(rows))
    current = rows[index] if index < len(rows) else None
    values = {
        "country": current.country if current else "",
        "start": current.start.isoformat() if current else "",
        "end": current.end.isoformat() if current and current.end else "",
    }
    errors: list[ui.FieldError] = []
    if request.method == "POST":
        values = {**values, **await form_fields(request)}
        errors, row = _residence(values)
        if row is not None:
            rows[index : index + 1] = [row]
            rows.sort(key=lambda r: r.start)
            work.save_draft(
                case_id, replace(case, worker=replace(case.worker, residence=tuple(rows)))
            )
            nxt = (
                "check"
                if request.query_params.get("back") == "check" or case.engagements
                else "stays"
            )
            return _see_other(f"/cases/{case_id}/{nxt}")
    return page(
        request,
        "interview/home.html",
        {
            "title": "Where do you live?",
            "back_href": _back_to(request, case_id),
            "fields": _fields("home", _HOME_FIELDS, values, errors),
            "errors": errors,
            "case_id": case_id,
            "why": _STATIC["home"].why,
        },
        status=400 if errors else 200,
    )


_DATE = "Year, month and day, for example 2027-01-15."
_COUNTRY = "A country's name or its two-letter code, for example Portugal or PT."
_HOME_FIELDS = (
    ("country", "Country", _COUNTRY),
    ("start", "Living there since", _DATE),
    ("end", "Until (only if you moved out, or will)", _DATE + " Leave empty if you live there."),
)
_STAY_FIELDS = (
    ("country", "Country where you will physically do the work", _COUNTRY),
    ("start", "First day of the work there", _DATE),
    ("end", "Last day (if you know it)", _DATE + " Leave empty if the work has no end date."),
    ("client_name", "Client or company you work for there (optional)",
     "Shown for context: the client's country never decides coverage."),
    ("client_country", "The client's country (optional)", "Only the place of work counts."),
)  # fmt: skip


def _fields(
    prefix: str,
    spec: tuple[tuple[str, str, str], ...],
    values: dict[str, str],
    errors: list[ui.FieldError],
) -> list[ui.Question]:
    """The labelled fields of a page that asks for one row (a home, a stay)."""
    error_for = {e.field_id: e.message for e in errors}
    out = []
    for name, label, hint in spec:
        field_id = f"{prefix}-{name.replace('_', '-')}"
        out.append(
            ui.Question(
                id=field_id,
                name=name,
                label=label,
                hint=hint,
                value=values.get(name, ""),
                error=error_for.get(field_id, ""),
                width="medium" if name in ("start", "end") else "",
            )
        )
    return out


def _back_to(request: Request, case_id: str) -> str:
    back = request.query_params.get("back")
    return f"/cases/{case_id}/check" if back == "check" else f"/cases/{case_id}"


def _row(request: Request, count: int) -> int:
    given = request.query_params.get("row")
    if given is None:
        return 0
    if given == "new":
        return count
    if not given.isdigit() or int(given) > count:
        raise HTTPException(404)
    return int(given)


def _residence(values: dict[str, str]) -> tuple[list[ui.FieldError], Residence | None]:
    errors: list[ui.FieldError] = []
    parsed: dict[str, Any] = {}
    for field, qid, optional in (("country", "home", False), ("start", "home_since", False),
                                 ("end", "home_since", True)):  # fmt: skip
        question = replace(_STATIC[qid], optional=optional)
        try:
            parsed[field] = interview.parse_answer(question, values.get(field, ""))
        except ValueError as exc:
            label = next(lbl for name, lbl, _ in _HOME_FIELDS if name == field)
            errors.append(ui.FieldError(f"home-{field}", _sentence(f"{label}: {exc}")))
    if not errors and parsed["end"] is not None and parsed["end"] < parsed["start"]:
        errors.append(ui.FieldError("home-end", "The last day is before the first day."))
    if errors:
        return errors, None
    return [], Residence(parsed["country"], parsed["start"], parsed["end"])


async def stay_page(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    stays = list(case.engagements)
    index = _row(request, len(stays))
    current = stays[index] if index < len(stays) else None
    client = current.client if current and current.client else Client()
    values = {
        "country": current.country if current else "",
        "start": current.start.isoformat() if current else "",
        "end": current.end.isoformat() if current and current.end else "",
        "client_name": client.name or "",
        "client_country": client.country or "",
    }
    errors: list[ui.FieldError] = []
    if request.method == "POST":
        values = {**values, **await form_fields(request)}
        errors, stay = _stay(values, current)
        if stay is not None:
            stays[index : index + 1] = [stay]
            work.save_draft(case_id, replace(case, engagements=tuple(stays)))
            return _see_other(f"/cases/{case_id}/check")
    return page(
        request,
        "interview/stay.html",
        {
            "title": "Where will you do the work?",
            "back_href": _back_to(request, case_id),
            "fields": _fields("stay", _STAY_FIELDS, values, errors),
            "errors": errors,
            "case_id": case_id,
            "why": _STATIC["work_country"].why,
        },
        status=400 if errors else 200,
    )


def _stay(
    values: dict[str, str], current: Engagement | None
) -> tuple[list[ui.FieldError], Engagement | None]:
    errors: list[ui.FieldError] = []
    parsed: dict[str, Any] = {}
    for field, qid, optional in (("country", "work_country", False),
                                 ("start", "work_start", False), ("end", "work_end", True),
                                 ("client_country", "home", True)):  # fmt: skip
        question = replace(_STATIC[qid], optional=optional)
        try:
            parsed[field] = interview.parse_answer(question, values.get(field, ""))
        except ValueError as exc:
            label = next(lbl for name, lbl, _ in _STAY_FIELDS if name == field)
            errors.append(
                ui.FieldError(f"stay-{field.replace('_', '-')}", _sentence(f"{label}: {exc}"))
            )
    if not errors and parsed["end"] is not None and parsed["end"] < parsed["start"]:
        errors.append(ui.FieldError("stay-end", "The last day is before the first day."))
    if errors:
        return errors, None
    name = values.get("client_name", "").strip() or None
    client = Client(name, parsed["client_country"]) if name or parsed["client_country"] else None
    base = current or Engagement(parsed["country"], parsed["start"])
    stay = replace(
        base, country=parsed["country"], start=parsed["start"], end=parsed["end"], client=client
    )
    return [], stay


async def remove_row(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    kind = request.url.path.rsplit("/", 3)[-3]  # home or stays
    index = int(request.path_params["index"])
    if kind == "home" and index < len(case.worker.residence):
        rows = tuple(r for i, r in enumerate(case.worker.residence) if i != index)
        case = replace(case, worker=replace(case.worker, residence=rows))
    elif kind == "stays" and index < len(case.engagements):
        case = replace(
            case, engagements=tuple(e for i, e in enumerate(case.engagements) if i != index)
        )
    else:
        raise HTTPException(404)
    work.save_draft(case_id, case)
    return _see_other(f"/cases/{case_id}/check")


def stays_start(request: Request) -> Response:
    """The stays section: the first stay's page, or the check page once there are stays."""
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    return _see_other(f"/cases/{case_id}/{'check' if case.engagements else 'stays/edit?row=new'}")


def home_start(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    where = "check" if case.worker.residence else "home/edit?row=new"
    return _see_other(f"/cases/{case_id}/{where}")


# --- check your answers, the answer -------------------------------------------------------


async def check_page(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    case = work.working_copy(case_id)
    errors: list[ui.FieldError] = []
    if request.method == "POST":
        try:
            work.confirm(case_id, today(request))
        except InputError as err:
            errors = field_errors(err, {p.path: _check_anchor(p.path) for p in err.problems})
        else:
            return _see_other(f"/cases/{case_id}/answer")
    return page(
        request,
        "interview/check.html",
        {
            "title": "Check your answers",
            "sections": check_sections(case_id, case),
            "errors": errors,
            "case_id": case_id,
        },
        status=400 if errors else 200,
    )


def _check_anchor(path: str) -> str:
    """The heading of "check your answers" that a missing fact belongs under."""
    if path.startswith("worker.residence"):
        return "check-home"
    if path.startswith("engagements"):
        return "check-stays"
    return "check-work"


def answer_page(request: Request) -> Response:
    work = casework(request)
    case_id = _case_id(request, work)
    summary = work.store.get_case(case_id)
    if summary.outcome == "incomplete":
        return _see_other(f"/cases/{case_id}/check")
    day = today(request)
    case = work.case(case_id)
    from cocflow.screening.screen import screen

    decision = screen(case, work.rules, day)
    follow = follow_up_questions(case, decision, work.rules)
    plan = work.foreign_plan_of(decision.as_dict())
    view = answer_view(decision, case, follow, plan, conditions(work.rules))
    stored = summary.decision
    codes = sorted({r.code for r in decision.all_reasons()})
    recorded = sorted(
        {r["code"] for r in stored.get("reasons", [])}
        | {r["code"] for seg in stored.get("segments", []) for r in seg.get("reasons", [])}
    )
    return page(
        request,
        "interview/answer.html",
        {
            "title": view.title,
            "answer": view,
            "case_id": case_id,
            "unconfirmed": work.has_changes(case_id),
            # Screened again today (the rules or the day moved on): not what the proof file holds.
            "differs": stored.get("outcome") != decision.outcome or recorded != codes,
            "recorded_outcome": str(stored.get("outcome", "")).replace("_", " "),
        },
    )


def details_page(request: Request) -> Response:
    """The filing details: the next question the request needs, else what is on file; its
    button confirms them (screened again and stored in the proof file)."""
    work = casework(request)
    case_id = _case_id(request, work)
    day = today(request)
    if request.method == "POST":
        from cocflow.services.filing import check_case as check_now

        ready = check_now(work.working_copy(case_id), day, work.rules).ready
        if ready:
            try:
                work.confirm(case_id, day)
            except InputError:
                ready = False
        if ready:
            return _see_other(f"/cases/{case_id}/documents")
        return _see_other(f"/cases/{case_id}/details?review=1")
    case = work.working_copy(case_id)
    try:
        needed = [q for q in filing_details_needed(case, day, work.rules) if not q.optional]
    except InputError:
        return _see_other(f"/cases/{case_id}/check")
    if needed and request.query_params.get("review") is None:
        return _see_other(f"/cases/{case_id}/q/{needed[0].id}?back=details")
    from cocflow.services.filing import check_case
    from cocflow.web.routes.views import details_rows, finding_links

    report = check_case(case, day, work.rules) if not needed else None
    found = list(report.findings) if report else []
    findings = list(zip(found, finding_links(case_id, case, [f.path for f in found]), strict=True))
    unconfirmed = work.has_changes(case_id)
    return page(
        request,
        "interview/details.html",
        {
            "title": "Filing details",
            "rows": details_rows(case_id, case),
            "findings": findings,
            "ready": bool(report and report.ready),
            "needed": needed,
            "unconfirmed": unconfirmed,
            "case_id": case_id,
            "country_name": country_name,
        },
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/cases", cases_list, methods=["GET"], name="cases"),
        Route("/cases/new", new_case, methods=["POST"]),
        Route("/cases/{case_id:case}", hub, methods=["GET"]),
        Route("/cases/{case_id:case}/q/{qid:str}", question_page, methods=["GET", "POST"]),
        Route("/cases/{case_id:case}/home", home_start, methods=["GET"]),
        Route("/cases/{case_id:case}/home/edit", home_page, methods=["GET", "POST"]),
        Route("/cases/{case_id:case}/stays", stays_start, methods=["GET"]),
        Route("/cases/{case_id:case}/stays/edit", stay_page, methods=["GET", "POST"]),
        Route("/cases/{case_id:case}/{kind:str}/{index:int}/remove", remove_row, methods=["POST"]),
        Route("/cases/{case_id:case}/check", check_page, methods=["GET", "POST"]),
        Route("/cases/{case_id:case}/answer", answer_page, methods=["GET"]),
        Route("/cases/{case_id:case}/details", details_page, methods=["GET", "POST"]),
    ]
