"""Importing a client roster: upload, check the mapping and every problem (fixing cells in the
page), then store the clients. Between the steps the file is kept in the database, sealed with
the data key, for the signed-in session that sent it: every server process reaches it, and it
is removed once imported, when another file replaces it, or a day later."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.errors import InputError
from cocflow.interview.roster import DATE_ORDERS, FIELDS, DateOrder
from cocflow.io.rosterfile import MAX_BYTES
from cocflow.services import roster
from cocflow.services.access import Action, require
from cocflow.web.components import FieldError
from cocflow.web.deps import field_errors, today
from cocflow.web.team.app import desk_of
from cocflow.web.team.routes.common import member, pages

__all__ = ["routes"]

FIX_PREFIX = "fix:"
MAP_PREFIX = "map:"


def _order(text: str) -> DateOrder | None:
    return next((o for o in DATE_ORDERS if o == text), None)


async def upload(request: Request) -> Response:
    signed = member(request)
    require(signed.actor, Action.ROSTER_IMPORT)
    errors: list[FieldError] = []
    if request.method == "POST":
        async with request.form() as form:
            file = form.get("roster")
            got = None
            if isinstance(file, UploadFile) and file.filename:
                got = (file.filename[:200], await file.read(MAX_BYTES + 1))
        if got is not None:
            desk = await run_in_threadpool(desk_of, request)
            assert signed.actor.org_id is not None
            await run_in_threadpool(desk.team.keep_upload, signed.digest, signed.actor.org_id, *got)
            return await _review(request, {}, None, {}, first=True)
        errors = [FieldError("roster", "Choose the roster file (Excel or CSV).")]
    return pages(request).render(
        request,
        "team/import.html",
        {"title": "Import clients", "errors": errors},
        400 if errors else 200,
    )


async def review(request: Request) -> Response:
    signed = member(request)
    require(signed.actor, Action.ROSTER_IMPORT)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    mapping = {
        k[len(MAP_PREFIX) :]: (v or None) for k, v in fields.items() if k.startswith(MAP_PREFIX)
    }
    fixes: dict[tuple[int, str], str] = {}
    for key, value in fields.items():
        if key.startswith(FIX_PREFIX) and value.strip():
            row, _, heading = key[len(FIX_PREFIX) :].partition(":")
            if row.isdigit():
                fixes[(int(row), heading)] = value.strip()
    order = _order(fields.get("date_order", ""))
    return await _review(request, mapping, order, fixes, apply=fields.get("action") == "apply")


async def _review(
    request: Request,
    mapping: dict[str, str | None],
    order: DateOrder | None,
    fixes: dict[tuple[int, str], str],
    *,
    first: bool = False,
    apply: bool = False,
) -> Response:
    signed = member(request)
    desk = await run_in_threadpool(desk_of, request)
    upload_ = await run_in_threadpool(desk.team.upload, signed.digest)
    if upload_ is None:
        return RedirectResponse("/import", 303)
    name, data = upload_
    context: dict[str, Any] = {
        "title": "Check the import",
        "filename": name,
        "fields": FIELDS,
        "orders": DATE_ORDERS,
        "fixes": {f"{r}:{h}": v for (r, h), v in fixes.items()},
        "errors": [],
    }
    try:
        plan = await run_in_threadpool(
            lambda: roster.preview(
                desk,
                signed.actor,
                data,
                name,
                mapping=None if first else mapping,
                date_order=order,
                fixes=fixes,
            )
        )
    except InputError as err:
        if first:
            await run_in_threadpool(desk.team.drop_upload, signed.digest)
            context["errors"] = field_errors(err, {"FILE": "roster"})
            context["title"] = "Import clients"
            return pages(request).render(request, "team/import.html", context, 400)
        context["errors"] = [FieldError("mapping", p.line()) for p in err.problems]
        context["plan"] = None
        context["mapping"] = mapping
        context["headers"] = list(mapping)
        context["date_order"] = order or ""
        return pages(request).render(request, "team/review.html", context, 400)
    if apply and plan.result.clients:
        done = await run_in_threadpool(roster.apply, desk, signed.actor, plan, today(request))
        await run_in_threadpool(desk.team.drop_upload, signed.digest)
        context.update({"title": "Clients imported", "done": done, "plan": plan})
        return pages(request).render(request, "team/imported.html", context)
    context.update(
        {
            "plan": plan,
            "mapping": plan.mapping,
            "headers": plan.table.headers,
            "date_order": plan.date_order or "",
        }
    )
    return pages(request).render(request, "team/review.html", context)


def routes() -> list[BaseRoute]:
    return [
        Route("/import", upload, methods=["GET", "POST"]),
        Route("/import/review", review, methods=["POST"]),
    ]
