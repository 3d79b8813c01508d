"""Commands that screen, check and prepare: screen, new, screen-batch, check, request,
agreements. They work on case files; only ``request --case`` touches the store (on a team's
store, as the member named by COCFLOW_TOKEN)."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cocflow.case import Case
from cocflow.cli import show_decision
from cocflow.cli.common import (
    AsOfOpt,
    Format,
    FormatOpt,
    _as_of,
    _dump,
    _fail_input,
    _interactive,
    _print,
    _quoted,
    _read,
    _run,
    _seat,
)
from cocflow.errors import InputError, Problem, clip
from cocflow.services.access import Action


def screen(
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Decide go / no_go / pause / not_needed for a case, with reasons and sources.

    Example: cocflow screen my-case.yaml --format json
    """
    # A plain `cocflow screen` usually never gets here: cocflow.cli.main screens it without
    # the command table. This is its full path: odd arguments, errors, and the tests' runner.
    from cocflow.io.settings import Settings
    from cocflow.services import screening as services

    day = _as_of(as_of)

    def run() -> Any:
        settings = Settings.from_env()
        rules = services.rules_for(settings)
        return services.screen_case(
            _read(case), day, rules, settings.processing_days, source=str(case)
        )

    decision = _run(run)
    show_decision(decision, case, format is Format.json, typer.echo)


class WorkerKindOpt(StrEnum):
    self_employed = "self_employed"
    employee = "employee"


def new(
    case_file: Annotated[Path, typer.Argument(help="The case file to write (.yaml).")] = Path(
        "case.yaml"
    ),
    template: Annotated[
        WorkerKindOpt | None,
        typer.Option("--template", help="Write a commented template for this kind instead."),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Answer a few questions in plain words and get a case file (and its first answer).

    Example: cocflow new lisbon.yaml   (or: cocflow new lisbon.yaml --template employee)
    """
    from cocflow.interview import questions as interview
    from cocflow.io.atomic import atomic_write

    if case_file.exists():
        _fail_input(
            InputError(
                [
                    Problem(
                        str(case_file),
                        "FILE_EXISTS",
                        "the file exists already; nothing was written.",
                        "name a new file, or edit that one and run 'cocflow screen' on it.",
                    )
                ]
            )
        )
    if template is not None:
        _run(lambda: atomic_write(case_file, interview.template(template.value).encode(), 0o600))
        typer.echo(f"Wrote a template to {case_file}. Fill it in, then: cocflow screen {case_file}")
        return
    from cocflow.cli.render import HEADLINES
    from cocflow.io.casefile import write_case
    from cocflow.io.settings import Settings
    from cocflow.services import screening as services

    settings = _run(Settings.from_env)
    rules = _run(lambda: services.rules_for(settings))
    answers: dict[str, Any] = {}
    while (question := interview.next_question(answers)) is not None:
        answers[question.id] = _ask(question)
    case = interview.build(answers)
    header = f"Written by 'cocflow new'. Check it with: cocflow screen {case_file}"
    _run(lambda: write_case(case_file, case, header))
    typer.echo(f"\nWrote {case_file}.")
    day = _as_of(as_of)

    def screened() -> Any:
        return services.screen_case(
            case, day, rules, settings.processing_days, source=str(case_file)
        )

    decision = _run(screened)
    follow = services.follow_up_questions(case, decision, rules)
    if follow:
        typer.echo(f"\nThe answer is a pause until {len(follow)} more fact(s) are known:", err=True)
        for question in follow:
            case = interview.with_answer(case, question, _ask(question))
        _run(lambda: write_case(case_file, case, header))
        decision = _run(screened)
    typer.echo(f"Answer: {HEADLINES[decision.outcome][0]}.")
    asked = "Go on with the details the request needs (about 12 questions)?"
    if decision.outcome == "go" and _interactive() and typer.confirm(asked, default=True):
        _fill_details(case_file, case, day)
        return
    if decision.outcome == "go":
        typer.echo(f"Next: cocflow details {_quoted(case_file)}   (asks what the request needs)")
    else:
        typer.echo(f"Next: cocflow screen {_quoted(case_file)}")


def details(
    case_file: Annotated[Path, typer.Argument(help="The case file (.yaml) to complete.")],
    as_of: AsOfOpt = None,
) -> None:
    """Ask, in plain words, what the request still needs, and add the answers to the file.

    Only what the check finds missing is asked, then your records (SSN card, passport).

    The file is written again, without its comments.

    Example: cocflow details lisbon.yaml
    """
    _fill_details(case_file, _read(case_file), _as_of(as_of))


def _fill_details(case_file: Path, case: Case, day: date) -> None:
    from cocflow.interview import questions as interview
    from cocflow.io.casefile import write_case
    from cocflow.io.settings import Settings
    from cocflow.services import filing
    from cocflow.services.screening import rules_for

    rules = _run(lambda: rules_for(Settings.from_env()))
    questions = _run(lambda: filing.filing_details_needed(case, day, rules))
    if not questions:
        typer.echo("Nothing to ask: the screening answer is not go, or nothing is missing.")
    for question in questions:
        case = interview.with_answer(case, question, _ask(question))
    header = f"Written by 'cocflow details'. Check it with: cocflow check {case_file}"
    _run(lambda: write_case(case_file, case, header))
    report = _run(lambda: filing.check_case(case, day, rules))
    errors = sum(f.severity == "error" for f in report.findings)
    typer.echo(f"\nWrote {case_file}; the pre-submit check finds {errors} error(s).")
    if report.ready:
        typer.echo(f"Next: cocflow request {_quoted(case_file)} --out filing/")
    else:
        typer.echo(f"Next: cocflow check {_quoted(case_file)}   (each error says how to fix it)")


def _ask(question: Any) -> Any:
    """Ask one interview question in the terminal until the answer is valid."""
    import shutil
    import textwrap

    from cocflow.interview import questions as interview

    width = min(shutil.get_terminal_size().columns, 100) - 1
    lines = interview.describe(question).splitlines()
    shown = [
        textwrap.fill(line, width, subsequent_indent=" " * (len(line) - len(line.lstrip()) + 2))
        for line in lines
    ]
    typer.echo("\n" + "\n".join(shown), err=True)
    if question.kind == "address":
        return _ask_address()
    while True:
        text = typer.prompt(
            "Your answer",
            default="",
            show_default=False,
            err=True,
            hide_input=question.kind == "ssn" and _interactive(),
        )
        try:
            return interview.parse_answer(question, text)
        except ValueError as exc:
            typer.echo(f"  {clip(str(exc))}. Try again.", err=True)


def screen_batch(
    roster: Annotated[Path, typer.Argument(help="The roster CSV (see docs/batch.md).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one decision row per client.")],
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Where to write bad rows (default: OUT with .errors.csv)."),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Screen an advisor's whole client list: one row per engagement, one decision per client.

    Example: cocflow screen-batch clients.csv --out decisions.csv
    """
    from cocflow.io.settings import Settings
    from cocflow.services import batch
    from cocflow.services import screening as services

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


def check(
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Review a filing before it goes to SSA: every finding with its path and fix.

    Example: cocflow check my-case.yaml
    """
    from cocflow.io.settings import Settings
    from cocflow.services import filing as preparation
    from cocflow.services import screening as services

    day = _as_of(as_of)

    report = _run(
        lambda: preparation.check_case(_read(case), day, services.rules_for(Settings.from_env()))
    )
    if format is Format.json:
        _dump(report.as_dict())
        return
    from rich.markup import escape

    text = _findings_text(report, markup=sys.stdout.isatty())
    _print(text if sys.stdout.isatty() else escape(text))
    if report.ready:
        typer.echo(f"Next: cocflow request {_quoted(case)} --out filing/")
    else:
        typer.echo(f"Next: correct the errors in {case}, then: cocflow check {_quoted(case)}")


class ChannelOpt(StrEnum):
    online = "online"
    mail = "mail"
    fax = "fax"


def request(
    ctx: typer.Context,
    case: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the documents into.")],
    channel: Annotated[
        ChannelOpt | None,
        typer.Option("--channel", help="online (default), or mail or fax as the fallback."),
    ] = None,
    case_id: Annotated[
        str | None,
        typer.Option("--case", help="Record the prepared request in this case's proof file."),
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Write the request documents, once 'cocflow check' finds no error.

    Example: cocflow request my-case.yaml --out filing/ --case 1ab6
    """
    from cocflow.io.settings import Settings
    from cocflow.services import filing as preparation
    from cocflow.services import screening as services

    day = _as_of(as_of)
    settings = _run(Settings.from_env)
    seat = _seat(ctx) if case_id else None
    if seat is not None and case_id is not None:  # checked before anything is written
        given = case_id
        case_id = _run(lambda: seat.case(given, Action.REQUEST_PREPARE))

    def run() -> preparation.Filed:
        return preparation.request(
            _read(case),
            out,
            day,
            services.rules_for(settings),
            channel=channel.value if channel else None,
            processing_days=settings.processing_days,
            casework=seat.work if seat else None,
            case_id=case_id,
            source=str(case),
        )

    try:
        with seat.acting() if seat else nullcontext():
            filed = _run(run, passthrough=(preparation.NotReady,))
    except preparation.NotReady as err:
        if format is Format.json:
            _dump(err.report.as_dict())
        typer.echo(
            f"cocflow: {err}; nothing was written.\n" + _findings_text(err.report, markup=False),
            err=True,
        )
        raise typer.Exit(2) from None
    result = filed.result
    case_id = filed.case_id
    if seat is not None and case_id is not None and filed.entry is not None:
        seat.audit(Action.REQUEST_PREPARE, case_id, "request")
    if filed.entry is not None:
        typer.echo(f"Recorded as entry {filed.entry.seq} of case {case_id}.", err=True)
    if format is Format.json:
        _dump(
            {
                "files": [str(p) for p in filed.files],
                "channel": result.channel.as_dict(),
                "file_by": result.packet.file_by.isoformat() if result.packet.file_by else None,
                **result.report.as_dict(),
            }
        )
        return
    advice = result.channel
    lines = [f"Wrote {len(filed.files)} files to {out}:"]
    lines += [f"  {p.name}" for p in filed.files]
    lines.append(
        f"Channel: {advice.channel} (recommended {advice.recommended}; allowed: "
        f"{', '.join(advice.allowed)})"
        + ("; VERIFY BEFORE FILING: the sources disagree" if advice.verify else "")
    )
    lines += [f"  - {text}" for text, _ in advice.notes]
    lines.append(result.packet.timing_note or "")
    lines.append("The files hold the full SSN: keep them private (they are readable by you only).")
    stored = case_id[:8] if case_id else "ID"
    lines.append(
        f"Next: send it, then record it: cocflow proof add {stored} CONFIRMATION.pdf --kind "
        f"submission --channel {advice.channel}"
        + (" --control-number NUMBER" if advice.channel == "online" else "")
        + ("" if case_id else "   (store the case first: cocflow case new CASE_FILE)")
    )
    typer.echo("\n".join(lines))


def agreements(
    country: Annotated[
        str | None, typer.Argument(help="An agreement id (DE, CA-QC) or a country name.")
    ] = None,
    format: FormatOpt = Format.text,
) -> None:
    """List the agreements, or show one with every value's source.

    Example: cocflow agreements DE
    """
    from cocflow.cli import render
    from cocflow.io.settings import Settings
    from cocflow.services import screening as services

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


def _ask_address() -> Any:
    """An address, part by part, until it is valid."""
    from cocflow.interview import questions as interview

    while True:
        parts = {
            name: typer.prompt(f"  {label}", default="", show_default=False, err=True)
            for name, label, _ in interview.ADDRESS_PARTS
        }
        try:
            return interview.parse_address(parts)
        except ValueError as exc:
            typer.echo(f"  {clip(str(exc))}. Try again.", err=True)
