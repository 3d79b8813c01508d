"""The client board (filters, sorting, CSV), a new client, batch preparation, and each case's
team panel: its client, assignee, sign-off, the full SSN on request, a questionnaire link."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.case import Case
from cocflow.errors import CocflowError
from cocflow.services.access import Action, Denied, Role, allowed
from cocflow.services.board import DUE_SOON_DAYS, BoardFilter, BoardPage
from cocflow.services.team import Desk
from cocflow.store.progress import SORTS
from cocflow.web.deps import today
from cocflow.web.team.app import desk_of
from cocflow.web.team.routes.common import member, pages

__all__ = ["routes"]

FLAGS = ("overdue", "due soon", "answer changed")
PAGE = 100  # rows on one page of the board (the CSV has every row that matches)


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {k: params.get(k, "")[:100] for k in ("outcome", "flag", "q", "sort")}


def _chosen(filters: dict[str, str]) -> BoardFilter:
    """The board's filter from the page's query (an unknown sort is the file-by date's)."""
    sort = filters["sort"] if filters["sort"] in SORTS else "file_by"
    return BoardFilter(filters["outcome"], filters["flag"], filters["q"], sort, DUE_SOON_DAYS)


async def board(request: Request) -> Response:
    signed = member(request)
    desk = await run_in_threadpool(desk_of, request)
    filters = _filters(request)
    number = request.query_params.get("page", "1")
    wanted = int(number) if number.isdigit() and 0 < int(number) < 10**6 else 1

    def read(page: int) -> BoardPage:
        return desk.board_page(
            signed.actor, today(request), _chosen(filters), offset=(page - 1) * PAGE, limit=PAGE
        )

    found = await run_in_threadpool(read, wanted)
    pages_count = max(1, -(-found.matching // PAGE))
    page = min(wanted, pages_count)
    if page != wanted:  # past the last page: show the last one
        found = await run_in_threadpool(read, page)
    kept = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "title": "Clients",
        "rows": found.rows,
        "total": found.total,
        "matching": found.matching,
        "page": page,
        "pages_count": pages_count,
        "first_shown": (page - 1) * PAGE + 1,
        "page_link": f"/board?{kept}&page=" if kept else "/board?page=",
        "filters": filters,
        "outcomes": found.outcomes,
        "flags": FLAGS,
        "counts": found.counts,
        "behind": found.behind,
        "can_prepare": allowed(signed.actor, Action.REQUEST_PREPARE),
        "can_import": allowed(signed.actor, Action.ROSTER_IMPORT),
        "query": str(request.url.query),
    }
    # Rendering a page of rows takes a while: off the event loop, so other requests go on.
    return await run_in_threadpool(pages(request).render, request, "team/board.html", context)


async def board_csv(request: Request) -> Response:
    signed = member(request)
    desk = await run_in_threadpool(desk_of, request)
    rows = await run_in_threadpool(
        desk.board, signed.actor, today(request), _chosen(_filters(request))
    )
    data = Desk.board_csv(rows)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"'},
    )


async def new_client(request: Request) -> Response:
    signed = member(request)
    desk = await run_in_threadpool(desk_of, request)
    case_id, _ = await run_in_threadpool(desk.new_case, signed.actor, Case(), today(request))
    return RedirectResponse(f"/cases/{case_id}", 303)


async def prepare(request: Request) -> Response:
    signed = member(request)
    form = await request.form()
    chosen = [str(v) for v in form.getlist("case")][:500]
    desk = await run_in_threadpool(desk_of, request)
    results = await run_in_threadpool(desk.prepare, signed.actor, chosen, today(request))
    context = {
        "title": "Requests prepared",
        "results": results,
        "done": sum(1 for r in results if r.ok),
    }
    return pages(request).render(request, "team/prepared.html", context)


async def case_panel(request: Request) -> Response:
    signed = member(request)
    actor = signed.actor
    case_id = request.path_params["case_id"]
    desk = await run_in_threadpool(desk_of, request)
    access = await run_in_threadpool(desk.access, actor, case_id, Action.CASE_READ)
    context: dict[str, object] = {"title": "Case", "case_id": case_id}
    status = 200
    if request.method == "POST":
        form = await request.form()
        action = str(form.get("action", ""))
        try:
            if action == "approve":
                await run_in_threadpool(desk.approve, actor, case_id)
                context["said"] = "The request is signed off. It can now be recorded as filed."
            elif action == "reveal":
                context["ssn"] = await run_in_threadpool(desk.reveal_ssn, actor, case_id) or ""
            elif action == "questionnaire":
                secret = await run_in_threadpool(desk.questionnaire, actor, case_id)
                context["link"] = f"{request.base_url}welcome?token={secret}"
            elif action == "assign":
                chosen = str(form.get("assignee", "")) or None
                await run_in_threadpool(desk.assign, actor, case_id, chosen)
                access = await run_in_threadpool(desk.access, actor, case_id, Action.CASE_READ)
                context["said"] = "The case is assigned."
        except CocflowError as refused:
            context["refused"] = str(refused)
            status = 403 if isinstance(refused, Denied) else 409
    placed = await run_in_threadpool(desk.team.team_case, case_id)
    context.update(
        {
            "case": placed if actor.role != Role.CLIENT else None,
            "assignee": access.assignee_id,
            "approval": await run_in_threadpool(desk.approval, case_id),
            "notes": await run_in_threadpool(desk.team.client_notes, case_id),
            "members": [
                m for m in desk.team.members(actor.org_id or "") if m.role in {"owner", "preparer"}
            ],
            "may": {a.value: allowed(actor, a) for a in Action},
        }
    )
    return pages(request).render(request, "team/case.html", context, status)


def routes() -> list[BaseRoute]:
    return [
        Route("/board", board),
        Route("/board.csv", board_csv),
        Route("/board/new", new_client, methods=["POST"]),
        Route("/board/prepare", prepare, methods=["POST"]),
        Route("/team/cases/{case_id:case}", case_panel, methods=["GET", "POST"]),
    ]
