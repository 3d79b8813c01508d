"""The PostgreSQL job queue that shares a re-screening run among workers (procrastinate).

Why procrastinate: the queue lives in the database cocflow already keeps (one stateful system
to run and back up), workers on any machine that reaches the database share it, jobs are taken
with ``FOR UPDATE SKIP LOCKED``, and workers send heartbeats, so a job whose worker died can be
found and queued again. A job is a range of case ids (:mod:`cocflow.services.rescreen`), never
one case; its results are written in the transaction that marks the range done, so a job run
twice changes nothing twice. Finished jobs are deleted (a queue slows down with millions of
finished rows); the run's own tables keep the progress and the results.

The queue's tables are procrastinate's own schema, put in the database the first time a run is
queued or a worker starts (under an advisory lock, so two starting workers do not both try).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from cocflow.errors import InputError, Problem
from cocflow.io.settings import Settings
from cocflow.services import rescreen
from cocflow.store.rescreen import Run

__all__ = [
    "HEARTBEAT_SECONDS",
    "QUEUE",
    "STALLED_SECONDS",
    "TASK",
    "conninfo",
    "enqueue",
    "queue_app",
    "requeue_stalled",
    "run_worker",
]

TASK = "cocflow.rescreen_range"
QUEUE = "cocflow-rescreen"
HEARTBEAT_SECONDS = 10.0
STALLED_SECONDS = 60.0  # a worker silent this long is taken for dead: its jobs are queued again
RETRIES, RETRY_SECONDS = 60, 30  # a job another worker should do: tried again for 30 minutes
_SCHEMA_LOCK = 0x636F6371  # "cocq"
_works: dict[str, Any] = {}
_works_lock = threading.Lock()


def conninfo(settings: Settings) -> str:
    """The database's address in libpq's form (procrastinate speaks psycopg directly)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url) if settings.database_url else None
    if url is None or url.get_backend_name() != "postgresql":
        raise InputError(
            [
                Problem(
                    "COCFLOW_DATABASE_URL",
                    "QUEUE_NEEDS_POSTGRESQL",
                    "The job queue lives in a team's PostgreSQL database, and this store is "
                    + ("another kind." if url else "a single person's (SQLite)."),
                    "set COCFLOW_DATABASE_URL to the team's database; on a single person's "
                    "store, 'cocflow rescreen' works through the cases itself.",
                )
            ]
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _casework(settings: Settings) -> Any:
    """This process's store, opened once for every job it runs."""
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for

    key = repr(settings)
    with _works_lock:
        if key not in _works:
            _works[key] = open_casework(settings, rules_for(settings))
        return _works[key]


def queue_app(settings: Settings) -> Any:
    """The procrastinate app of this store, with the re-screening task."""
    import procrastinate
    from sqlalchemy.exc import OperationalError

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings)))

    # A worker with other rules, or a database that went away for a moment: the job goes back
    # to the queue for a while, for this worker or another.
    retry = procrastinate.RetryStrategy(
        max_attempts=RETRIES,
        wait=RETRY_SECONDS,
        retry_exceptions={rescreen.OtherRules, OperationalError},
    )

    @app.task(name=TASK, queue=QUEUE, retry=retry)
    def rescreen_range(run_id: str, first: str, last: str) -> None:
        rescreen.work_range(_casework(settings), run_id, first, last)

    @app.periodic(cron="* * * * *", periodic_id="requeue-stalled")
    @app.task(name="cocflow.requeue_stalled", queue=QUEUE)
    async def sweep(timestamp: int) -> None:
        await _requeue(app, STALLED_SECONDS)

    return app


def ensure_schema(settings: Settings) -> None:
    """Put the queue's tables in the database, once."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo(settings), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            found = connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if found is None or found[0] is None:
                connection.execute(SchemaManager.get_schema())
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def enqueue(settings: Settings, run: Run, work: Any = None) -> int:
    """Queue a job for each range of ``run`` not done yet (read through ``work``, else this
    process's store); how many."""
    from cocflow.store.rescreen import RescreenStore

    ensure_schema(settings)
    work = work if work is not None else _casework(settings)
    ranges = RescreenStore(work.store).waiting(run.id)
    if not ranges:
        return 0
    app = queue_app(settings)
    with app.open():
        task = app.tasks[TASK]
        task.batch_defer(*({"run_id": run.id, "first": a, "last": b} for a, b in ranges))
    return len(ranges)


async def _requeue(app: Any, seconds: float) -> int:
    stalled = list(
        await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=seconds)
    )
    for job in stalled:
        await app.job_manager.retry_job(job)
    await app.job_manager.prune_stalled_workers(seconds_since_heartbeat=seconds)
    return len(stalled)


def requeue_stalled(settings: Settings, seconds: float = STALLED_SECONDS) -> int:
    """Queue again every job whose worker has sent no heartbeat for ``seconds``; how many."""
    app = queue_app(settings)

    async def sweep() -> int:
        async with app.open_async():
            return await _requeue(app, seconds)

    return asyncio.run(sweep())


def run_worker(
    settings: Settings,
    *,
    concurrency: int = 1,
    burst: bool = False,
    heartbeat: float = HEARTBEAT_SECONDS,
    stalled: float = STALLED_SECONDS,
) -> None:
    """Work the queue's jobs until stopped (``burst``: until the queue is empty)."""
    ensure_schema(settings)
    app = queue_app(settings)
    app.run_worker(
        queues=[QUEUE],
        concurrency=concurrency,
        wait=not burst,
        update_heartbeat_interval=heartbeat,
        stalled_worker_timeout=stalled,
        delete_jobs="successful",
    )
