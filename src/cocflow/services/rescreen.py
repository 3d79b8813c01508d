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

from collections.abc import Callable
from datetime import date
from typing import Any

from cocflow.errors import CocflowError, clip
from cocflow.rescreen.changes import changes
from cocflow.services.cases import Casework, screening_entry, stored_case
from cocflow.services.screening import screen_case
from cocflow.store.repo import CaseSummary
from cocflow.store.rescreen import Judged, RangeDone, RescreenStore, Run

__all__ = ["RANGE_SIZE", "judge", "plan", "run_here", "work_range"]

RANGE_SIZE = 1000  # cases to a range (a job): the issue asks for 1,000 to 10,000


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
        raise CocflowError(
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
