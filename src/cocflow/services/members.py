"""Who works on a store from the command line: the single person of a local install, or a
member of a team, named by a personal access token.

A store that holds an organisation is a team's. Its cases are worked on as a member, with the
checks of the pages and the API (:class:`~cocflow.services.team.Desk`): the member is named by
a personal access token (the API's, made on the team server's Account page), the role table
applies, a case the member cannot see does not exist for them, every refusal and every change
is audited, and every proof entry written names them. A store without an organisation is a
single person's: its actor is :data:`~cocflow.services.access.SOLO`, nothing is checked and no
token is needed, as before teams existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cocflow.case import Case
from cocflow.errors import InputError, Problem, clip
from cocflow.io.settings import Settings
from cocflow.proof.chain import ChainEntry
from cocflow.screening.decision import Decision
from cocflow.services.access import SOLO, Action, Actor, Denied, allowed
from cocflow.services.accounts import Accounts
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.team import Desk
from cocflow.services.tracking import Logbook
from cocflow.store.db import open_engine, sqlite_url
from cocflow.store.repo import CaseSummary, acting
from cocflow.store.team import TeamStore, holds_orgs
from cocflow.tracking.reminders import Obligation, Reminder, schedule, to_ics

__all__ = ["MAX_TOKEN", "TOKEN_VARIABLE", "Seat", "refuse_a_team_store", "take_seat"]

TOKEN_VARIABLE = "COCFLOW_TOKEN"
MAX_TOKEN = 200  # as the API: a token is 6 + 43 characters; a longer value is not one
_FIX = f"set {TOKEN_VARIABLE} to a personal access token from your Account page on the team server."


def _not_a_member(code: str, message: str) -> InputError:
    return InputError([Problem(TOKEN_VARIABLE, code, message, _FIX)])


def _by(actor: Actor) -> dict[str, str] | None:
    """How a proof entry names the actor (as the Desk writes it); None for the single person."""
    return {"id": actor.user_id, "name": actor.label} if actor.user_id else None


def refuse_a_team_store(settings: Settings) -> None:
    """Refuse to serve a team's store with the single person's pages (no sign-in, every
    organisation's cases): a team's store is served with ``cocflow serve --team``."""
    if settings.database_url is None and not (settings.home / "cocflow.db").exists():
        return  # a new install: nothing stored yet
    engine = open_engine(settings.database_url or sqlite_url(settings.home))
    try:
        team = holds_orgs(engine)
    finally:
        engine.dispose()
    if team:
        raise InputError(
            [
                Problem(
                    "--team",
                    "TEAM_STORE",
                    "This store belongs to a team: its pages are for members who sign in.",
                    "serve it with 'cocflow serve --team' (see docs/team.md).",
                )
            ]
        )


def take_seat(work: Casework, token: str | None) -> Seat:
    """Who works on ``work``'s store: the single person when it holds no organisation, else the
    member whose personal access token ``token`` is (refused with what to do when there is none
    or it does not work)."""
    team = TeamStore(work.store.engine, work.store.keys)
    if not team.has_orgs():
        return Seat(work, SOLO)
    secret = (token or "").strip()
    if not secret:
        raise _not_a_member(
            "TOKEN_REQUIRED",
            "This store belongs to a team: its cases are worked on as a member, named by a "
            "personal access token, and none is set.",
        )
    actor = None
    if len(secret) <= MAX_TOKEN and secret.isascii():
        actor = Accounts(team).token_actor(secret)
    if actor is None:
        raise _not_a_member(
            "TOKEN_NOT_WORKING",
            "This store belongs to a team, and the token set does not work: it is unknown, "
            "expired or withdrawn, or its member left the organisation.",
        )
    return Seat(work, actor, Desk(work, team))


@dataclass(frozen=True, slots=True)
class Seat:
    """The store as one actor works on it: every case operation of the command line, checked
    against the role table on a team's store (``desk``), as it always was on a single
    person's (``desk`` None)."""

    work: Casework
    actor: Actor
    desk: Desk | None = None

    # --- who may do what -------------------------------------------------------------------

    def may(self, action: Action) -> None:
        """Refuse, audited, an action the actor's role does not allow at all."""
        if self.desk is None or allowed(self.actor, action):
            return
        self.audit_as(f"denied:{action.value}", None, outcome="denied")
        raise Denied(action, self.actor.role)

    def case(self, given: str | None, action: Action) -> str:
        """The full id of the case meant (a unique prefix will do; None: the only case), once
        the actor may take ``action`` on it. On a team's store only the cases the member sees
        are looked through, and a refusal is audited."""
        if self.desk is None:
            return Logbook(self.work).resolve(given)
        text = (given or "").strip().lower()
        if len(text) == 16:  # a whole id: the Desk says whether it exists for the member
            self.desk.access(self.actor, text, action)
            return text
        seen = [c.id for c in self.desk.cases(self.actor)]
        matches = [i for i in seen if text and i.startswith(text)] if given is not None else seen
        if len(matches) == 1:
            self.desk.access(self.actor, matches[0], action)
            return matches[0]
        if given is not None and not matches:
            self.desk.access(self.actor, given, action)  # NotFound, audited
        raise _which_case(given, matches)

    def check(self, case_id: str, action: Action) -> None:
        """Refuse, audited, ``action`` on a case (its whole id) the member may not take it on."""
        if self.desk is not None:
            self.desk.access(self.actor, case_id, action)

    def cases(self) -> list[CaseSummary]:
        """The cases the actor sees, oldest first."""
        if self.desk is None:
            return self.work.cases()
        self.may(Action.BOARD)
        seen = {c.id for c in self.desk.cases(self.actor)}
        return [c for c in self.work.cases() if c.id in seen]

    def every(self, action: Action) -> list[str]:
        """Every case the actor sees, once they may take ``action`` on each."""
        if self.desk is None:
            return [c.id for c in self.work.cases()]
        self.may(action)
        cases = self.desk.cases(self.actor)
        return [self.desk.access(self.actor, c.id, action).case_id for c in cases]

    # --- who is recorded -------------------------------------------------------------------

    @contextmanager
    def acting(self) -> Iterator[None]:
        """Every proof entry written inside names the member (nobody on a single person's)."""
        with acting(_by(self.actor)):
            yield

    def audit(self, action: Action, case_id: str, command: str) -> None:
        """Record in the team's audit log a change made by a command of no Desk operation."""
        self.audit_as(f"cli:{action.value}", case_id, detail={"command": command})

    def audit_as(
        self,
        action: str,
        target: str | None,
        *,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        if self.desk is not None:
            self.desk.team.audit(
                org_id=self.actor.org_id,
                actor=self.actor.user_id,
                action=action,
                target=target,
                outcome=outcome,
                detail=detail,
            )

    # --- the Desk's operations, or the single person's -------------------------------------

    def new_case(self, case: Case, today: date) -> tuple[str, str, Decision | None]:
        """Store ``case``: its id, outcome and screening (None: kept as answers to complete)."""
        if self.desk is None:
            case_id, decision = self.work.new_case(case, today)
            return case_id, decision.outcome, decision
        self.may(Action.CASE_CREATE)
        case_id, made = self.desk.new_case(self.actor, case, today)
        return case_id, made.outcome if made else INCOMPLETE, made

    def update(self, case_id: str, case: Case, today: date) -> tuple[list[str], str]:
        """Replace the case's facts and screen it again: what changed, and the outcome."""
        if self.desk is None:
            changed, decision = self.work.update_case(case_id, case, today)
            return changed, decision.outcome
        changed = self.desk.update(self.actor, case_id, case, today)
        return changed, self.work.store.get_case(case_id).outcome

    def same_person(self, case_id: str) -> list[str]:
        """The other cases the actor sees of the person with this case's SSN."""
        others = self.work.same_person(case_id)
        if self.desk is None or not others:
            return others
        seen = {c.id for c in self.desk.cases(self.actor)}
        return [i for i in others if i in seen]

    def add_proof(
        self, case_id: str, kind: str, file: Path | None, details: dict[str, Any]
    ) -> ChainEntry:
        if self.desk is None:
            return self.work.add(case_id, kind, file, details)
        return self.desk.add_proof(self.actor, case_id, kind, file, details)

    def verify(self, case_id: str) -> tuple[int, str] | None:
        if self.desk is None:
            return self.work.verify(case_id)
        return self.desk.verify(self.actor, case_id)

    def export(self, case_id: str, out: Path) -> Path:
        if self.desk is None:
            return self.work.export(case_id, out)
        return self.desk.export(self.actor, case_id, out)

    # --- reminders -------------------------------------------------------------------------

    def reminders(self, processing_days: int | None, today: date) -> list[Reminder]:
        """The dated obligations of every case the actor sees (on a team's store each named
        by its client, as the team's calendar feed names them)."""
        book = Logbook(self.work)
        if self.desk is None:
            return book.reminders(processing_days, today)
        self.may(Action.BOARD)
        days = processing_days or self.work.rules.process.processing_days.value
        found: list[Obligation] = []
        for case in self.desk.cases(self.actor):
            if case.outcome == INCOMPLETE:
                continue
            client = " ".join(p for p in (case.client_ref, case.client_name) if p)
            try:
                found += book.obligations(case.id, days, today, named=client or None)
            except Exception as exc:  # one damaged case must not silence every other one
                found.append(_unreadable(case.id, today, exc))
        return schedule(found)

    def ics(self, processing_days: int | None, today: date) -> bytes:
        """:meth:`reminders` as an iCalendar file."""
        return to_ics(
            self.reminders(processing_days, today),
            stamp=datetime.now(UTC).replace(microsecond=0),
        )


def _which_case(given: str | None, matches: list[str]) -> InputError:
    """Why the case meant is not one: none stored, several to choose from, or a prefix of
    several ids (the words of :meth:`Logbook.resolve` and :meth:`Casework.resolve`)."""
    if given is not None:
        problem = Problem(
            "CASE_ID",
            "AMBIGUOUS_CASE",
            f"'{given}' starts {len(matches)} case ids ({', '.join(matches[:5])}).",
            "type more of the id.",
        )
    elif not matches:
        problem = Problem(
            "--case",
            "NO_CASE",
            "there is no case you can see yet; the log belongs to a case.",
            "store one first: cocflow case new CASE_FILE.",
        )
    else:
        problem = Problem(
            "--case",
            "CASE_REQUIRED",
            f"you see {len(matches)} cases; say which one.",
            "add --case ID ('cocflow case list' shows the ids).",
        )
    return InputError([problem])


def _unreadable(case_id: str, today: date, exc: Exception) -> Obligation:
    return Obligation(
        case_id,
        "case_unreadable",
        today,
        f"Check case {case_id}: its reminders could not be worked out",
        f"{type(exc).__name__}: {clip(str(exc), 200)}. Run 'cocflow proof verify {case_id}' and "
        f"'cocflow case show {case_id}'.",
        None,
    )
