"""What a route needs besides the request: the case store, the day, a form's fields, and the
translation of the product's errors into the error summary of a page."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date

from starlette.requests import Request

from cocflow.errors import InputError
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from cocflow.web.components import FieldError

__all__ = ["casework", "field_errors", "form_fields", "today"]

_opening = threading.Lock()


def casework(request: Request) -> Casework:
    """The case store of this server, opened once (on first use) and shared by the routes."""
    state = request.app.state
    team = getattr(state, "team", None)
    if team is not None:  # the team server: its store, opened once
        team.open()
        assert isinstance(team.work, Casework)
        return team.work
    with _opening:
        work = getattr(state, "work", None)
        if work is None:
            settings = state.settings
            work = open_casework(settings, rules_for(settings))
            state.work = work
    assert isinstance(work, Casework)
    return work


def today(request: Request) -> date:
    """The day the pages judge on (a test may fix it as ``app.state.today``)."""
    fixed = getattr(request.app.state, "today", None)
    return fixed if isinstance(fixed, date) else date.today()


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's text fields (the CSRF field is checked before a route runs)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def field_errors(err: InputError, fields: Mapping[str, str] | None = None) -> list[FieldError]:
    """The problems of ``err`` for the error summary, each linked to its field: ``fields`` maps
    a problem's path to the id of the input it is about (else the first field of the page)."""
    out: list[FieldError] = []
    for problem in err.problems:
        target = (fields or {}).get(problem.path) or next(iter((fields or {}).values()), "main")
        out.append(FieldError(target, f"{_fix(problem.message)} {_fix(problem.fix)}".strip()))
    return out


def _fix(fix: str) -> str:
    return fix[:1].upper() + fix[1:] if fix else ""
