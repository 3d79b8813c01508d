"""``cocflow rescreen`` (every stored case screened again under the rules in use, and what
changed for each) and ``cocflow worker`` (works a team's re-screening queue)."""

from __future__ import annotations

import textwrap
from typing import Annotated, Any

import typer

from cocflow.cli.common import Format, FormatOpt, _dump, _run


def rescreen(
    range_size: Annotated[
        int,
        typer.Option("--range-size", min=1, max=10_000, help="Cases to a job (a range)."),
    ] = 1000,
    here: Annotated[
        bool,
        typer.Option("--here", help="Work every range in this process, even on a team's database."),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Queue the jobs and stop; 'cocflow worker' does them."),
    ] = False,
    show: Annotated[
        int, typer.Option("--show", min=0, help="Changed cases to list (text output).")
    ] = 50,
    format: FormatOpt = Format.text,
) -> None:
    """Screen every stored case again under the rules in use, and say what changed.

    Each case is screened as of the day of its stored decision.
    A changed case gets the new decision and a proof entry saying what changed.
    A case that was go and no longer is may not be relied on until confirmed.
    On a team's PostgreSQL database the work goes to 'cocflow worker' processes.

    Example: cocflow rescreen
    """
    from cocflow.io.settings import Settings
    from cocflow.services import rescreen as service
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for

    settings = _run(Settings.from_env)
    work = _run(lambda: open_casework(settings, rules_for(settings)))
    try:
        run = _run(lambda: service.plan(work, size=range_size))
        _audit_start(work, run)
        queued = work.store.engine.dialect.name == "postgresql" and not here
        if queued:
            from cocflow.services import queue

            jobs = _run(lambda: queue.enqueue(settings, run))
            typer.echo(
                f"Queued {jobs} jobs ({run.cases} cases) for run {run.id}; workers started "
                "with 'cocflow worker' do them.",
                err=True,
            )
            if no_wait:
                return
            run = _wait(settings, work, run)
        else:
            run = _here(work, run, quiet=format is Format.json)
        _report(work, run, show, format)
        if run.failed:
            raise typer.Exit(1)
    finally:
        work.close()


def _audit_start(work: Any, run: Any) -> None:
    """On a team's store, the run is in the audit log, as one the owner starts on the page."""
    from cocflow.store.team import TeamStore

    team = TeamStore(work.store.engine, work.store.keys)
    if team.has_orgs():
        detail = {"run": run.id, "cases": run.cases, "rules": run.rules_version}
        team.audit(
            org_id=None,
            actor=None,
            action="rescreen.start",
            detail={**detail, "by": "command line"},
        )


def _here(work: Any, run: Any, *, quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import Progress

    from cocflow.services import rescreen as service

    with Progress(console=Console(stderr=True), disable=quiet, transient=True) as bar:
        task = bar.add_task("Screening again", total=run.cases)
        return service.run_here(work, run, lambda n: bar.advance(task, n))


def _wait(settings: Any, work: Any, run: Any) -> Any:
    """Follow the run until its ranges are done, queuing again the jobs of dead workers."""
    import time

    from rich.console import Console
    from rich.progress import Progress

    from cocflow.services import queue
    from cocflow.store.rescreen import RescreenStore

    store = RescreenStore(work.store)
    swept = time.monotonic()
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Workers screening again", total=run.cases)
        while True:
            found = store.run(run.id)
            assert found is not None
            bar.update(task, completed=found.screened)
            if found.done:
                return found
            if time.monotonic() - swept > queue.HEARTBEAT_SECONDS:
                queue.requeue_stalled(settings)
                swept = time.monotonic()
            time.sleep(1)


def _report(work: Any, run: Any, show: int, format: Format) -> None:
    from cocflow.rescreen.changes import changes_from_dict
    from cocflow.store.rescreen import RescreenStore

    results = RescreenStore(work.store).results(run.id)
    if format is Format.json:
        _dump(
            {
                "run": run.id,
                "rules_version": run.rules_version,
                "cases": run.cases,
                "screened": run.screened,
                "changed": run.changed,
                "failed": run.failed,
                "results": [
                    {
                        "case": r.case_id,
                        "outcome_before": r.outcome_before,
                        "outcome_after": r.outcome_after,
                        "changes": r.changes,
                        "failed": r.failed,
                    }
                    for r in results
                ],
            }
        )
        return
    if run.cases and not run.screened:
        typer.echo(
            textwrap.fill(
                f"Every one of the {run.cases} cases was screened under rules "
                f"{run.rules_version} already: nothing to do.",
                width=79,
            )
        )
        return
    typer.echo(
        textwrap.fill(
            f"Screened {run.screened} of {run.cases} cases again under rules "
            f"{run.rules_version}: {run.changed} changed, {run.failed} could not be screened.",
            width=79,
        )
    )
    for r in results[:show]:
        name = r.client_ref or r.title
        said = f"not screened: {r.failed}" if r.failed else changes_from_dict(r.changes).summary()
        typer.echo(
            textwrap.fill(
                f"{r.case_id[:8]}  {name}: {said}",
                width=79,
                initial_indent="  ",
                subsequent_indent="            ",
            )
        )
    if len(results) > show:
        typer.echo(f"  ... and {len(results) - show} more (--show N, or --format json).")


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Jobs worked at once.")
    ] = 1,
    burst: Annotated[bool, typer.Option("--burst", help="Stop once the queue is empty.")] = False,
) -> None:
    """Work a team's re-screening jobs until stopped (Ctrl+C), with any number of others.

    Start as many as you like, on any machine that reaches the team's database,
    with the same cocflow and rules.

    Example: cocflow worker --concurrency 2
    """
    from cocflow.io.settings import Settings
    from cocflow.services import queue

    settings = _run(Settings.from_env)
    _run(lambda: queue.conninfo(settings))  # a team's PostgreSQL database, or say so
    typer.echo("Working the re-screening queue; Ctrl+C stops.", err=True)
    _run(lambda: queue.run_worker(settings, concurrency=concurrency, burst=burst))
