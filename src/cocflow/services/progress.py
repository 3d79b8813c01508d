"""Where a case stands, section by section: what the web interview's task list shows.

Each section says honestly what is true of it: not started, in progress, needs information (a
screening or a check found a fact missing there), done, or cannot start yet (an earlier section
must be done first). Sections unlock in order: the answer needs the facts, the filing details
need a go, the documents need a clean check, the proof needs the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from cocflow.case import Case, missing
from cocflow.services.cases import INCOMPLETE, Casework
from cocflow.services.filing import FILLABLE, check_case
from cocflow.tracking.checkpoints import NEUTRAL_CHANGES

__all__ = ["CaseProgress", "Section", "case_progress", "known_progress"]

Status = Literal["not_started", "in_progress", "needs_information", "done", "cannot_start_yet"]


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # work, home, stays, answer, details, documents, proof, delivery
    title: str
    status: Status
    hint: str = ""


@dataclass(frozen=True, slots=True)
class CaseProgress:
    case_id: str
    case: Case  # the working copy
    outcome: str | None  # the confirmed screening's outcome (None: never confirmed)
    unconfirmed: bool  # answers changed since the last confirmed screening
    sections: tuple[Section, ...]
    rely: bool
    foreign: bool = False  # the other country covers the work: its certificate, not SSA's


def _facts(case: Case, gaps: set[str]) -> tuple[Section, ...]:
    kind = case.worker.kind
    employer = case.employer
    work: Status = "not_started" if kind is None else "done"
    if kind == "employee" and (employer is None or not employer.name or not employer.country):
        work = "in_progress"
    if work == "done" and any(g.split(".")[0] in ("employer", "business") or
                              g.startswith(("worker.citizenship", "worker.statements"))
                              for g in gaps):  # fmt: skip
        work = "needs_information"
    home: Status = "done" if case.worker.residence else "not_started"
    if home == "done" and "worker.residence" in gaps:
        home = "needs_information"
    stays: Status = "done" if case.engagements else "not_started"
    if stays == "done" and any(g.startswith("engagements") for g in gaps):
        stays = "needs_information"
    return (
        Section("work", "Your work", work, "How you are paid, and your citizenship"),
        Section("home", "Where you live", home, "Your home over time"),
        Section("stays", "Where you will work", stays, "Each stay abroad; the client is context"),
    )


_MEMO_SIZE = 512


def _key(work: Casework, case_id: str, today: date) -> tuple[object, ...]:
    stamp = work.store.stamp(case_id)
    return (stamp, today, work.files_signature(case_id, stamp[1:3]))


def known_progress(work: Casework, case_id: str, today: date) -> CaseProgress | None:
    """The task list if nothing it rests on changed since it was last worked out, else
    ``None``. Where the database says nothing at all was committed since (SQLite), not even the
    case's stamp is read; the stored files are still looked at (their sizes and times)."""
    memo: dict[str, tuple[tuple[object, ...], CaseProgress]] = work.memo.get("progress", {})
    found = memo.get(case_id)
    if found is None:
        return None
    key, progress = found
    version = work.store.data_version()
    seen = work.memo.setdefault("versions", {})
    if version is not None and seen.get(case_id) == version:
        stamp = key[0]
        assert isinstance(stamp, tuple)
        quick = (stamp, today, work.files_signature(case_id, stamp[1:3]))
        if quick == key:
            return progress
    if _key(work, case_id, today) != key or not _still_proven(work, case_id, progress):
        return None
    if version is not None:
        seen[case_id] = version
    return progress


def _still_proven(work: Casework, case_id: str, progress: CaseProgress) -> bool:
    """Something was written to the database, though not through this case's stamp: a task
    list that says "rely on the exemption" is kept only while the proof log still verifies (its
    files are watched by their sizes and times)."""
    return not progress.rely or work.verify(case_id, files=False) is None


def case_progress(work: Casework, case_id: str, today: date) -> CaseProgress:
    """The task list of ``case_id`` as of ``today``.

    Worked out again only when something stored about the case changed (its facts, its proof
    log, its working copy: one query tells), the day changed, or one of its stored files changed
    on disk (its size or modification time): a task list is read far more often than written."""
    memo: dict[str, tuple[tuple[object, ...], CaseProgress]] = work.memo.setdefault("progress", {})
    key = _key(work, case_id, today)
    found = memo.get(case_id)
    if found is not None and found[0] == key and _still_proven(work, case_id, found[1]):
        return found[1]
    progress = _progress(work, case_id, today)
    if len(memo) >= _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    memo[case_id] = (key, progress)
    return progress


def _progress(work: Casework, case_id: str, today: date) -> CaseProgress:
    summary = work.store.get_case(case_id)
    case = work.working_copy(case_id)
    confirmed = summary.outcome != INCOMPLETE
    unconfirmed = work.has_changes(case_id)
    decision = summary.decision if confirmed else {}
    gaps = set(decision.get("missing_facts") or []) if not unconfirmed else set()
    sections = list(_facts(case, gaps))
    complete = not missing(case)
    if not complete:
        answer: Status = "cannot_start_yet"
    elif unconfirmed or not confirmed:
        answer = "not_started" if not confirmed else "in_progress"
    else:
        asks = decision.get("missing_facts") and summary.outcome == "pause"
        answer = "needs_information" if asks else "done"
    sections.append(Section("answer", "Your answer", answer, "Go, no go, pause or not needed"))
    plan = work.foreign_plan_of(decision) if confirmed and not unconfirmed else None
    if plan is not None:
        return _foreign(work, case_id, today, case, summary.outcome, sections=sections)
    # The filing details stay open while they change: the answer is the stored one until the
    # changes are confirmed (the documents wait for that).
    go = confirmed and summary.outcome == "go" and complete
    details: Status = "cannot_start_yet"
    documents: Status = "cannot_start_yet"
    if go:
        report = check_case(case, today, work.rules)
        fillable = [f for f in report.findings if f.code in FILLABLE]
        has_any = case.person is not None
        details = "done" if report.ready else ("in_progress" if has_any else "not_started")
        if report.ready and not unconfirmed:
            documents = "done" if _prepared(work, case_id) else "not_started"
        elif has_any and not fillable:
            details = "needs_information"  # errors the questions cannot fill: see the check
    sections.append(Section("details", "Filing details", details, "What SSA's request needs"))
    sections.append(Section("documents", "Documents", documents, "The letter and the worksheet"))
    status = work.status(case_id, today) if confirmed else None
    points = status.checkpoints if status else []
    proof: Status = "cannot_start_yet"
    delivery: Status = "cannot_start_yet"
    if documents == "done" and points:
        proof = "done" if points[2].done else ("in_progress" if points[1].done else "not_started")
        if points[2].done:
            delivery = "done" if points[3].done else "not_started"
    sections.append(Section("proof", "Filing and proof", proof, "The submission, the certificate"))
    sections.append(Section("delivery", "Delivery", delivery, "The certificate to whoever asks"))
    return CaseProgress(
        case_id,
        case,
        summary.outcome if confirmed else None,
        unconfirmed,
        tuple(sections),
        bool(status and status.rely),
    )


def _foreign(
    work: Casework,
    case_id: str,
    today: date,
    case: Case,
    outcome: str,
    *,
    sections: list[Section],
) -> CaseProgress:
    """A case the other country covers: no U.S. request; its own certificate to get and show."""
    points = work.status(case_id, today).checkpoints
    asked: Status = "done" if points[1].done else "not_started"
    kept: Status = "done" if points[2].done else ("not_started" if points[1].done else asked)
    if not points[1].done:
        kept = "cannot_start_yet"
    shown: Status = "done" if points[3].done else "not_started"
    if not points[2].done:
        shown = "cannot_start_yet"
    not_needed = "Not needed: no U.S. certificate for this work"
    sections += [
        Section("details", "Filing details", "cannot_start_yet", not_needed),
        Section("documents", "Documents", "cannot_start_yet", not_needed),
        Section("proof", "The other country's certificate", asked if asked != "done" else kept,
                "Asked for, received and kept"),
        Section("delivery", "Shown where U.S. contributions are due", shown,
                "With your tax return or to the U.S. payroll"),
    ]  # fmt: skip
    return CaseProgress(
        case_id, case, outcome, False, tuple(sections), all(p.done for p in points), foreign=True
    )


def _prepared(work: Casework, case_id: str) -> bool:
    """A clean request prepared after the last change of the filed facts (an older one is out
    of date: the documents page asks to prepare it again)."""
    current = False
    for entry in work.entries(case_id):
        payload = json.loads(entry.payload)
        if entry.kind == "request_prepared" and payload.get("ready"):
            current = True
        elif entry.kind == "facts_changed" and any(
            not NEUTRAL_CHANGES.match(path) for path in payload.get("paths", [])
        ):
            current = False
    return current
