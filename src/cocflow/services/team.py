"""A team's casework: every case operation of the pages and the API, each checked against
:mod:`cocflow.services.access` first, and every proof entry it writes naming who wrote it.

Reading a full SSN, exporting a proof file and every refused attempt are written to the audit
log; so is every change. The reviewer's sign-off ties an approval to the exact request data
(the keyed digest of its ``request.json``) and to the facts it was prepared from: a new request
or a change of the facts voids it, and the request cannot be recorded as filed until a reviewer
who did not prepare it has approved it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cocflow.accounts.tokens import TokenKind, new_token, token_digest
from cocflow.case import Case, missing
from cocflow.errors import CocflowError, InputError, Problem
from cocflow.io.csvio import to_csv
from cocflow.proof.chain import ChainEntry
from cocflow.screening.decision import Decision
from cocflow.services.access import Action, Actor, CaseAccess, Denied, NotFound, Role, require
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.documents import prepare_and_record
from cocflow.services.filing import NotReady
from cocflow.services.signoff import Approval, approval
from cocflow.store.repo import acting
from cocflow.store.team import TeamCase, TeamStore

__all__ = ["DUE_SOON_DAYS", "BoardRow", "Desk", "OwnRequest", "Prepared"]

DUE_SOON_DAYS = 30
BOARD_COLUMNS = (
    "case",
    "reference",
    "client",
    "label",
    "outcome",
    "file_by",
    "next_step",
    "flag",
    "assignee",
    "sign_off",
)


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
class BoardRow:
    case_id: str
    reference: str
    client: str
    label: str
    outcome: str
    file_by: date | None
    next_step: str  # the first checkpoint not done, "" when all four are
    overdue: bool  # past the file-by date with the request not sent
    due_soon: bool  # the file-by date within 30 days, the request not sent
    assignee: str
    sign_off: str  # Approval.state

    @property
    def flag(self) -> str:
        return "overdue" if self.overdue else "due soon" if self.due_soon else ""


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
        require(actor, Action.CASE_CREATE)
        assert actor.org_id is not None
        decision = None
        place: dict[str, str | None] = {
            "org_id": actor.org_id,
            "assignee_id": actor.user_id if actor.role is Role.PREPARER else None,
            "client_ref": client_ref,
            "client_name": client_name and client_name[:200],
        }
        with self._as(actor):
            if missing(case):
                case_id = self.work.start_case(case, place=place)
            else:
                case_id, decision = self.work.new_case(case, today, place=place)
        self._audit(actor, "case.create", case_id)
        return case_id, decision

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

    def board(self, actor: Actor, today: date) -> list[BoardRow]:
        """One row per case the actor sees, worked out again only for cases that changed."""
        members = {m.user.id: m.user.name for m in self.team.members(actor.org_id or "")}
        memo: dict[str, tuple[object, BoardRow]] = self.work.memo.setdefault("board", {})
        rows = []
        for case in self.cases(actor):
            key = (
                case.updated_at,
                case.head_hash,
                case.assignee_id,
                case.client_ref,
                case.client_name,
                today,
            )
            cached = memo.get(case.id)
            if cached is None or cached[0] != key:
                cached = (key, self._row(case, today, members))
                memo[case.id] = cached
            rows.append(cached[1])
        return rows

    def _row(self, case: TeamCase, today: date, members: dict[str, str]) -> BoardRow:
        file_by_text = case.decision.get("file_by")
        file_by = date.fromisoformat(file_by_text) if file_by_text else None
        next_step, sent = "Answer the questions", False
        sign_off = "none"
        if case.outcome != INCOMPLETE:
            points = self.work.checkpoints(case.id, today)  # the chain and files verified
            first = next((p for p in points if not p.done), None)
            next_step = f"Not done yet: {first.name[:1].lower()}{first.name[1:]}" if first else ""
            sent = len([p for p in points if p.done]) >= 2
            sign_off = self.approval(case.id).state
        open_ = case.outcome == "go" and not sent and file_by is not None
        label = case.title  # the stored title: the board is the team's own list of clients
        return BoardRow(
            case.id,
            case.client_ref or "",
            case.client_name or "",
            label,
            case.outcome,
            file_by,
            next_step,
            open_ and file_by is not None and file_by < today,
            open_
            and file_by is not None
            and today <= file_by <= today + timedelta(days=DUE_SOON_DAYS),
            members.get(case.assignee_id or "", ""),
            sign_off,
        )

    def calendar(self, actor: Actor, today: date, *, mine: bool) -> bytes:
        """The dated obligations of the cases the actor sees (``mine``: only those assigned to
        them) as an iCalendar file, each event naming the client and the action."""
        from cocflow.services.tracking import Logbook
        from cocflow.tracking.reminders import schedule, to_ics

        log = Logbook(self.work)
        days = self.work.rules.process.processing_days.value
        found = []
        for case in self.cases(actor):
            if case.outcome == INCOMPLETE or (mine and case.assignee_id != actor.user_id):
                continue
            client = " ".join(p for p in (case.client_ref, case.client_name) if p)
            found += log.obligations(case.id, days, today, named=client or None)
        self._audit(actor, "calendar.read", None, detail={"mine": mine})
        return to_ics(schedule(found), stamp=datetime.now(UTC).replace(microsecond=0))

    @staticmethod
    def board_csv(rows: Sequence[BoardRow]) -> bytes:
        """The board as CSV (every cell made safe for a spreadsheet)."""
        return to_csv(
            BOARD_COLUMNS,
            (
                (
                    r.case_id,
                    r.reference,
                    r.client,
                    r.label,
                    r.outcome,
                    r.file_by.isoformat() if r.file_by else "",
                    r.next_step,
                    r.flag,
                    r.assignee,
                    r.sign_off,
                )
                for r in rows
            ),
        )

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
        self._audit(actor, "proof.add", case_id, detail={"kind": kind})
        return entry

    def verify(self, actor: Actor, case_id: str) -> tuple[int, str] | None:
        self.access(actor, case_id, Action.PROOF_VERIFY)
        return self.work.verify(case_id)

    def export(self, actor: Actor, case_id: str, out: Path) -> Path:
        self.access(actor, case_id, Action.PROOF_EXPORT)
        self._audit(actor, "proof.export", case_id)
        return self.work.export(case_id, out)


def _is_case_id(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)
