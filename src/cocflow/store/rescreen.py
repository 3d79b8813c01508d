"""Runs of screening the stored cases again: a run's ranges of case ids, each range's results
written in the transaction that marks it done, one result per (case, rules version).

A range is worked in one transaction: its row is locked (PostgreSQL: ``FOR UPDATE``; SQLite:
one writer), a range already done is left alone, a case that already has a result for the rules
version is skipped, and for each other case the caller's ``judge`` says what the new screening
gives; a changed decision is stored with its proof entry, in the same transaction. A worker that
dies mid-range leaves nothing behind: the range is done again, once, by whoever takes it next.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cocflow.errors import clip
from cocflow.proof.chain import canonical
from cocflow.store.crypto import DecryptError
from cocflow.store.models import (
    CaseRow,
    RescreenRangeRow,
    RescreenResultRow,
    RescreenRunRow,
    SecretRow,
)
from cocflow.store.repo import CaseSummary, Store, now, summary_of

__all__ = ["Judged", "RangeDone", "RescreenStore", "Result", "Run"]

INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Judged:
    """What screening a stored case again gave. ``decision`` (with ``outcome`` and ``entry``,
    the proof entry that records it): the new decision to store, when it differs; ``failed``:
    why the case could not be screened."""

    outcome_after: str | None
    changes: dict[str, Any]
    decision: dict[str, Any] | None = None
    entry: dict[str, Any] | None = None
    failed: str | None = None


@dataclass(frozen=True, slots=True)
class RangeDone:
    screened: int
    changed: int
    failed: int


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    rules_version: str
    org_id: str | None
    started_at: str
    cases: int
    ranges: int
    ranges_done: int
    screened: int
    changed: int
    failed: int
    finished_at: str | None

    @property
    def done(self) -> bool:
        return self.ranges_done == self.ranges


@dataclass(frozen=True, slots=True)
class Result:
    case_id: str
    title: str
    client_ref: str | None
    outcome_before: str
    outcome_after: str | None
    changes: dict[str, Any]
    failed: str | None


class RescreenStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.reader = store.reader

    def plan(
        self,
        rules_version: str,
        *,
        org_id: str | None = None,
        size: int = 1000,
        requested_by: str | None = None,
    ) -> Run:
        """A new run over every screened case (of ``org_id``, or all), in ranges of ``size``
        case ids."""
        query = select(CaseRow.id).where(CaseRow.outcome != INCOMPLETE).order_by(CaseRow.id)
        if org_id is not None:
            query = query.where(CaseRow.org_id == org_id)
        run_id = secrets.token_hex(8)
        with Session(self.engine) as session, session.begin():
            ids = list(session.scalars(query))
            session.add(
                RescreenRunRow(
                    id=run_id,
                    rules_version=rules_version,
                    org_id=org_id,
                    requested_by=requested_by,
                    started_at=now(),
                    cases=len(ids),
                )
            )
            session.flush()
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                session.add(
                    RescreenRangeRow(
                        run_id=run_id,
                        first_id=chunk[0],
                        last_id=chunk[-1],
                        cases=len(chunk),
                        screened=0,
                        changed=0,
                        failed=0,
                    )
                )
        found = self.run(run_id)
        assert found is not None
        return found

    def run(self, run_id: str) -> Run | None:
        with Session(self.reader) as session:
            row = session.get(RescreenRunRow, run_id)
            if row is None:
                return None
            counts = session.execute(
                select(
                    func.count(),
                    func.count(RescreenRangeRow.done_at),
                    func.coalesce(func.sum(RescreenRangeRow.screened), 0),
                    func.coalesce(func.sum(RescreenRangeRow.changed), 0),
                    func.coalesce(func.sum(RescreenRangeRow.failed), 0),
                    func.max(RescreenRangeRow.done_at),
                ).where(RescreenRangeRow.run_id == run_id)
            ).one()
        ranges, done, screened, changed, failed, last = counts
        return Run(
            row.id,
            row.rules_version,
            row.org_id,
            row.started_at,
            row.cases,
            int(ranges),
            int(done),
            int(screened),
            int(changed),
            int(failed),
            last if ranges == done else None,
        )

    def latest(self, org_id: str | None) -> Run | None:
        """The organisation's last run (``None``: the last run over every case)."""
        query = select(RescreenRunRow.id).order_by(RescreenRunRow.started_at.desc()).limit(1)
        query = query.where(
            RescreenRunRow.org_id == org_id if org_id else RescreenRunRow.org_id.is_(None)
        )
        with Session(self.reader) as session:
            run_id = session.scalar(query)
        return self.run(run_id) if run_id else None

    def waiting(self, run_id: str) -> list[tuple[str, str]]:
        """The ranges of the run not done yet, as (first id, last id)."""
        with Session(self.reader) as session:
            rows = session.execute(
                select(RescreenRangeRow.first_id, RescreenRangeRow.last_id)
                .where(RescreenRangeRow.run_id == run_id, RescreenRangeRow.done_at.is_(None))
                .order_by(RescreenRangeRow.first_id)
            )
            return [(str(a), str(b)) for a, b in rows]

    def run_range(
        self,
        run_id: str,
        first: str,
        last: str,
        judge: Callable[[CaseSummary, dict[str, Any]], Judged],
    ) -> RangeDone | None:
        """Screen the range's cases again with ``judge`` and mark it done, in one transaction;
        None when it was done already (a retried job changes nothing twice)."""
        with Session(self.engine) as session, session.begin():
            work = session.get(RescreenRangeRow, (run_id, first), with_for_update=True)
            run = session.get(RescreenRunRow, run_id)
            if work is None or run is None or work.done_at is not None:
                return None
            query = (
                select(CaseRow, SecretRow)
                .outerjoin(SecretRow, SecretRow.case_id == CaseRow.id)
                .where(CaseRow.id >= first, CaseRow.id <= last)
                .where(CaseRow.outcome != INCOMPLETE)
                .order_by(CaseRow.id)
                .with_for_update(of=CaseRow)
            )
            if run.org_id is not None:
                query = query.where(CaseRow.org_id == run.org_id)
            done = set(
                session.scalars(
                    select(RescreenResultRow.case_id).where(
                        RescreenResultRow.rules_version == run.rules_version,
                        RescreenResultRow.case_id >= first,
                        RescreenResultRow.case_id <= last,
                    )
                )
            )
            changed = failed = 0
            stamp = now()
            results = []
            for row, secret in session.execute(query).all():
                if row.id in done:
                    continue
                try:
                    summary = summary_of(row)
                    opened = self.store.opened(secret) if secret else {}
                except (DecryptError, ValueError) as exc:  # reported; the case left as it was
                    judged = Judged(None, {}, failed=clip(f"{type(exc).__name__}: {exc}", 300))
                else:
                    judged = judge(summary, opened)
                results.append(
                    {
                        "case_id": row.id,
                        "rules_version": run.rules_version,
                        "run_id": run_id,
                        "outcome_before": row.outcome,
                        "outcome_after": judged.outcome_after,
                        "changes": canonical(judged.changes),
                        "failed": judged.failed,
                        "at": stamp,
                    }
                )
                failed += judged.failed is not None
                if judged.decision is not None and judged.entry is not None:
                    changed += 1
                    self.store.append_in(session, row.id, "screened", judged.entry, stamp)
                    row.decision = canonical(judged.decision)
                    row.outcome = str(judged.decision["outcome"])
                    row.rules_version = str(judged.decision["rules_version"])
                    row.updated_at = stamp
            if results:  # one statement, not a unit of work per row
                session.execute(insert(RescreenResultRow), results)
            screened = len(results)
            work.done_at = now()
            work.screened, work.changed, work.failed = screened, changed, failed
        return RangeDone(screened, changed, failed)

    def results(self, run_id: str, *, changed_only: bool = True) -> list[Result]:
        """The run's results (those that changed or failed, unless ``changed_only`` is
        False), in case id order."""
        query = (
            select(RescreenResultRow, CaseRow.title, CaseRow.client_ref)
            .join(CaseRow, CaseRow.id == RescreenResultRow.case_id)
            .where(RescreenResultRow.run_id == run_id)
            .order_by(RescreenResultRow.case_id)
        )
        with Session(self.reader) as session:
            found = [
                Result(
                    r.case_id,
                    title,
                    ref,
                    r.outcome_before,
                    r.outcome_after,
                    json.loads(r.changes),
                    r.failed,
                )
                for r, title, ref in session.execute(query).all()
            ]
        if changed_only:
            found = [r for r in found if r.failed or _changed(r.changes)]
        return found

    def decisions_for(self, rules_version: str) -> Sequence[tuple[str, int]]:
        """How many results each case has for ``rules_version`` (a check: one each)."""
        with Session(self.reader) as session:
            rows = session.execute(
                select(RescreenResultRow.case_id, func.count())
                .where(RescreenResultRow.rules_version == rules_version)
                .group_by(RescreenResultRow.case_id)
            )
            return [(str(a), int(b)) for a, b in rows]


def _changed(changes: dict[str, Any]) -> bool:
    return any(bool(v) for v in changes.values())
