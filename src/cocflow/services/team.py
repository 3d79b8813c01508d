"""A team's casework: every case operation of the pages and the API, each checked against
:mod:`cocflow.services.access` first, and every proof entry it writes naming who wrote it.

Reading a full SSN, exporting a proof file and every refused attempt are written to the audit
log; so is every change. The reviewer's sign-off ties an approval to the exact request data
(the keyed digest of its ``request.json``) and to the facts it was prepared from: a new request
or a change of the facts voids it, and the request cannot be recorded as filed until a reviewer
who did not prepare it has approved it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cocflow.accounts.tokens import TokenKind, new_token, token_digest
from cocflow.case import Case, missing
from cocflow.errors import CocflowError, InputError, Problem
from cocflow.proof.chain import ChainEntry, canonical
from cocflow.screening.decision import Decision
from cocflow.services.access import Action, Actor, CaseAccess, Denied, NotFound, Role, require
from cocflow.services.board import (
    DUE_SOON_DAYS,
    BoardFilter,
    BoardPage,
    BoardRow,
    board_csv,
    board_row,
    progress_of,
    refresh,
)
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.documents import prepare_and_record
from cocflow.services.filing import NotReady
from cocflow.services.signoff import Approval, approval
from cocflow.store.progress import ProgressStore
from cocflow.store.repo import acting
from cocflow.store.team import TeamCase, TeamStore

__all__ = [
    "DUE_SOON_DAYS",
    "BoardFilter",
    "BoardRow",
    "Desk",
    "NewClient",
    "OwnRequest",
    "Prepared",
]


# Cases a board request works out again itself; more (after an upgrade or new rules) are left to
# the server's catch-up at start (services.board.catch_up), so no request waits minutes.
INLINE = 300
CALENDARS_KEPT = 64  # feeds kept as made, per server process


class OwnRequest(Denied):
    """A member asked to sign off a request they prepared themselves (four eyes)."""

    def __init__(self, role: Role) -> None:
        super().__init__(Action.REQUEST_APPROVE, role)
        self.args = (
            "You prepared this request: another member (a reviewer or the owner) signs it off.",
        )

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class NewClient:
    """A client to store as a case: their case, and the roster's reference, name and other
    columns (kept as notes)."""

    case: Case
    reference: str | None = None
    name: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One case of a batch preparation: its request recorded, or why not."""

    case_id: str
    label: str
    ok: bool
    why: str = ""
    problems: tuple[str, ...] = ()  # the pre-submit check's errors, each with its fix


def _by(actor: Actor) -> dict[str, str] | None:
    return {"id": actor.user_id, "name": actor.label} if actor.user_id else None


class Desk:
    """The team's casework for one store: ``work`` holds the cases and proof files, ``team``
    the organisations, members and the audit log."""

    def __init__(self, work: Casework, team: TeamStore) -> None:
        self.work, self.team = work, team
        self.progress = ProgressStore(team.engine)

    # --- access --------------------------------------------------------------------------

    def access(self, actor: Actor, case_id: str, action: Action) -> CaseAccess:
        """The case if ``actor`` may take ``action`` on it; a refusal is audited and raised
        (NotFound for a case they cannot see, whatever the reason)."""
        place = self.team.case_place(case_id) if _is_case_id(case_id) else None
        case = CaseAccess(case_id, *place) if place else CaseAccess(case_id, "?", None)
        try:
            require(actor, action, case)
        except (NotFound, Denied) as refused:
            self._audit(actor, f"denied:{action.value}", case_id if place else None, "denied")
            raise refused
        return case

    def _audit(
        self,
        actor: Actor,
        action: str,
        target: str | None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.team.audit(
            org_id=actor.org_id,
            actor=actor.user_id,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
        )

    @contextmanager
    def _as(self, actor: Actor) -> Iterator[None]:
        with acting(_by(actor)):
            yield

    # --- cases ---------------------------------------------------------------------------

    def new_case(
        self,
        actor: Actor,
        case: Case,
        today: date,
        *,
        client_ref: str | None = None,
        client_name: str | None = None,
    ) -> tuple[str, Decision | None]:
        """Store ``case``: screened when it holds every fact screening needs, else kept as
        answers to complete (its missing facts are the questions to ask; no decision yet)."""
        (made,) = self.new_cases(actor, [NewClient(case, client_ref, client_name)], today)
        return made

    def new_cases(
        self, actor: Actor, clients: Sequence[NewClient], today: date
    ) -> list[tuple[str, Decision | None]]:
        """Store ``clients`` in one transaction (all or, on a refusal such as a reference in
        use, none), each screened when it holds every fact screening needs, else kept as
        answers to complete (its missing facts are the questions to ask; no decision yet); their
        board progress and audit entries follow."""
        require(actor, Action.CASE_CREATE)
        assert actor.org_id is not None
        assignee = actor.user_id if actor.role is Role.PREPARER else None
        places = [
            (
                client.case,
                {
                    "org_id": actor.org_id,
                    "assignee_id": assignee,
                    "client_ref": client.reference,
                    "client_name": client.name and client.name[:200],
                    "client_notes": canonical(dict(client.notes)) if client.notes else None,
                },
            )
            for client in clients
        ]
        with self._as(actor):
            stored = self.work.new_cases(places, today)
        self.progress.save(
            {
                summary.id: progress_of(
                    self.work,
                    summary,
                    [entry] if entry else [],
                    today,
                    head_hash=entry.hash if entry else None,
                )
                for summary, entry, _ in stored
            }
        )
        self.team.audit_many(
            [(actor.org_id, actor.user_id, "case.create", s.id, "ok", None) for s, _, _ in stored]
        )
        return [(summary.id, decision) for summary, _, decision in stored]

    def case(self, actor: Actor, case_id: str) -> Case:
        self.access(actor, case_id, Action.CASE_READ)
        return self.work.case(case_id)

    def update(self, actor: Actor, case_id: str, case: Case, today: date) -> list[str]:
        self.access(actor, case_id, Action.CASE_EDIT)
        with self._as(actor):
            if self.work.store.get_case(case_id).outcome == INCOMPLETE:
                self.work.save_draft(case_id, case)
                changed = [] if missing(case) else self.work.confirm(case_id, today)[0]
            else:
                changed, _ = self.work.update_case(case_id, case, today)
        self._refresh([case_id], today)
        self._audit(actor, "case.edit", case_id, detail={"paths": changed})
        return changed

    def assign(self, actor: Actor, case_id: str, user_id: str | None) -> None:
        self.access(actor, case_id, Action.CASE_ASSIGN)
        assert actor.org_id is not None
        if user_id is not None and self.team.member(actor.org_id, user_id) is None:
            raise InputError(
                [Problem("assignee", "UNKNOWN_MEMBER", "There is no such member.", "pick one.")]
            )
        self.team.assign(case_id, user_id)
        self._audit(actor, "case.assign", case_id, detail={"to": user_id})

    def reveal_ssn(self, actor: Actor, case_id: str) -> str | None:
        """The full SSN, for a member who may see it; every reveal is audited."""
        self.access(actor, case_id, Action.SSN_REVEAL)
        self._audit(actor, "sensitive_read", case_id, detail={"field": "person.ssn"})
        ssn = self.work.store.secrets(case_id).get("ssn")
        return str(ssn) if ssn else None

    def questionnaire(self, actor: Actor, case_id: str, days: int = 14) -> str:
        """A single-use link's secret for the client to answer the questions their case still
        needs (valid ``days`` days). The link carries no personal data; the owner or preparer
        hands it over. Opening it signs the client in to their own case only."""
        self.access(actor, case_id, Action.QUESTIONNAIRE_SEND)
        assert actor.org_id is not None
        secret = new_token("cfq_")
        self.team.add_token(
            token_digest(self.team.keys.mac_key, secret),
            TokenKind.QUESTIONNAIRE.value,
            actor.org_id,
            case_id=case_id,
            role=Role.CLIENT.value,
            created_by=actor.user_id,
            expires_at=(datetime.now(UTC) + timedelta(days=days)).isoformat(),
        )
        self._audit(actor, "questionnaire.send", case_id)
        return secret

    # --- the board -----------------------------------------------------------------------

    def cases(self, actor: Actor) -> list[TeamCase]:
        """The cases the actor sees."""
        require(actor, Action.BOARD)
        assert actor.org_id is not None
        mine = actor.role is Role.PREPARER and not actor.all_cases
        return self.team.org_cases(actor.org_id, assignee_id=actor.user_id if mine else None)

    def board(self, actor: Actor, today: date, chosen: BoardFilter | None = None) -> list[BoardRow]:
        """Every row of the board the actor sees that matches ``chosen``, sorted."""
        return self.board_page(actor, today, chosen).rows

    def board_page(
        self,
        actor: Actor,
        today: date,
        chosen: BoardFilter | None = None,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> BoardPage:
        """The rows of the board from ``offset`` (at most ``limit``), one per case the actor
        sees that matches ``chosen``; the cases whose kept progress is out of date are worked
        out again first."""
        require(actor, Action.BOARD)
        assert actor.org_id is not None
        chosen = chosen or BoardFilter(due_soon=DUE_SOON_DAYS)
        mine = actor.user_id if actor.role is Role.PREPARER and not actor.all_cases else None
        version = self.work.rules.version
        stale = self.progress.stale(actor.org_id, version, today, assignee_id=mine)
        refresh(self.work, self.progress, stale[:INLINE], today)
        lines, matching = self.progress.page(
            actor.org_id, today, chosen, assignee_id=mine, offset=offset, limit=limit
        )
        total, counts, outcomes = self.progress.summary(
            actor.org_id, today, due_soon=chosen.due_soon, assignee_id=mine
        )
        rows = [board_row(line, today, chosen.due_soon) for line in lines]
        behind = max(0, len(stale) - INLINE)
        return BoardPage(rows, matching, total, counts, outcomes, behind)

    def _refresh(self, case_ids: Sequence[str], today: date | None = None) -> None:
        """Keep the board's progress of cases just written (the board's next read works out
        again any it missed)."""
        refresh(self.work, self.progress, case_ids, today or date.today())

    def calendar(self, actor: Actor, today: date, *, mine: bool) -> bytes:
        """The dated obligations of the cases the actor sees (``mine``: only those assigned to
        them) as an iCalendar file, each event naming the client and the action. A feed asked
        for again while none of its cases changed is given as it was made (calendar apps ask
        every few minutes)."""
        from cocflow.services.tracking import Logbook
        from cocflow.tracking.reminders import schedule, to_ics

        log = Logbook(self.work)
        days = self.work.rules.process.processing_days.value
        chosen = [
            case
            for case in self.cases(actor)
            if case.outcome != INCOMPLETE and (not mine or case.assignee_id == actor.user_id)
        ]
        key = _digest(
            [today.isoformat(), days, self.work.rules.version]
            + [[c.id, c.head_hash, c.updated_at, c.client_ref, c.client_name] for c in chosen]
        )
        made: dict[str, bytes] = self.work.memo.setdefault("calendars", {})
        self._audit(actor, "calendar.read", None, detail={"mine": mine})
        if key not in made:
            found = []
            for case in chosen:
                client = " ".join(p for p in (case.client_ref, case.client_name) if p)
                found += log.obligations(case.id, days, today, named=client or None)
            if len(made) >= CALENDARS_KEPT:
                made.pop(next(iter(made)))  # the oldest
            made[key] = to_ics(schedule(found), stamp=datetime.now(UTC).replace(microsecond=0))
        return made[key]

    @staticmethod
    def board_csv(rows: Sequence[BoardRow]) -> bytes:
        """The board as CSV (every cell made safe for a spreadsheet)."""
        return board_csv(rows)

    # --- requests: preparation, sign-off, filing -----------------------------------------

    def prepare(self, actor: Actor, case_ids: Sequence[str], today: date) -> list[Prepared]:
        """Prepare and record the request of each case, each checked first; a case whose check
        finds an error is left as it was, with the reason."""
        done = []
        for case_id in case_ids:
            self.access(actor, case_id, Action.REQUEST_PREPARE)
            label = self.work.store.get_case(case_id).title
            try:
                with self._as(actor):
                    prepare_and_record(self.work, case_id, today)
            except NotReady as not_ready:
                errors = tuple(
                    f"{f.message} Fix: {f.fix}"
                    for f in not_ready.report.findings
                    if f.severity == "error"
                )
                done.append(Prepared(case_id, label, False, str(not_ready), errors))
                continue
            except CocflowError as refused:
                done.append(Prepared(case_id, label, False, str(refused)))
                continue
            self._audit(actor, "request.prepare", case_id)
            done.append(Prepared(case_id, label, True))
        self._refresh([p.case_id for p in done if p.ok], today)
        return done

    def approval(self, case_id: str) -> Approval:
        """Where the sign-off of the case's last prepared request stands."""
        return approval(self.work, case_id)

    def approve(self, actor: Actor, case_id: str) -> ChainEntry:
        """Approve the case's last prepared request, as a reviewer who did not prepare it."""
        self.access(actor, case_id, Action.REQUEST_APPROVE)
        state = self.approval(case_id)
        if state.state == "none":
            raise InputError(
                [
                    Problem(
                        "request",
                        "NO_REQUEST",
                        "There is no prepared request to approve.",
                        "prepare the request first.",
                    )
                ]
            )
        if state.state == "approved":
            raise InputError(
                [
                    Problem(
                        "request",
                        "ALREADY_SIGNED_OFF",
                        "This request is signed off already.",
                        "nothing to do: it may be recorded as filed.",
                    )
                ]
            )
        if state.preparer is not None and state.preparer == actor.user_id:
            self._audit(actor, "request.approve", case_id, "denied", {"why": "own request"})
            raise OwnRequest(actor.role)
        with self._as(actor):
            entry = self.work.record(
                case_id, "request_approved", {"request_json_mac": state.request_mac}
            )
        self._refresh([case_id])
        self._audit(actor, "request.approve", case_id)
        return entry

    def add_proof(
        self,
        actor: Actor,
        case_id: str,
        kind: str,
        file: Path | None,
        details: dict[str, Any],
        *,
        original_name: str | None = None,
    ) -> ChainEntry:
        """Add a record to the proof file. Recording the submission (the request went to SSA)
        needs the request approved by a reviewer, and the approval still standing."""
        self.access(actor, case_id, Action.PROOF_ADD)
        if kind == "submission":
            self.access(actor, case_id, Action.REQUEST_FILE)
        with self._as(actor):  # the sign-off itself is checked by every face's Casework.add
            entry = self.work.add(case_id, kind, file, details, original_name)
        self._refresh([case_id])
        self._audit(actor, "proof.add", case_id, detail={"kind": kind})
        return entry

    def verify(self, actor: Actor, case_id: str) -> tuple[int, str] | None:
        self.access(actor, case_id, Action.PROOF_VERIFY)
        return self.work.verify(case_id)

    def export(self, actor: Actor, case_id: str, out: Path) -> Path:
        self.access(actor, case_id, Action.PROOF_EXPORT)
        self._audit(actor, "proof.export", case_id)
        return self.work.export(case_id, out)


def _digest(value: object) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def _is_case_id(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)
