"""The organisation's members (invitations, roles, reset links) and the audit log."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cocflow.errors import InputError
from cocflow.services.access import ROLE_WORDS, Action, Role, require
from cocflow.web.components import FieldError
from cocflow.web.deps import field_errors, form_fields
from cocflow.web.team.app import accounts_of, desk_of
from cocflow.web.team.routes.common import member, pages

__all__ = ["routes"]

AUDIT_SHOWN = 500


async def members(request: Request) -> Response:
    signed = member(request)
    require(signed.actor, Action.MEMBERS_MANAGE)
    accounts = await run_in_threadpool(accounts_of, request)
    context: dict[str, object] = {"title": "Members", "errors": [], "values": {}}
    status = 200
    if request.method == "POST":
        fields = await form_fields(request)
        try:
            if fields.get("action") == "invite":
                context["values"] = fields
                role = Role(fields.get("role") or "preparer")
                secret = await run_in_threadpool(
                    lambda: accounts.invite(
                        signed.actor,
                        fields.get("email", ""),
                        fields.get("name", ""),
                        role,
                        all_cases=fields.get("all_cases") == "yes",
                    )
                )
                context["link"] = f"{request.base_url}join?token={secret}"
                context["link_for"] = fields.get("email", "")
                context["values"] = {}
            elif fields.get("action") == "reset":
                secret = await run_in_threadpool(
                    accounts.reset_link, signed.actor, fields.get("user", "")
                )
                context["link"] = f"{request.base_url}reset?token={secret}"
                context["link_for"] = "a new password"
        except InputError as err:
            context["errors"] = field_errors(err, {"email": "email"})
            status = 400
        except ValueError:
            context["errors"] = [FieldError("role", "Choose one of the roles.")]
            status = 400
    context["members"] = await run_in_threadpool(accounts.store.members, signed.actor.org_id or "")
    context["roles"] = [(r.value, ROLE_WORDS[r]) for r in Role if r is not Role.CLIENT]
    return pages(request).render(request, "team/members.html", context, status)


async def audit(request: Request) -> Response:
    signed = member(request)
    require(signed.actor, Action.AUDIT_READ)
    desk = await run_in_threadpool(desk_of, request)
    org = signed.actor.org_id or ""
    entries = await run_in_threadpool(lambda: desk.team.audit_entries(org, limit=AUDIT_SHOWN))
    names = {m.user.id: m.user.name for m in desk.team.members(org)}
    broken = await run_in_threadpool(desk.team.audit_break)
    context = {
        "title": "Audit log",
        "entries": entries,
        "names": names,
        "broken": broken,
        "shown": AUDIT_SHOWN,
    }
    return pages(request).render(request, "team/audit.html", context)


def routes() -> list[BaseRoute]:
    return [
        Route("/members", members, methods=["GET", "POST"]),
        Route("/audit", audit),
    ]
