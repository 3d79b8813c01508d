"""Where each case of a team stands (``case_progress``), and the client board as one query:
filtered, counted, sorted and paged by the database, however many clients a team has.

A row is derived data, kept with what it was worked out from (the proof log's head, the case's
``updated_at``, the rules version) and the day it must be worked out again; :meth:`stale` finds
the rows that no longer match, so a write that did not update its row (another face, a crash
between two transactions, an older version) is caught on the next read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from cocflow.store.models import CaseRow, ProgressRow, UserRow

__all__ = ["BoardFilter", "BoardLine", "Progress", "ProgressStore"]

SORTS = ("file_by", "reference", "client", "outcome", "created")
OUTCOME_ORDER = ("go", "no_go", "pause", "not_needed", "incomplete")


@dataclass(frozen=True, slots=True)
class Progress:
    """Where one case stands, and what it was worked out from."""

    head_hash: str | None
    updated_at: str
    rules_version: str
    file_by: str | None  # ISO date
    next_step: str
    sent: bool  # the request went to SSA
    sign_off: str
    valid_from: str | None  # ISO dates: the days it holds for (None: no bound)
    recheck_on: str | None  # work it out again from this day
    rules_changed: bool = False  # the rules changed its answer; nothing recorded since


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """Which of the cases a member sees the board shows, and in what order. ``due_soon``: the
    days before the file-by date that count as due soon."""

    outcome: str = ""
    flag: str = ""  # "overdue", "due soon", "answer changed" or "" (every case)
    q: str = ""  # a part of the client's reference or name, any case
    sort: str = "file_by"
    due_soon: int = 30


@dataclass(frozen=True, slots=True)
class BoardLine:
    case_id: str
    reference: str
    client: str
    label: str
    outcome: str
    file_by: str | None
    next_step: str
    sent: bool
    sign_off: str
    assignee: str
    rules_changed: bool = False


class ProgressStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = engine.execution_options(cocflow_read=True)

    def save(self, rows: Mapping[str, Progress]) -> None:
        """Keep each case's progress (replacing what was kept), in one transaction."""
        if not rows:
            return
        values = [{"case_id": case_id, **_fields(p)} for case_id, p in rows.items()]
        with Session(self.engine) as session, session.begin():
            dialect = session.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
            statement = insert(ProgressRow).values(values)
            columns = {k: statement.excluded[k] for k in values[0] if k != "case_id"}
            session.execute(
                statement.on_conflict_do_update(index_elements=["case_id"], set_=columns)
            )

    def stale(
        self,
        org_id: str | None,
        rules_version: str,
        today: date,
        *,
        assignee_id: str | None = None,
    ) -> list[str]:
        """The cases of the organisation (``None``: of every organisation) whose kept progress
        is missing or out of date."""
        query = (
            select(CaseRow.id)
            .outerjoin(ProgressRow, ProgressRow.case_id == CaseRow.id)
            .where(CaseRow.org_id == org_id if org_id else CaseRow.org_id.is_not(None))
            .where(
                or_(
                    ProgressRow.case_id.is_(None),
                    ProgressRow.updated_at != CaseRow.updated_at,
                    func.coalesce(ProgressRow.head_hash, "")
                    != func.coalesce(CaseRow.head_hash, ""),
                    ProgressRow.rules_version != rules_version,
                    ProgressRow.recheck_on <= today.isoformat(),
                    ProgressRow.valid_from > today.isoformat(),
                )
            )
        )
        if assignee_id is not None:
            query = query.where(CaseRow.assignee_id == assignee_id)
        with Session(self.reader) as session:
            return list(session.scalars(query))

    def page(
        self,
        org_id: str,
        today: date,
        chosen: BoardFilter,
        *,
        assignee_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[BoardLine], int]:
        """The board's lines that match ``chosen``, sorted, from ``offset`` (at most
        ``limit``), and how many match in all."""
        flags = _flags(today, chosen.due_soon)
        where = [CaseRow.org_id == org_id]
        if assignee_id is not None:
            where.append(CaseRow.assignee_id == assignee_id)
        if chosen.outcome:
            where.append(CaseRow.outcome == chosen.outcome)
        if chosen.flag:
            where.append(flags.get(chosen.flag, false()))
        needle = chosen.q.strip().lower()
        if needle:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern += "%"
            where.append(
                or_(
                    func.lower(func.coalesce(CaseRow.client_ref, "")).like(pattern, escape="\\"),
                    func.lower(func.coalesce(CaseRow.client_name, "")).like(pattern, escape="\\"),
                )
            )
        joined = (
            select(CaseRow.id)
            .join(ProgressRow, ProgressRow.case_id == CaseRow.id)
            .where(and_(*where))
        )
        lines = (
            select(
                CaseRow.id,
                CaseRow.client_ref,
                CaseRow.client_name,
                CaseRow.title,
                CaseRow.outcome,
                ProgressRow.file_by,
                ProgressRow.next_step,
                ProgressRow.sent,
                ProgressRow.sign_off,
                UserRow.name,
                ProgressRow.rules_changed,
            )
            .join(ProgressRow, ProgressRow.case_id == CaseRow.id)
            .outerjoin(UserRow, UserRow.id == CaseRow.assignee_id)
            .where(and_(*where))
            .order_by(*_order(chosen.sort))
            .offset(offset)
        )
        if limit is not None:
            lines = lines.limit(limit)
        with Session(self.reader) as session:
            matching = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
            found = [
                BoardLine(
                    r[0],
                    r[1] or "",
                    r[2] or "",
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    bool(r[7]),
                    r[8],
                    r[9] or "",
                    bool(r[10]),
                )
                for r in session.execute(lines)
            ]
        return found, matching

    def summary(
        self, org_id: str, today: date, *, due_soon: int = 30, assignee_id: str | None = None
    ) -> tuple[int, dict[str, int], list[str]]:
        """Of the cases a member sees: how many, how many carry each flag, and the outcomes
        among them."""
        flags = _flags(today, due_soon)
        counted: list[Any] = [func.count()]
        counted += [func.sum(case((condition, 1), else_=0)) for condition in flags.values()]
        where = [CaseRow.org_id == org_id]
        if assignee_id is not None:
            where.append(CaseRow.assignee_id == assignee_id)
        base = (
            select(*counted)
            .select_from(CaseRow)
            .join(ProgressRow, ProgressRow.case_id == CaseRow.id)
        )
        outcomes = select(CaseRow.outcome).where(and_(*where)).distinct()
        with Session(self.reader) as session:
            total, *sums = session.execute(base.where(and_(*where))).one()
            seen = sorted(session.scalars(outcomes))
        return total, {f: int(n or 0) for f, n in zip(flags, sums, strict=True)}, seen


def _fields(p: Progress) -> dict[str, Any]:
    return {
        "head_hash": p.head_hash,
        "updated_at": p.updated_at,
        "rules_version": p.rules_version,
        "file_by": p.file_by,
        "next_step": p.next_step[:200],
        "sent": p.sent,
        "sign_off": p.sign_off,
        "valid_from": p.valid_from,
        "recheck_on": p.recheck_on,
        "rules_changed": p.rules_changed,
    }


def _flags(today: date, due_soon: int) -> dict[str, Any]:
    """ "overdue": a go whose request has not gone out, past its file-by date; "due soon":
    the same, with the file-by date within ``due_soon`` days from today."""
    waiting = and_(
        CaseRow.outcome == "go", ProgressRow.sent.is_(False), ProgressRow.file_by.is_not(None)
    )
    start, end = today.isoformat(), (today + timedelta(days=due_soon)).isoformat()
    return {
        "overdue": and_(waiting, ProgressRow.file_by < start),
        "due soon": and_(waiting, ProgressRow.file_by >= start, ProgressRow.file_by <= end),
        "answer changed": ProgressRow.rules_changed.is_(True),
    }


def _order(sort: str) -> Sequence[Any]:
    reference = func.lower(func.coalesce(CaseRow.client_ref, ""))
    no_reference = case((func.coalesce(CaseRow.client_ref, "") == "", 1), else_=0)
    if sort == "reference":
        return (no_reference, reference, CaseRow.id)
    if sort == "client":
        return (func.lower(func.coalesce(CaseRow.client_name, "")), reference, CaseRow.id)
    if sort == "created":
        return (CaseRow.created_at, CaseRow.id)
    if sort == "outcome":
        rank = case(
            *((CaseRow.outcome == o, literal(i)) for i, o in enumerate(OUTCOME_ORDER)),
            else_=literal(len(OUTCOME_ORDER)),
        )
        return (rank, reference, CaseRow.id)
    no_date = case((ProgressRow.file_by.is_(None), 1), else_=0)
    return (no_date, ProgressRow.file_by, CaseRow.created_at, CaseRow.id)
