"""The ``cocflow`` command: a thin client of :mod:`cocflow.services`.

Exit status: 0 a result was produced, 1 an internal error (or a rules data problem), 2 bad
input (a case file, a roster or an argument), with the field's path, the problem and the fix.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from cocflow.errors import CocflowError, InputError, Problem, RulesError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="cocflow: screen, prepare and keep the proof of a U.S. Certificate of Coverage.",
)

_state = {"debug": False}
T = TypeVar("T")


class Format(StrEnum):
    text = "text"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="text for people, json for programs.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", metavar="YYYY-MM-DD", help="Screen as on this date (default: today)."),
]


def _fail_input(err: InputError) -> NoReturn:
    head = f"cocflow: {err.source}: " if err.source else "cocflow: "
    lines = [f"{head}cannot use this input:"]
    for p in err.problems:
        where = p.path or "(file)"
        lines.append(f"  {where}: {p.message}\n    fix: {p.fix}")
    typer.echo("\n".join(lines), err=True)
    raise typer.Exit(2)


def _run(action: Callable[[], T], passthrough: tuple[type[CocflowError], ...] = ()) -> T:
    """Run ``action`` and map cocflow's errors to exit statuses (no traceback unless --debug).

    Errors of the ``passthrough`` types are left for the caller to present.
    """
    try:
        return action()
    except InputError as err:
        _fail_input(err)
    except RulesError as err:
        if _state["debug"]:
            raise
        typer.echo(f"cocflow: the rules data is broken: {err}", err=True)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except CocflowError as err:
        if isinstance(err, passthrough):
            raise
        if _state["debug"]:
            raise
        typer.echo(f"cocflow: {err}", err=True)
        raise typer.Exit(1) from None
    except Exception as err:
        if _state["debug"]:
            raise
        typer.echo(
            f"cocflow: internal error ({type(err).__name__}: {err}). Run again with "
            f"--debug for details, and report it.",
            err=True,
        )
        raise typer.Exit(1) from None


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    from cocflow.isodate import parse_iso_date

    try:
        return parse_iso_date(value)
    except ValueError as exc:
        _fail_input(
            InputError(
                [
                    Problem(
                        "--as-of",
                        "BAD_DATE",
                        f"{exc}.",
                        "write the date as YYYY-MM-DD, e.g. 2027-01-15.",
                    )
                ]
            )
        )


def _print(text: str) -> None:
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(text)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def screen(
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Decide go / no_go / pause / not_needed for a case, with reasons and sources."""
    from cocflow import services
    from cocflow.settings import Settings

    day = _as_of(as_of)

    def run() -> Any:
        rules = services.rules_for(Settings.from_env())
        return services.screen_file(case, day, rules)

    decision = _run(run)
    if format is Format.json:
        _dump(decision.as_dict())
        return
    from cocflow.render import decision_text

    _print(decision_text(decision, markup=sys.stdout.isatty()))


@app.command("screen-batch")
def screen_batch(
    roster: Annotated[Path, typer.Argument(help="The roster CSV (see docs/batch.md).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one decision row per client.")],
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Where to write bad rows (default: OUT with .errors.csv)."),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Screen an advisor's whole client list: one row per engagement, one decision per client."""
    from cocflow import batch, services
    from cocflow.settings import Settings

    day = _as_of(as_of)
    errors_path = errors or out.with_name(out.stem + ".errors.csv")

    def run() -> batch.BatchSummary:
        rules = services.rules_for(Settings.from_env())
        return batch.screen_roster_file(
            roster, out, errors_path, rules, day, progress=sys.stderr.isatty()
        )

    summary = _run(run)
    typer.echo(
        f"Screened {summary.clients} clients ({summary.rows} rows): "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items()))
        + f". Decisions: {out}"
    )
    if summary.bad_rows:
        typer.echo(
            f"cocflow: {summary.bad_rows} bad rows; {summary.skipped_clients} clients not "
            f"screened. See {errors_path} (line numbers are the CSV's).",
            err=True,
        )
        raise typer.Exit(2)


def _findings_text(report: Any, markup: bool) -> str:
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    head = "READY to file" if report.ready else f"NOT READY: {len(errors)} error(s) to fix"
    if markup:
        head = f"[bold {'green' if report.ready else 'red'}]{head}[/]"
    lines = [f"{head}, {len(warnings)} warning(s)."]
    for f in report.findings:
        lines.append(f"  {f.severity.upper()} {f.path}: {f.message} [{f.code}]")
        lines.append(f"      fix: {f.fix}")
    return "\n".join(lines)


@app.command()
def check(
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Review a filing before it goes to SSA: every finding with its path and fix."""
    from cocflow import services
    from cocflow.settings import Settings

    day = _as_of(as_of)
    report = _run(lambda: services.check_file(case, day, services.rules_for(Settings.from_env())))
    if format is Format.json:
        _dump(report.as_dict())
        return
    from rich.markup import escape

    text = _findings_text(report, markup=sys.stdout.isatty())
    _print(text if sys.stdout.isatty() else escape(text))


class ChannelOpt(StrEnum):
    online = "online"
    mail = "mail"
    fax = "fax"


@app.command()
def request(
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the documents into.")],
    channel: Annotated[
        ChannelOpt | None,
        typer.Option("--channel", help="online (default), or mail or fax as the fallback."),
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Write the request documents, once 'cocflow check' finds no error."""
    from cocflow import services
    from cocflow.settings import Settings

    day = _as_of(as_of)
    settings = _run(Settings.from_env)

    def run() -> Any:
        return services.prepare_request(
            case,
            out,
            day,
            services.rules_for(settings),
            channel=channel.value if channel else None,
            processing_days=settings.processing_days,
        )

    try:
        result = _run(run, passthrough=(services.NotReady,))
    except services.NotReady as err:
        if format is Format.json:
            _dump(err.report.as_dict())
        typer.echo(
            f"cocflow: {err}; nothing was written.\n" + _findings_text(err.report, markup=False),
            err=True,
        )
        raise typer.Exit(2) from None
    if format is Format.json:
        _dump(
            {
                "files": [str(p) for p in result.files],
                "channel": result.channel.as_dict(),
                "file_by": result.packet.file_by.isoformat() if result.packet.file_by else None,
                **result.report.as_dict(),
            }
        )
        return
    advice = result.channel
    lines = [f"Wrote {len(result.files)} files to {out}:"]
    lines += [f"  {p.name}" for p in result.files]
    lines.append(
        f"Channel: {advice.channel} (recommended {advice.recommended}; allowed: "
        f"{', '.join(advice.allowed)})"
        + ("; VERIFY BEFORE FILING: the sources disagree" if advice.verify else "")
    )
    lines += [f"  - {text}" for text, _ in advice.notes]
    lines.append(result.packet.timing_note or "")
    lines.append("The files hold the full SSN: keep them private (they are readable by you only).")
    typer.echo("\n".join(lines))


@app.command()
def agreements(
    country: Annotated[
        str | None, typer.Argument(help="An agreement id (DE, CA-QC) or a country name.")
    ] = None,
    format: FormatOpt = Format.text,
) -> None:
    """List the agreements, or show one with every value's source."""
    from cocflow import render, services
    from cocflow.settings import Settings

    rules = _run(lambda: services.rules_for(Settings.from_env()))
    if country is None:
        if format is Format.json:
            _dump(
                {
                    "rules_version": rules.version,
                    "agreements": [
                        render.agreement_dict(a)
                        for a in sorted(rules.agreements.values(), key=lambda x: x.id)
                    ],
                }
            )
        else:
            typer.echo(render.agreements_text(rules))
        return
    agreement = _run(lambda: services.find_agreement(rules, country))
    if format is Format.json:
        _dump({"rules_version": rules.version, **render.agreement_dict(agreement)})
    else:
        typer.echo(render.agreement_text(agreement))


def main() -> None:
    """Console entry point."""
    app()
