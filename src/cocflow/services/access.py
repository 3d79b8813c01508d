"""Who may do what: the roles of a team, the actions of the services, and the one check.

Every service that reads or changes a case in team mode asks :func:`require` first, so the
pages, the API and the command line enforce the same rules. The table is data
(:data:`PERMISSIONS`); the access-control matrix test walks all of it.

Object-level rules on top of the table:

- a case of another organisation does not exist for the actor (404, never 403: its id tells
  nothing);
- a preparer sees the cases assigned to them, unless the owner granted them every case;
- a client sees only their own case, and may only answer its questions;
- a reviewer may not approve a request they prepared (four eyes).

A single person's install has no organisations: its actor is :data:`SOLO`, the owner of
everything stored without an organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cocflow.errors import CocflowError

__all__ = [
    "PERMISSIONS",
    "SOLO",
    "Action",
    "Actor",
    "CaseAccess",
    "Denied",
    "NotFound",
    "Role",
    "allowed",
    "require",
    "sees_case",
]


class Role(StrEnum):
    OWNER = "owner"
    PREPARER = "preparer"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"  # reads everything, changes nothing
    CLIENT = "client"  # answers their own questions


ROLE_WORDS = {
    Role.OWNER: "Owner: everything, including members, the audit log and the keys' use",
    Role.PREPARER: "Preparer: imports clients, prepares and files requests, keeps proof files",
    Role.REVIEWER: "Reviewer: reads every case and signs off requests before they are filed",
    Role.AUDITOR: "Auditor: reads every case, proof file and the audit log; changes nothing",
    Role.CLIENT: "Client: answers the questions of their own case",
}


class Action(StrEnum):
    BOARD = "board"  # list the organisation's cases
    CASE_READ = "case.read"
    CASE_CREATE = "case.create"
    CASE_EDIT = "case.edit"
    CASE_ANSWER = "case.answer"  # answer a case's questions (a client, on their own case)
    CASE_ASSIGN = "case.assign"
    SSN_REVEAL = "ssn.reveal"
    ROSTER_IMPORT = "roster.import"
    REQUEST_PREPARE = "request.prepare"
    REQUEST_APPROVE = "request.approve"
    REQUEST_FILE = "request.file"  # record that the request went to SSA
    PROOF_ADD = "proof.add"
    PROOF_VERIFY = "proof.verify"
    PROOF_EXPORT = "proof.export"
    QUESTIONNAIRE_SEND = "questionnaire.send"
    AUDIT_READ = "audit.read"
    MEMBERS_MANAGE = "members.manage"
    TOKENS_OWN = "tokens.own"  # one's own access tokens and calendar feed
    RESCREEN = "rescreen"


_READERS = {Role.OWNER, Role.PREPARER, Role.REVIEWER, Role.AUDITOR}
_WORKERS = {Role.OWNER, Role.PREPARER}

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.BOARD: frozenset(_READERS),
    Action.CASE_READ: frozenset(_READERS | {Role.CLIENT}),
    Action.CASE_CREATE: frozenset(_WORKERS),
    Action.CASE_EDIT: frozenset(_WORKERS),
    Action.CASE_ANSWER: frozenset(_WORKERS | {Role.CLIENT}),
    Action.CASE_ASSIGN: frozenset({Role.OWNER}),
    Action.SSN_REVEAL: frozenset(_WORKERS),
    Action.ROSTER_IMPORT: frozenset(_WORKERS),
    Action.REQUEST_PREPARE: frozenset(_WORKERS),
    Action.REQUEST_APPROVE: frozenset({Role.OWNER, Role.REVIEWER}),
    Action.REQUEST_FILE: frozenset(_WORKERS),
    Action.PROOF_ADD: frozenset(_WORKERS),
    Action.PROOF_VERIFY: frozenset(_READERS),
    Action.PROOF_EXPORT: frozenset(_READERS),
    Action.QUESTIONNAIRE_SEND: frozenset(_WORKERS),
    Action.AUDIT_READ: frozenset({Role.OWNER, Role.AUDITOR}),
    Action.MEMBERS_MANAGE: frozenset({Role.OWNER}),
    Action.TOKENS_OWN: frozenset(_READERS),
    Action.RESCREEN: frozenset({Role.OWNER}),
}
"""Which roles may take each action at all (before the object-level rules)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a member of one organisation, or the single person of a local install
    (``org_id`` None)."""

    user_id: str | None
    org_id: str | None
    role: Role
    all_cases: bool = False  # a preparer granted every case of the organisation
    case_id: str | None = None  # a client's own case
    name: str = ""

    @property
    def label(self) -> str:
        """How the actor is named in a proof entry or the audit log."""
        return self.name or (self.user_id or "you")


SOLO = Actor(user_id=None, org_id=None, role=Role.OWNER, all_cases=True)
"""The person of a single-person install: owner of every case stored without an organisation."""


@dataclass(frozen=True, slots=True)
class CaseAccess:
    """What the checks need to know of a case: where it belongs and to whom it is assigned."""

    case_id: str
    org_id: str | None
    assignee_id: str | None


class Denied(CocflowError):
    """The actor may not take this action (HTTP 403, exit status 2)."""

    def __init__(self, action: Action, role: Role) -> None:
        super().__init__(
            f"Your role ({role.value}) does not allow this ({action.value}). Ask your "
            "organisation's owner if you need it."
        )
        self.action, self.role = action, role


class NotFound(CocflowError):
    """No such case for this actor: it does not exist, or belongs to someone else (HTTP 404)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"There is no case '{case_id}' that you can see.")
        self.case_id = case_id


def sees_case(actor: Actor, case: CaseAccess) -> bool:
    """Whether the case exists for the actor at all (its organisation, its assignment)."""
    if case.org_id != actor.org_id:
        return False
    if actor.role is Role.CLIENT:
        return case.case_id == actor.case_id
    if actor.role is Role.PREPARER and not actor.all_cases:
        return case.assignee_id == actor.user_id
    return True


def allowed(actor: Actor, action: Action, case: CaseAccess | None = None) -> bool:
    """Whether ``actor`` may take ``action`` (on ``case`` when the action is about one)."""
    if actor.role not in PERMISSIONS[action]:
        return False
    return case is None or sees_case(actor, case)


def require(actor: Actor, action: Action, case: CaseAccess | None = None) -> None:
    """Raise :class:`NotFound` for a case the actor cannot see, :class:`Denied` for an action
    their role does not allow; return when allowed."""
    if case is not None and not sees_case(actor, case):
        raise NotFound(case.case_id)
    if actor.role not in PERMISSIONS[action]:
        raise Denied(action, actor.role)
