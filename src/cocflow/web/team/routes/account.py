"""Signing in and out, the TOTP code, invitation and password-reset links, a client's
questionnaire link, and the member's own account (second factor, API tokens)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.errors import InputError
from cocflow.services.accounts import NOT_SIGNED_IN
from cocflow.web.components import FieldError
from cocflow.web.deps import field_errors, form_fields, today
from cocflow.web.team.app import accounts_of, desk_of
from cocflow.web.team.gate import cookie_names
from cocflow.web.team.limits import RateLimit
from cocflow.web.team.routes.common import (
    LINK_COOKIE,
    link_secret,
    member,
    pages,
    safe_next,
    take_link,
)

__all__ = ["routes"]


SIGN_INS_PER_WINDOW = 30
WINDOW_MINUTES = 10


def _limit(request: Request) -> RateLimit:
    state = request.app.state
    found = getattr(state, "sign_in_limit", None)
    if found is None:
        found = state.sign_in_limit = RateLimit(SIGN_INS_PER_WINDOW, WINDOW_MINUTES * 60)
    assert isinstance(found, RateLimit)
    return found


def _session_cookie(request: Request, response: Response, cookie: str) -> None:
    name, _ = cookie_names(request.scope)
    response.set_cookie(
        name,
        cookie,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def sign_in(request: Request) -> Response:
    values: dict[str, str] = {"email": "", "next": request.query_params.get("next", "")}
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        if not _limit(request).allow(request.client.host if request.client else "?"):
            return pages(request).message(
                request.scope,
                429,
                "Too many tries",
                f"This computer tried to sign in {SIGN_INS_PER_WINDOW} times in "
                f"{WINDOW_MINUTES} minutes. Wait a few minutes, then try again.",
                link=("/login", "Sign in"),
            )
        fields = await form_fields(request)
        values = {"email": fields.get("email", "")[:254], "next": fields.get("next", "")}
        accounts = await run_in_threadpool(accounts_of, request)
        signed = await run_in_threadpool(
            accounts.sign_in, values["email"], fields.get("password", "")[:1024]
        )
        if signed is not None:
            target = "/login/code" if signed.needs_code else safe_next(values["next"])
            response = RedirectResponse(target, 303)
            _session_cookie(request, response, signed.cookie)
            return response
        errors, status = [FieldError("email", NOT_SIGNED_IN)], 400
    return pages(request).render(
        request,
        "team/sign_in.html",
        {"title": "Sign in", "values": values, "errors": errors},
        status,
    )


async def code(request: Request) -> Response:
    signed = member(request)
    if not signed.needs_code:
        return RedirectResponse("/board", 303)
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        fields = await form_fields(request)
        accounts = await run_in_threadpool(accounts_of, request)
        if await run_in_threadpool(accounts.second_factor, signed, fields.get("code", "")[:20]):
            return RedirectResponse("/board", 303)
        errors, status = (
            [
                FieldError(
                    "code",
                    "The code is not right, or was used already. Type the code your "
                    "app shows now (it changes every 30 seconds).",
                )
            ],
            400,
        )
    return pages(request).render(
        request, "team/code.html", {"title": "Your sign-in code", "errors": errors}, status
    )


async def sign_out(request: Request) -> Response:
    accounts = await run_in_threadpool(accounts_of, request)
    await run_in_threadpool(accounts.sign_out, member(request))
    response = RedirectResponse("/login", 303)
    name, _ = cookie_names(request.scope)
    response.delete_cookie(name, path="/")
    return response


async def join(request: Request) -> Response:
    moved = take_link(request, "/join")
    if moved is not None:
        return moved
    accounts = await run_in_threadpool(accounts_of, request)
    secret = link_secret(request)
    try:
        token, user = await run_in_threadpool(accounts.invitation, secret)
    except InputError as err:
        return _bad_link(request, err)
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        fields = await form_fields(request)
        try:
            await run_in_threadpool(
                accounts.accept, secret, fields.get("password", "")[:1024], fields.get("name", "")
            )
        except InputError as err:
            errors, status = field_errors(err, {"password": "password", "link": "password"}), 400
        else:
            signed = await run_in_threadpool(accounts.sign_in, user.email, fields["password"])
            response = RedirectResponse("/login" if signed is None else "/board", 303)
            if signed is not None:
                _session_cookie(request, response, signed.cookie)
            response.delete_cookie(LINK_COOKIE, path="/join")
            return response
    context = {
        "title": "Join your team",
        "email": user.email,
        "name": user.name,
        "role": token.role or "",
        "new_account": user.password_hash is None,
        "errors": errors,
    }
    return pages(request).render(request, "team/join.html", context, status)


async def reset(request: Request) -> Response:
    moved = take_link(request, "/reset")
    if moved is not None:
        return moved
    accounts = await run_in_threadpool(accounts_of, request)
    secret = link_secret(request)
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        fields = await form_fields(request)
        try:
            await run_in_threadpool(accounts.reset_password, secret, fields.get("password", ""))
        except InputError as err:
            errors, status = field_errors(err, {"password": "password", "link": "password"}), 400
        else:
            response = RedirectResponse("/login", 303)
            response.delete_cookie(LINK_COOKIE, path="/reset")
            return response
    return pages(request).render(
        request, "team/reset.html", {"title": "Choose a new password", "errors": errors}, status
    )


async def welcome(request: Request) -> Response:
    """A client's questionnaire link: signs them in to their own case, once."""
    moved = take_link(request, "/welcome")
    if moved is not None:
        return moved
    accounts = await run_in_threadpool(accounts_of, request)
    if request.method == "POST":
        try:
            signed, case_id = await run_in_threadpool(
                accounts.open_questionnaire, link_secret(request)
            )
        except InputError as err:
            return _bad_link(request, err)
        response = RedirectResponse(f"/cases/{case_id}", 303)
        _session_cookie(request, response, signed.cookie)
        response.delete_cookie(LINK_COOKIE, path="/welcome")
        return response
    return pages(request).render(request, "team/welcome.html", {"title": "Your questions"})


def _bad_link(request: Request, err: InputError) -> Response:
    return pages(request).message(
        request.scope, 400, "This link does not work", *(p.message for p in err.problems)
    )


async def account(request: Request) -> Response:
    signed = member(request)
    accounts = await run_in_threadpool(accounts_of, request)
    context: dict[str, object] = {"title": "Your account", "member": signed, "errors": []}
    status = 200
    if request.method == "POST":
        fields = await form_fields(request)
        if fields.get("action") == "token":
            context["new_token"] = await run_in_threadpool(
                accounts.new_access_token, signed, fields.get("label", "")
            )
        elif fields.get("action") in {"feed-mine", "feed-team"}:
            scope = "mine" if fields["action"] == "feed-mine" else "team"
            secret = await run_in_threadpool(accounts.feed_address, signed, scope)
            context["feed"] = f"{request.base_url}calendar/feed.ics?feed={secret}"
        elif fields.get("action") == "totp":
            secret, uri = await run_in_threadpool(accounts.begin_totp, signed)
            context["totp"] = {"secret": secret, "uri": uri}
        elif fields.get("action") == "totp-confirm":
            secret = fields.get("secret", "")[:64]
            ok = await run_in_threadpool(
                accounts.confirm_totp, signed, secret, fields.get("code", "")[:20]
            )
            if ok:
                context["totp_on"] = True
            else:
                context["totp"] = {"secret": secret, "uri": ""}
                context["errors"] = [
                    FieldError("code", "The code is not right. Type the code your app shows now.")
                ]
                status = 400
    org = signed.actor.org_id or ""
    context["tokens"] = list(
        accounts.store.tokens(org, kind="access_token", user_id=signed.user.id)
    )
    return pages(request).render(request, "team/account.html", context, status)


async def calendar_feed(request: Request) -> Response:
    """A member's calendar feed: no session (a calendar app has none), the feed's own secret
    in the address. Each event names the client and the action."""
    accounts = await run_in_threadpool(accounts_of, request)
    found = await run_in_threadpool(accounts.feed_actor, request.query_params.get("feed", ""))
    if found is None:
        return pages(request).message(
            request.scope,
            404,
            "This calendar address does not work",
            "It was replaced by a newer one, withdrawn, or copied incompletely.",
        )
    actor, scope = found
    desk = await run_in_threadpool(desk_of, request)
    data = await run_in_threadpool(
        lambda: desk.calendar(actor, today(request), mine=scope == "mine")
    )
    return Response(data, media_type="text/calendar; charset=utf-8")


def routes() -> list[BaseRoute]:
    return [
        Route("/login", sign_in, methods=["GET", "POST"]),
        Route("/login/code", code, methods=["GET", "POST"]),
        Route("/logout", sign_out, methods=["POST"]),
        Route("/join", join, methods=["GET", "POST"]),
        Route("/reset", reset, methods=["GET", "POST"]),
        Route("/welcome", welcome, methods=["GET", "POST"]),
        Route("/account", account, methods=["GET", "POST"]),
        Route("/calendar/feed.ics", calendar_feed),
    ]
