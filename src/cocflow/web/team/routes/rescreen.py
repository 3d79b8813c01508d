"""The owner's page for screening every client again under the rules in use: start a run, see
its progress and the clients whose answer changed."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.rescreen.changes import changes_from_dict
from cocflow.services import rescreen
from cocflow.services.access import Action, require
from cocflow.web.team.app import desk_of
from cocflow.web.team.routes.common import member, pages

__all__ = ["routes"]


async def screen_again(request: Request) -> Response:
    signed = member(request)
    require(signed.actor, Action.RESCREEN)
    desk = await run_in_threadpool(desk_of, request)
    if request.method == "POST":
        settings = request.app.state.settings
        await run_in_threadpool(rescreen.start_for_team, desk, signed.actor, settings)
        return RedirectResponse("/team/rescreen", 303)
    run, results = await run_in_threadpool(rescreen.team_report, desk, signed.actor)
    context = {
        "title": "Screen every client again",
        "run": run,
        "version": desk.work.rules.version,
        "queued": desk.work.store.engine.dialect.name == "postgresql",
        "results": [(r, changes_from_dict(r.changes).summary()) for r in results[:500]],
        "more": max(0, len(results) - 500),
    }
    return pages(request).render(request, "team/rescreen.html", context)


def routes() -> list[BaseRoute]:
    return [Route("/team/rescreen", screen_again, methods=["GET", "POST"])]
