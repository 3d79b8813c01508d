"""Two workers share a run on the PostgreSQL job queue; one is killed with SIGKILL in the
middle of a range. Its job is queued again once its heartbeats stop, and every case ends with
exactly one result for the new rules version: none lost, none twice, each flip recorded once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services import queue, rescreen
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.store.rescreen import RescreenStore, Run
from tests.rescreen.support import TODAY, move, over_the_short_limit, shortened_rules

ROOT = Path(__file__).resolve().parents[2]
LENGTHS = [6, 12, 18, 23, 25, 30, 36, 48, 60] * 4  # 36 cases
SIZE = 6  # cases to a range: 6 jobs


def _worker(env: dict[str, str], pause: float, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "rescreen" / "slow_worker.py"), str(pause)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def _doing(work: object) -> int:
    engine = work.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
            ).scalar_one()
        )


def _store_cases(env: dict[str, str], rules: RuleBook) -> dict[str, int]:
    work = open_casework(Settings.from_env(env), rules)
    try:
        return {work.new_case(move(n), TODAY)[0]: n for n in LENGTHS}
    finally:
        work.close()


def _wait(
    settings: Settings, store: RescreenStore, run_id: str, deadline: float
) -> tuple[Run, int]:
    """The run once done (or at the deadline), and how many stalled jobs were queued again."""
    requeued = 0
    while True:
        found = store.run(run_id)
        assert found is not None
        if found.done or time.monotonic() > deadline:
            return found, requeued
        requeued += queue.requeue_stalled(settings, seconds=2.0)
        time.sleep(0.3)


def test_a_worker_killed_mid_range_loses_nothing_and_repeats_nothing(
    database_url: str, tmp_path: Path, rules: RuleBook
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the job queue is PostgreSQL's")
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    months = _store_cases(env, rules)
    env["COCFLOW_RULES_DIR"] = str(shortened_rules(tmp_path / "rules"))
    settings = Settings.from_env(env)
    changed = open_casework(settings, rules_for(settings))
    store = RescreenStore(changed.store)
    workers = []
    try:
        run = rescreen.plan(changed, size=SIZE)
        assert queue.enqueue(settings, run) == 6
        workers = [
            _worker(env, 0.25, tmp_path / "killed.log"),
            _worker(env, 0.05, tmp_path / "other.log"),
        ]
        deadline = time.monotonic() + 60
        while _doing(changed) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _doing(changed) == 2, "both workers took a job"
        time.sleep(0.4)  # the slow one is a case or two into its range
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        found, requeued = _wait(settings, store, run.id, deadline)
        other = (tmp_path / "other.log").read_text()[-2000:]
        assert found.done, (found, other)
        assert requeued >= 1  # the killed worker's job went back to the queue
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
    counts = dict(store.decisions_for(changed.rules.version))
    assert counts == dict.fromkeys(months, 1)  # every case once: none lost, none twice
    flipped = {r.case_id for r in store.results(run.id) if r.changes["outcome"]}
    assert flipped == {c for c, n in months.items() if over_the_short_limit(move(n))}
    for case_id in months:
        kinds = [e.kind for e in changed.entries(case_id)]
        assert kinds == ["screened"] * (2 if case_id in flipped else 1)  # recorded once
        assert changed.verify(case_id) is None
    assert found.screened == len(months)
    changed.close()
