"""The client board: where each case of a team stands, kept up to date as cases change.

Each case's progress (its file-by date, the next checkpoint not done, whether the request went
out, its sign-off) is worked out from its proof log when the case is written, and kept
(:class:`~cocflow.store.progress.ProgressStore`); the board is then one query, filtered, sorted
and paged by the database. A case whose kept progress no longer matches its log, its facts or
the rules (written by another face, or before this version) is worked out again when the board
is read, with its proof file verified first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cocflow.io.csvio import to_csv
from cocflow.proof.chain import ChainEntry
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.signoff import approval_of
from cocflow.store.progress import BoardFilter, BoardLine, Progress, ProgressStore
from cocflow.store.repo import CaseSummary

__all__ = [
    "BOARD_COLUMNS",
    "DUE_SOON_DAYS",
    "BoardFilter",
    "BoardPage",
    "BoardRow",
    "board_csv",
    "catch_up",
    "progress_of",
    "refresh",
]

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
    rules_changed: bool = False  # the rules changed its answer; nothing recorded since

    @property
    def flag(self) -> str:
        if self.overdue:
            return "overdue"
        if self.due_soon:
            return "due soon"
        return "answer changed" if self.rules_changed else ""


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of the board: its rows, how many cases match the filter, and of every case
    the member sees: how many, how many carry each flag, the outcomes among them; ``behind``:
    cases still to be worked out again (after an upgrade or new rules), shown as they were or
    not yet."""

    rows: list[BoardRow]
    matching: int
    total: int
    counts: dict[str, int]
    outcomes: list[str]
    behind: int = 0


def progress_of(
    work: Casework,
    summary: CaseSummary,
    entries: Sequence[ChainEntry],
    today: date,
    *,
    head_hash: str | None,
    broken: tuple[int, str] | None = None,
) -> Progress:
    """Where the case stands on ``today``, from its summary and proof log (``broken``: where
    its proof file fails to verify, if it does), and the days that holds for."""
    file_by = summary.decision.get("file_by")
    next_step, sent, sign_off = "Answer the questions", False, "none"
    valid_from = recheck_on = None
    if broken is not None:
        next_step = f"Restore the proof file: entry {broken[0]} does not verify"
    elif summary.outcome != INCOMPLETE:
        points = work.checkpoints_of(summary, entries, today)
        first = next((p for p in points if not p.done), None)
        next_step = f"Not done yet: {first.name[:1].lower()}{first.name[1:]}" if first else ""
        sent = len([p for p in points if p.done]) >= 2
        sign_off = approval_of(entries).state
        valid_from, recheck_on = _holds(entries, today)
    return Progress(
        head_hash,
        summary.updated_at,
        work.rules.version,
        file_by,
        next_step,
        sent,
        sign_off,
        valid_from,
        recheck_on,
        broken is None and _turned_by_rules(entries),
    )


def _turned_by_rules(entries: Sequence[ChainEntry]) -> bool:
    """Whether the log ends with a screening that the rules changed the answer of (nothing
    recorded on the case since)."""
    if not entries or entries[-1].kind != "screened":
        return False
    payload = json.loads(entries[-1].payload)
    return bool(payload.get("because") == "the rules changed" and payload["changes"]["outcome"])


def _holds(entries: Iterable[ChainEntry], today: date) -> tuple[str | None, str | None]:
    """The days a case's checkpoints stay as on ``today``: they change only when a day passes
    the last day of a document on file (a certificate counts while it is valid)."""
    after, before = None, None
    for entry in entries:
        last = json.loads(entry.payload).get("period_end")
        if not isinstance(last, str):
            continue
        turn = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        if last >= today.isoformat():
            before = turn if before is None else min(before, turn)
        else:
            after = turn if after is None else max(after, turn)
    return after, before


def refresh(work: Casework, store: ProgressStore, case_ids: Iterable[str], today: date) -> None:
    """Work out again and keep the progress of ``case_ids``, each proof file verified first.
    The log's head is read before the log, so a write meanwhile leaves the row stale (to be
    worked out on the next read), never wrongly current."""
    kept = {}
    for case_id in case_ids:
        _, head_hash, _ = work.store.head(case_id)
        summary = work.store.get_case(case_id)
        broken = work.verify(case_id) if summary.outcome != INCOMPLETE else None
        entries = work.entries(case_id) if broken is None else []
        kept[case_id] = progress_of(
            work, summary, entries, today, head_hash=head_hash, broken=broken
        )
        if len(kept) >= 500:
            store.save(kept)
            kept = {}
    store.save(kept)


def catch_up(work: Casework, store: ProgressStore, today: date, *, chunk: int = 500) -> int:
    """Work out again every team case whose kept progress is out of date (after an upgrade, or
    with new rules), a chunk at a time; how many were."""
    done = 0
    while stale := store.stale(None, work.rules.version, today)[:chunk]:
        refresh(work, store, stale, today)
        done += len(stale)
    return done


def board_row(line: BoardLine, today: date, due_soon: int = DUE_SOON_DAYS) -> BoardRow:
    file_by = date.fromisoformat(line.file_by) if line.file_by else None
    waiting = line.outcome == "go" and not line.sent and file_by is not None
    return BoardRow(
        line.case_id,
        line.reference,
        line.client,
        line.label,
        line.outcome,
        file_by,
        line.next_step,
        waiting and file_by is not None and file_by < today,
        waiting and file_by is not None and today <= file_by <= today + timedelta(days=due_soon),
        line.assignee,
        line.sign_off,
        line.rules_changed,
    )


def board_csv(rows: Iterable[BoardRow]) -> bytes:
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
