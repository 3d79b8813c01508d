"""Screening every stored case again after the rules changed, and what changed for each.

A run is planned over the stored cases (of one organisation, or all) in ranges of case ids;
each range is then screened again in one transaction (:class:`~cocflow.store.rescreen.
RescreenStore`), by this process (:func:`run_here`: a single person's install, with a progress
bar) or by any number of workers on a PostgreSQL job queue (:mod:`cocflow.services.queue`).

A case is screened again as of the day its stored decision was made, so what changes is what
the rules change, not the passing of time. When the outcome, a segment's coverage or
certificate, the reasons or the file-by date differ, the new decision is stored and a
"screened" entry records it in the proof file with what changed and the rules versions: a case
that was go and no longer is loses "Coverage confirmed", so nothing is relied on before it is
confirmed again, and its board row and reminders follow. A case that cannot be screened is
reported with the reason and left as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from cocflow.errors import CocflowError, clip
from cocflow.io.settings import Settings
from cocflow.rescreen.changes import changes
from cocflow.services.access import Action, Actor, require
from cocflow.services.cases import Casework, screening_entry, stored_case
from cocflow.services.screening import screen_case
from cocflow.store.repo import CaseSummary
from cocflow.store.rescreen import Judged, RangeDone, RescreenStore, Result, Run

if TYPE_CHECKING:
    from cocflow.services.team import Desk

__all__ = [
    "RANGE_SIZE",
    "OtherRules",
    "judge",
    "plan",
    "run_here",
    "start_for_team",
    "team_report",
    "work_range",
]

RANGE_SIZE = 1000  # cases to a range (a job)


class OtherRules(CocflowError):
    """A worker with other rules than the run's: the range is left for a worker that has
    them (the job queue tries it again later)."""


def judge(work: Casework) -> Callable[[CaseSummary, dict[str, Any]], Judged]:
    """How a stored case is screened again with ``work``'s rules."""
    rules, keys = work.rules, work.store.keys

    def judged(summary: CaseSummary, secret: dict[str, Any]) -> Judged:
        try:
            case = stored_case(summary.facts, secret)
            as_of = date.fromisoformat(str(summary.decision["as_of"]))
            decision = screen_case(case, as_of, rules)
        except (CocflowError, ValueError, KeyError, TypeError) as exc:
            why = clip(f"{type(exc).__name__}: {exc}", 300)
            return Judged(None, {}, failed=why)
        new = decision.as_dict()
        found = changes(summary.decision, new)
        if not found.any:
            return Judged(decision.outcome, found.as_dict())
        entry = {
            **screening_entry(decision, keys, summary.facts, secret),
            "because": "the rules changed",
            "rules_before": summary.rules_version,
            "changes": found.as_dict(),
        }
        return Judged(decision.outcome, found.as_dict(), new, entry)

    return judged


def plan(
    work: Casework,
    *,
    org_id: str | None = None,
    size: int = RANGE_SIZE,
    requested_by: str | None = None,
) -> Run:
    """A new run over the stored cases (of ``org_id``, or all) with ``work``'s rules."""
    return RescreenStore(work.store).plan(
        work.rules.version, org_id=org_id, size=size, requested_by=requested_by
    )


def work_range(work: Casework, run_id: str, first: str, last: str) -> RangeDone | None:
    """Screen one range of a run again (None: it was done already)."""
    store = RescreenStore(work.store)
    run = store.run(run_id)
    if run is None:
        return None
    if run.rules_version != work.rules.version:
        raise OtherRules(
            f"this worker has rules {work.rules.version}, but run {run_id} is for rules "
            f"{run.rules_version}: start the workers with the same cocflow and rules data."
        )
    return store.run_range(run_id, first, last, judge(work))


def run_here(work: Casework, run: Run, progress: Callable[[int], object] | None = None) -> Run:
    """Work every range of ``run`` not done yet in this process; ``progress`` is told how many
    cases each range held."""
    store = RescreenStore(work.store)
    for first, last in store.waiting(run.id):
        done = work_range(work, run.id, first, last)
        if progress is not None and done is not None:
            progress(done.screened)
    found = store.run(run.id)
    assert found is not None
    return found


def start_for_team(desk: Desk, actor: Actor, settings: Settings) -> Run:
    """The owner's button: a run over the organisation's cases with the rules in use, queued
    for the workers (PostgreSQL) or worked in a background thread (SQLite); audited."""
    require(actor, Action.RESCREEN)
    assert actor.org_id is not None
    last = RescreenStore(desk.work.store).latest(actor.org_id)
    if last is not None and last.rules_version == desk.work.rules.version:
        # Under these rules every case has its result once: the same run is given back, its
        # unfinished ranges (a server restarted meanwhile) sent off again; a range done twice
        # changes nothing twice.
        _dispatch(desk, last, settings)
        return last
    run = plan(desk.work, org_id=actor.org_id, requested_by=actor.user_id)
    desk.team.audit(
        org_id=actor.org_id,
        actor=actor.user_id,
        action="rescreen.start",
        detail={"run": run.id, "cases": run.cases, "rules": run.rules_version},
    )
    _dispatch(desk, run, settings)
    return run


def _dispatch(desk: Desk, run: Run, settings: Settings) -> None:
    """The run's unfinished ranges to the workers (PostgreSQL), or to a thread (SQLite)."""
    if not RescreenStore(desk.work.store).waiting(run.id):
        return
    if desk.work.store.engine.dialect.name == "postgresql":
        from cocflow.services import queue

        queue.enqueue(settings, run, desk.work)
    else:
        threading.Thread(
            target=run_here, args=(desk.work, run), name=f"cocflow-rescreen-{run.id}", daemon=True
        ).start()


def team_report(desk: Desk, actor: Actor) -> tuple[Run | None, list[Result]]:
    """The organisation's last run and its cases that changed or could not be screened."""
    require(actor, Action.RESCREEN)
    store = RescreenStore(desk.work.store)
    run = store.latest(actor.org_id)
    return run, store.results(run.id) if run else []
