"""The handlers of the API's operations, and the values they work with.

A handler is synchronous: it runs in a worker thread and calls the team's services
(:class:`~cocflow.services.team.Desk`) as the token's member. Every permission is the services'
(Desk checks the actor before it reads or changes a case, and audits a refusal); a handler only
translates the request into service calls and their results into JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cocflow.case import missing
from cocflow.errors import InputError, Problem
from cocflow.proof.chain import ChainEntry
from cocflow.services.access import Action, Actor, Denied, NotFound, allowed
from cocflow.services.accounts import Accounts
from cocflow.services.board import DUE_SOON_DAYS, BoardFilter
from cocflow.services.cases import INCOMPLETE
from cocflow.services.filing import check_case
from cocflow.services.signoff import Approval
from cocflow.services.team import BoardRow, Desk
from cocflow.web.api import inputs
from cocflow.web.api.problems import ApiProblem, error_item

__all__ = [
    "Api",
    "Call",
    "Reply",
    "approve",
    "check",
    "create_case",
    "document",
    "events",
    "list_cases",
    "prepare",
    "show_case",
    "sign_off",
    "verify",
]


@dataclass(frozen=True, slots=True)
class Api:
    """What the handlers work with: the team's casework, its accounts, the day, and the
    OpenAPI document (made for the address the API is mounted at)."""

    desk: Desk
    accounts: Accounts
    today: Callable[[], date]
    document: Callable[[str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler sees it: who (None only where no token is needed), the case
    id of the path ("" when none), the query and the parsed body."""

    api: Api
    actor: Actor | None
    case_id: str
    query: Mapping[str, str]
    body: Any
    root: str  # the path the API is mounted at, e.g. "/api/v1"

    @property
    def who(self) -> Actor:
        assert self.actor is not None, "an operation that needs a token got none"
        return self.actor

    @property
    def desk(self) -> Desk:
        return self.api.desk


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: the status, the JSON body, and any header to add."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


# --- JSON of the services' values --------------------------------------------------------


def _row(row: BoardRow) -> dict[str, Any]:
    return {
        "id": row.case_id,
        "reference": row.reference,
        "client": row.client,
        "label": row.label,
        "outcome": row.outcome,
        "file_by": row.file_by.isoformat() if row.file_by else None,
        "next_step": row.next_step,
        "flag": "overdue" if row.overdue else "due_soon" if row.due_soon else None,
        "assignee": row.assignee,
        "sign_off": row.sign_off,
    }


def _event(entry: ChainEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "payload": json.loads(entry.payload),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _sign_off(call: Call, state: Approval) -> dict[str, Any]:
    names = {m.user.id: m.user.name for m in call.desk.team.members(call.who.org_id or "")}

    def member(user_id: str | None) -> dict[str, str] | None:
        return {"id": user_id, "name": names.get(user_id, "")} if user_id else None

    return {
        "state": state.state,
        "request_json_mac": state.request_mac,
        "preparer": member(state.preparer),
        "reviewer": member(state.reviewer),
        "why": state.why or None,
    }


# --- the handlers ------------------------------------------------------------------------


def document(call: Call) -> Reply:
    """The OpenAPI document, for the address the API is mounted at."""
    return Reply(200, call.api.document(call.root))


def list_cases(call: Call) -> Reply:
    """The board's rows the member sees, filtered and sorted as the query asks."""
    flag = call.query.get("flag", "")
    chosen = BoardFilter(
        outcome=call.query.get("outcome", ""),
        flag="due soon" if flag == "due_soon" else flag,
        q=call.query.get("q", ""),
        sort=call.query.get("sort", "created"),  # by default, oldest first
        due_soon=DUE_SOON_DAYS,
    )
    rows = call.desk.board(call.who, call.api.today(), chosen)
    return Reply(200, {"cases": [_row(r) for r in rows]})


def show_case(call: Call) -> Reply:
    """One case as Casework.show() gives it: the SSN masked, the date of birth hidden, the
    decision as stored."""
    desk, actor = call.desk, call.who
    desk.access(actor, call.case_id, Action.CASE_READ)
    shown = desk.work.show(call.case_id)  # the SSN masked, the date of birth hidden
    placed = desk.team.team_case(call.case_id)
    if placed is None:  # removed since access() found it
        raise NotFound(call.case_id)
    ssn = (shown["facts"].get("person") or {}).get("ssn")
    return Reply(
        200,
        {
            "id": shown["id"],
            "client_ref": placed.client_ref,
            "client_name": placed.client_name,
            "outcome": shown["outcome"],
            "title": shown["title"],
            "created_at": shown["created_at"],
            "updated_at": shown["updated_at"],
            "ssn": ssn,
            "facts": shown["facts"],
            "decision": shown["decision"] or None,
        },
    )


def create_case(call: Call) -> Reply:
    """Store the case of the body as the member (screened, or kept to complete)."""
    given = inputs.new_case(call.body)
    org = call.who.org_id or ""
    if given.client_ref and call.desk.team.case_by_ref(org, given.client_ref) is not None:
        # Checked first: the store refuses a second case with the reference only after the
        # case itself is stored (see the report on Desk.new_case), which would leave it behind.
        raise ApiProblem(
            "reference-taken",
            "Another case of the organisation has this client reference: choose another.",
        )
    case_id, decision = call.desk.new_case(
        call.who,
        given.case,
        call.api.today(),
        client_ref=given.client_ref,
        client_name=given.client_name,
    )
    body = {
        "id": case_id,
        "outcome": decision.outcome if decision else INCOMPLETE,
        "decision": decision.as_dict() if decision else None,
        "missing_facts": [{"path": m.path, "what": m.what} for m in missing(given.case)],
    }
    return Reply(201, body, {"Location": f"{call.root}/cases/{case_id}"})


def _confirmed(call: Call) -> None:
    """Refuse (409) a case whose answers were never confirmed: it has nothing to check."""
    if call.desk.work.store.get_case(call.case_id).outcome == INCOMPLETE:
        raise ApiProblem(
            "case-incomplete",
            "The case still lacks facts screening needs; complete it before checking it.",
        )


def check(call: Call) -> Reply:
    """The pre-submit check of the stored case, on today's date."""
    desk = call.desk
    desk.access(call.who, call.case_id, Action.CASE_READ)
    _confirmed(call)
    report = check_case(desk.work.case(call.case_id), call.api.today(), desk.work.rules)
    return Reply(200, report.as_dict())


def prepare(call: Call) -> Reply:
    """Prepare and record the case's request (Desk.prepare); 422 with the check's errors
    when it cannot be."""
    desk, today = call.desk, call.api.today()
    (done,) = desk.prepare(call.who, [call.case_id], today)
    if not done.ok:
        errors = []
        if desk.work.store.get_case(call.case_id).outcome != INCOMPLETE:
            report = check_case(desk.work.case(call.case_id), today, desk.work.rules)
            errors = [
                error_item(Problem(f.path, f.code, f.message, f.fix))
                for f in report.findings
                if f.severity == "error"
            ]
        raise ApiProblem("not-ready", f"Nothing was prepared: {done.why}", errors=errors)
    entry = [e for e in desk.work.entries(call.case_id) if e.kind == "request_prepared"][-1]
    return Reply(
        201, {"entry": _event(entry), "sign_off": _sign_off(call, desk.approval(call.case_id))}
    )


def sign_off(call: Call) -> Reply:
    """Where the sign-off of the case's last prepared request stands."""
    call.desk.access(call.who, call.case_id, Action.CASE_READ)
    return Reply(200, _sign_off(call, call.desk.approval(call.case_id)))


def approve(call: Call) -> Reply:
    """Approve the last prepared request as the member (Desk.approve): 409 when there is
    none, 403 for a role that does not approve or for the member who prepared it."""
    desk, actor = call.desk, call.who
    try:
        entry = desk.approve(actor, call.case_id)
    except InputError as refused:
        if any(p.code == "NO_REQUEST" for p in refused.problems):
            raise ApiProblem("no-request", "The case has no prepared request to approve.") from None
        raise
    except Denied:
        # A role that approves, refused all the same: the four-eyes rule (it prepared it).
        if allowed(actor, Action.REQUEST_APPROVE) and (
            desk.approval(call.case_id).preparer == actor.user_id
        ):
            raise ApiProblem(
                "own-request",
                "You prepared this request: another member (a reviewer or the owner) approves it.",
            ) from None
        raise
    return Reply(
        201, {"entry": _event(entry), "sign_off": _sign_off(call, desk.approval(call.case_id))}
    )


def events(call: Call) -> Reply:
    """The proof file's entries, in order, each payload as JSON."""
    call.desk.access(call.who, call.case_id, Action.CASE_READ)
    return Reply(200, {"events": [_event(e) for e in call.desk.work.entries(call.case_id)]})


def verify(call: Call) -> Reply:
    """Whether the proof file verifies, else its first broken entry and why."""
    broken = call.desk.verify(call.who, call.case_id)
    if broken is None:
        return Reply(200, {"ok": True, "entry": None, "problem": None})
    return Reply(200, {"ok": False, "entry": broken[0], "problem": broken[1]})
