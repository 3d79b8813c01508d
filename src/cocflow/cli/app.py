"""The ``cocflow`` command: a thin client of :mod:`cocflow.services.screening`.

Exit status: 0 a result was produced, 1 an internal error (or a rules data problem), 2 bad
input (a case file, a roster or an argument), with the field's path, the problem and the fix.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from cocflow.case import Case
from cocflow.errors import CocflowError, InputError, Problem, RulesError, clip

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
        database = _database_error(err)
        if database is not None:
            typer.echo(f"cocflow: {database}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"cocflow: internal error ({type(err).__name__}: {clip(str(err))}). Run again with "
            f"--debug for details, and report it.",
            err=True,
        )
        raise typer.Exit(1) from None


def _database_error(err: Exception) -> str | None:
    """A database failure in words, without the statement or its parameters (they can hold a
    person's name and address)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(err, SQLAlchemyError):
        return None
    cause = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    first = (str(cause).splitlines() or [type(cause).__name__])[0]
    first = first.split("[SQL:")[0].strip()
    return (
        f"the database refused the operation ({type(cause).__name__}: {clip(first, 200)}); "
        f"nothing was changed. Check that the database is reachable, writable and not full."
    )


def _read(path: Path) -> Case:
    """The case in the file at ``path`` (YAML or JSON), or the file's problems."""
    from cocflow.io.casefile import read_case

    return read_case(path)


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
    """Decide go / no_go / pause / not_needed for a case, with reasons and sources.

    Example: cocflow screen my-case.yaml --format json
    """
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
    if format is Format.json:
        _dump(decision.as_dict())
        return
    import shutil

    from cocflow.cli.render import decision_text

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    _print(decision_text(decision, markup=sys.stdout.isatty(), width=width))
    typer.echo("\n" + _next_after_screening(decision.outcome, case))


class WorkerKindOpt(StrEnum):
    self_employed = "self_employed"
    employee = "employee"


@app.command()
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
    typer.echo(f"Answer: {HEADLINES[decision.outcome][0]}. Next: cocflow screen {case_file}")


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
    while True:
        text = typer.prompt("Your answer", default="", show_default=False, err=True)
        try:
            return interview.parse_answer(question, text)
        except ValueError as exc:
            typer.echo(f"  {clip(str(exc))}. Try again.", err=True)


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


@app.command()
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


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _next_after_screening(outcome: str, case: Path, case_id: str | None = None) -> str:
    """The command to run next, as a person would type it."""
    if outcome == "go":
        stored = f" --case {case_id[:8]}" if case_id else ""
        return (
            f"Next: cocflow check {_quoted(case)}   (then: cocflow request {_quoted(case)} "
            f"--out filing/{stored})"
        )
    if outcome == "pause":
        return f"Next: add the missing facts to {case}, then: cocflow screen {_quoted(case)}"
    if case_id:
        return f"Next: cocflow status {case_id[:8]}"
    return f"Next: keep {case} with your records; screen again if the facts change."


class ChannelOpt(StrEnum):
    online = "online"
    mail = "mail"
    fax = "fax"


@app.command()
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
    work = _casework(ctx) if case_id else None

    def run() -> preparation.Filed:
        return preparation.request(
            _read(case),
            out,
            day,
            services.rules_for(settings),
            channel=channel.value if channel else None,
            processing_days=settings.processing_days,
            casework=work,
            case_id=case_id,
            source=str(case),
        )

    try:
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


@app.command()
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


case_app = typer.Typer(
    help="Store cases: the facts, the decision and the proof file.", no_args_is_help=True
)
proof_app = typer.Typer(
    help="The proof file: an append-only, hash-chained record of a case.", no_args_is_help=True
)
app.add_typer(case_app, name="case")
app.add_typer(proof_app, name="proof")


def _casework(ctx: typer.Context) -> Any:
    """The case store for this command, closed when the command ends."""
    from cocflow.io.settings import Settings
    from cocflow.services import screening as services
    from cocflow.services.cases import open_casework

    def run() -> Any:
        settings = Settings.from_env()
        return open_casework(settings, services.rules_for(settings))

    work = _run(run)
    ctx.call_on_close(work.close)
    if work.created_key is not None:
        typer.echo(
            f"cocflow: created a new key at {work.created_key}. It encrypts every SSN, date of "
            f"birth and document you store: losing it loses them. Back it up now: "
            f"cocflow key backup --out FILE",
            err=True,
        )
    return work


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    case_file: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Store a case and its screening decision; prints the new case id.

    Example: cocflow case new my-case.yaml
    """
    day = _as_of(as_of)
    work = _casework(ctx)
    case_id, decision = _run(lambda: work.new_case(_read(case_file), day))
    if format is Format.json:
        _dump({"id": case_id, "outcome": decision.outcome})
    else:
        typer.echo(f"Case {case_id} stored; screening says {decision.outcome}.")
        others = _run(lambda: work.same_person(case_id))
        if others:
            typer.echo(f"Note: the same SSN is on case(s) {', '.join(others)}.")
        typer.echo(_next_after_screening(decision.outcome, case_file, case_id))


def _read_ssn() -> str:
    """The SSN from a hidden prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        value = str(typer.prompt("SSN", hide_input=True, err=True))
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        _fail_input(
            InputError(
                [
                    Problem(
                        "--ssn",
                        "REQUIRED",
                        "no SSN was given.",
                        "type it at the prompt, or pipe it in: "
                        "printf '%s\\n' \"$SSN\" | cocflow case list --ssn",
                    )
                ]
            )
        )
    return value


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    by_ssn: Annotated[
        bool,
        typer.Option(
            "--ssn",
            help="Only the cases of one person: the SSN is asked for (hidden) or read from "
            "standard input, never taken on the command line, where other users and the shell "
            "history would see it.",
        ),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """List the stored cases (or those of one person, by SSN).

    Example: cocflow case list --ssn
    """
    work = _casework(ctx)
    cases = _run(work.cases)
    if by_ssn:
        ssn = _read_ssn()
        wanted = set(_run(lambda: work.store.find_by_ssn(ssn)))
        cases = [c for c in cases if c.id in wanted]
    if format is Format.json:
        _dump(
            [
                {
                    "id": c.id,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                    "outcome": c.outcome,
                    "title": c.title,
                }
                for c in cases
            ]
        )
        return
    for c in cases:
        typer.echo(f"{c.id}  {c.outcome:<10} {c.updated_at[:10]}  {c.title}")
    if not cases:
        typer.echo("No cases yet: 'cocflow case new CASE_FILE' stores one.")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """Show a stored case (SSN masked, date of birth hidden).

    Example: cocflow case show 1ab6
    """
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    shown = _run(lambda: work.show(case_id))
    if format is Format.json:
        _dump(shown)
        return
    typer.echo(
        f"Case {shown['id']}: {shown['title']}\nOutcome: {shown['outcome']} "
        f"(updated {shown['updated_at']})"
    )
    person = shown["facts"].get("person") or {}
    for key in ("full_legal_name", "ssn", "date_of_birth"):
        if key in person:
            typer.echo(f"  person.{key}: {person[key]}")


@case_app.command("update")
def case_update(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    case_file: Annotated[Path, typer.Argument(help="The corrected case file.")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Replace a case's facts, record what changed, and screen it again.

    Example: cocflow case update 1ab6 my-case.yaml
    """
    day = _as_of(as_of)
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    changed, decision = _run(lambda: work.update_case(case_id, _read(case_file), day))
    if format is Format.json:
        _dump({"id": case_id, "changed": changed, "outcome": decision.outcome})
        return
    typer.echo(
        f"Case {case_id}: {len(changed)} change(s)"
        + (f" ({', '.join(changed)})" if changed else "")
        + f"; screening says {decision.outcome}."
    )


class KindOpt(StrEnum):
    submission = "submission"
    approval = "approval"
    certificate = "certificate"
    delivery = "delivery"
    extension = "extension"
    other = "other"


@proof_app.command("add")
def proof_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    kind: Annotated[
        KindOpt,
        typer.Option("--kind", help="What the record is (required: a record's kind is permanent)."),
    ],
    file: Annotated[Path | None, typer.Argument(help="PDF, PNG, JPEG, EML or TXT.")] = None,
    channel: Annotated[str | None, typer.Option(help="online, mail, fax, email or hand.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="When it happened (YYYY-MM-DD).")] = None,
    control_number: Annotated[str | None, typer.Option(help="Online request's number.")] = None,
    tracking: Annotated[str | None, typer.Option(help="Mail tracking or fax confirmation.")] = None,
    to: Annotated[
        str | None, typer.Option(help="Delivered to: authority, payroll, client.")
    ] = None,
    period_start: Annotated[str | None, typer.Option(help="Certificate period start.")] = None,
    period_end: Annotated[str | None, typer.Option(help="Certificate period end.")] = None,
    country: Annotated[str | None, typer.Option(help="Certificate country (ISO code).")] = None,
    note: Annotated[str | None, typer.Option(help="A short note.")] = None,
) -> None:
    """Add a record (and its file) to a case's proof file.

    Example: cocflow proof add 1ab6 confirmation.pdf --kind submission --channel online
    --control-number A1B2C3 --date 2026-12-02
    """
    for label, value in (
        ("--date", on),
        ("--period-start", period_start),
        ("--period-end", period_end),
    ):
        if value is not None:
            _date_option(label, value)
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    details = {
        "channel": channel,
        "date": on,
        "control_number": control_number,
        "tracking": tracking,
        "to": to,
        "period_start": period_start,
        "period_end": period_end,
        "country": country,
        "note": note,
    }
    entry = _run(lambda: work.add(case_id, kind.value, file, details))
    typer.echo(f"Entry {entry.seq} ({entry.kind}) added to case {case_id}; hash {entry.hash}.")
    typer.echo(f"Next: cocflow status {case_id[:8]}")


def _date_option(label: str, value: str) -> date:
    from cocflow.isodate import parse_iso_date

    try:
        return parse_iso_date(value)
    except ValueError as exc:
        _fail_input(InputError([Problem(label, "BAD_DATE", f"{exc}.", "write YYYY-MM-DD.")]))


@proof_app.command("list")
def proof_list(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """List a case's proof file entries.

    Example: cocflow proof list 1ab6
    """
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    entries = _run(lambda: work.entries(case_id))
    if format is Format.json:
        _dump([e.as_dict() for e in entries])
        return
    from cocflow.proof.sentences import entry_sentence

    for e in entries:
        typer.echo(f"{e.seq:>3}. {e.at[:10]}  {entry_sentence(e.kind, json.loads(e.payload))}")


@proof_app.command("verify")
def proof_verify(
    ctx: typer.Context, case_id: Annotated[str, typer.Argument(help="The case id.")]
) -> None:
    """Check the chain and every stored file; exit 1 naming the first bad entry.

    Example: cocflow proof verify 1ab6
    """
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    broken = _run(lambda: work.verify(case_id))
    if broken:
        seq, why = broken
        typer.echo(f"BROKEN: entry {seq}: {why}.", err=True)
        raise typer.Exit(1)
    entries = work.entries(case_id)
    head = entries[-1].hash if entries else "-"
    typer.echo(f"OK: {len(entries)} entries and their files check out; head {head}.")


@proof_app.command("export")
def proof_export(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    out: Annotated[Path, typer.Option("--out", help="The zip file to write.")],
) -> None:
    """Write the proof bundle: SHA256SUMS, manifest, chain, files and a readable timeline.

    Example: cocflow proof export 1ab6 --out proof.zip
    """
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    path = _run(lambda: work.export(case_id, out))
    typer.echo(f"Wrote {path}; check it with: unzip, then sha256sum -c SHA256SUMS.")


@app.command()
def backup(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
) -> None:
    """Write the whole store (cases, proof files, documents, trips) to one encrypted file.

    Example: cocflow backup --out cocflow-2026-12.backup
    """
    from cocflow.store import backup as saving

    work = _casework(ctx)
    cases, documents = _run(lambda: saving.backup(work, out))
    typer.echo(
        f"Saved {cases} case(s) and {documents} document(s) to {out}, encrypted with the store's "
        f"key: keep a copy of the key apart from it, or the backup cannot be read."
    )


@app.command()
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A file written by 'cocflow backup'.")],
) -> None:
    """Restore a backup into an empty store, then verify every proof file.

    Example: COCFLOW_HOME=~/cocflow-restored cocflow restore cocflow-2026-12.backup
    """
    from cocflow.store import backup as saving

    work = _casework(ctx)
    results = _run(lambda: saving.restore(work, source))
    broken = [(case_id, problem) for case_id, problem in results if problem is not None]
    typer.echo(f"Restored {len(results)} case(s); {len(results) - len(broken)} verified.")
    for case_id, (seq, why) in broken:
        typer.echo(f"  case {case_id}: entry {seq}: {why}", err=True)
    if broken:
        raise typer.Exit(1)


@app.command()
def status(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """The four checkpoints, in order, and whether you may rely on the exemption.

    Example: cocflow status 1ab6
    """
    day = _as_of(as_of)
    work = _casework(ctx)
    case_id = _run(lambda: work.resolve(case_id))
    state = _run(lambda: work.status(case_id, day))
    if format is Format.json:
        _dump(state.as_dict())
        return
    for n, p in enumerate(state.checkpoints, 1):
        typer.echo(f"{n}. [{'x' if p.done else ' '}] {p.name}: {p.evidence}")
    if state.guidance:
        typer.echo("Delivery:")
        for line in state.guidance:
            typer.echo(f"  - {line}")
    typer.echo(f"Rely on the exemption: {'yes' if state.rely else 'not yet'}")
    if state.next_step:
        typer.echo(f"Next: {state.next_step}")


key_app = typer.Typer(
    help="Back up and restore the key that encrypts your data.", no_args_is_help=True
)
app.add_typer(key_app, name="key")


def _passphrase(confirm: bool) -> str:
    """A passphrase from a hidden prompt, or the first line of standard input."""
    if sys.stdin.isatty():
        return str(
            typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
        )
    return sys.stdin.readline().rstrip("\n")


@key_app.command("backup")
def key_backup(
    out: Annotated[Path, typer.Option("--out", help="Where to write the key backup.")],
) -> None:
    """Write the key, sealed with a passphrase, to a file you keep apart from the data.

    Example: cocflow key backup --out /media/usb/cocflow-key.json
    """
    from cocflow.io.atomic import atomic_write
    from cocflow.io.settings import Settings
    from cocflow.store.crypto import export_key, read_master

    settings = _run(Settings.from_env)
    master = _run(lambda: read_master(settings.key_path, settings.env_key))
    if out.exists():
        _fail_input(
            InputError(
                [Problem("--out", "FILE_EXISTS", f"{out} exists already.", "name a new file.")]
            )
        )
    passphrase = _passphrase(confirm=True)
    try:
        sealed = export_key(master, passphrase)
    except ValueError as exc:
        _fail_input(
            InputError([Problem("passphrase", "TOO_SHORT", f"{exc}.", "choose a longer one.")])
        )
    _run(lambda: atomic_write(out, sealed, 0o600))
    typer.echo(
        f"Wrote the key, sealed with your passphrase, to {out}. Keep both apart from the data."
    )


@key_app.command("restore")
def key_restore(
    source: Annotated[Path, typer.Argument(help="A file written by 'cocflow key backup'.")],
) -> None:
    """Put a backed-up key in place (the key file), after the passphrase opens it.

    Example: cocflow key restore /media/usb/cocflow-key.json
    """
    from cocflow.io.inputs import read_input_bytes
    from cocflow.io.settings import Settings
    from cocflow.store.crypto import DecryptError, import_key, install_key

    settings = _run(Settings.from_env)
    blob = _run(lambda: read_input_bytes(source, "the key backup", 64 * 1024))
    passphrase = _passphrase(confirm=False)
    try:
        master = import_key(blob, passphrase)
    except DecryptError as exc:
        _fail_input(
            InputError(
                [Problem("BACKUP", "NOT_OPENED", str(exc), "check the file and the passphrase.")]
            )
        )
    placed = _run(lambda: install_key(settings.key_path, master))
    where = settings.key_path
    typer.echo(
        f"Restored the key to {where}." if placed else f"The key at {where} is this key already."
    )


trips_app = typer.Typer(
    help="The travel and work log: where you were, when, and why.", no_args_is_help=True
)
app.add_typer(trips_app, name="trips")
CaseOpt = Annotated[
    str | None, typer.Option("--case", help="The case id (optional with one case).")
]


def _logbook(ctx: typer.Context) -> Any:
    from cocflow.services.tracking import Logbook

    return Logbook(_casework(ctx))


def _print_import(result: Any) -> None:
    from cocflow.countries import country_name

    typer.echo(f"Added {result.added} stay(s).")
    for a, b in result.overlaps:
        typer.echo(
            f"  FLAG overlap: {country_name(a.country)} {a.start}..{a.end} and "
            f"{country_name(b.country)} {b.start}..{b.end} share days."
        )
    for start, end in result.gaps:
        typer.echo(f"  FLAG gap: nothing logged from {start} to {end}.")


class PurposeOpt(StrEnum):
    work = "work"
    personal = "personal"
    transit = "transit"


@trips_app.command("add")
def trips_add(
    ctx: typer.Context,
    country: Annotated[str, typer.Argument(help="ISO code or English name.")],
    start: Annotated[str, typer.Argument(help="First day (YYYY-MM-DD).")],
    end: Annotated[str | None, typer.Argument(help="Last day (default: the first).")] = None,
    purpose: Annotated[PurposeOpt, typer.Option(help="Why you were there.")] = PurposeOpt.work,
    note: Annotated[str | None, typer.Option(help="A short note.")] = None,
    case: CaseOpt = None,
) -> None:
    """Log one stay.

    Example: cocflow trips add PT 2027-01-15 2027-01-31 --purpose work
    """
    from cocflow.countries import normalize_country
    from cocflow.tracking.trips import Trip

    first = _date_option("START", start)
    last = _date_option("END", end) if end else first
    try:
        code = normalize_country(country)
    except ValueError as exc:
        _fail_input(
            InputError(
                [Problem("COUNTRY", "BAD_COUNTRY", f"{exc}.", "use an ISO code such as PT.")]
            )
        )
    if last < first:
        _fail_input(
            InputError(
                [
                    Problem(
                        "END",
                        "DATES_OUT_OF_ORDER",
                        f"{last} is before {first}.",
                        "put the first day first.",
                    )
                ]
            )
        )
    book = _logbook(ctx)
    case_id = _run(lambda: book.resolve(case))
    result = _run(
        lambda: book.add(case_id, [Trip(code, first, last, purpose.value, note, "typed")])
    )
    _print_import(result)


@trips_app.command("import")
def trips_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (see docs/trips.md) or .ics file.")],
    case: CaseOpt = None,
) -> None:
    """Import stays from CSV or iCalendar: all or nothing, every bad row reported.

    Example: cocflow trips import calendar.ics
    """
    book = _logbook(ctx)
    case_id = _run(lambda: book.resolve(case))
    _print_import(_run(lambda: book.import_file(case_id, file)))


@trips_app.command("list")
def trips_list(ctx: typer.Context, case: CaseOpt = None, format: FormatOpt = Format.text) -> None:
    """List the logged stays.

    Example: cocflow trips list
    """
    book = _logbook(ctx)
    case_id = _run(lambda: book.resolve(case))
    trips = _run(lambda: book.trips(case_id))
    if format is Format.json:
        _dump(
            [
                {
                    "id": i,
                    "country": t.country,
                    "start": t.start.isoformat(),
                    "end": t.end.isoformat(),
                    "purpose": t.purpose,
                    "note": t.note,
                    "origin": t.origin,
                }
                for i, t in trips
            ]
        )
        return
    for i, t in trips:
        typer.echo(
            f"{i:>5}  {t.country}  {t.start}..{t.end}  {t.purpose:<8} {t.origin:<8} {t.note or ''}"
        )


@trips_app.command("remove")
def trips_remove(
    ctx: typer.Context,
    trip_id: Annotated[int, typer.Argument(help="Trip id.")],
    case: CaseOpt = None,
) -> None:
    """Remove one logged stay.

    Example: cocflow trips remove 7
    """
    book = _logbook(ctx)
    case_id = _run(lambda: book.resolve(case))
    _run(lambda: book.remove(case_id, trip_id))
    typer.echo(f"Removed trip {trip_id}.")


@trips_app.command("days")
def trips_days(
    ctx: typer.Context,
    year: Annotated[
        int,
        typer.Option(
            "--year", min=1900, max=2199, help="Calendar year (and UK tax year from 6 April)."
        ),
    ],
    case: CaseOpt = None,
    departure_counts: Annotated[bool, typer.Option(help="Count departure days as present.")] = True,
    arrival_counts: Annotated[bool, typer.Option(help="Count arrival days as present.")] = True,
    format: FormatOpt = Format.text,
) -> None:
    """Days present per country, in the calendar year and the UK tax year, work days apart.

    Example: cocflow trips days --year 2027
    """
    from cocflow.countries import country_name
    from cocflow.tracking.trips import Counting

    counting = Counting(arrival_counts=arrival_counts, departure_counts=departure_counts)
    book = _logbook(ctx)
    case_id = _run(lambda: book.resolve(case))
    tables = {
        kind: _run(partial(book.days, case_id, year, counting, kind)) for kind in ("calendar", "uk")
    }
    if format is Format.json:
        _dump(
            {
                "rule": counting.describe(),
                **{
                    k: {c: {"days": d.days, "work_days": d.work_days} for c, d in v.items()}
                    for k, v in tables.items()
                },
            }
        )
        return
    typer.echo(counting.describe())
    for kind, label in (
        ("calendar", f"Calendar year {year}"),
        ("uk", f"UK tax year {year}-{year + 1} (6 April to 5 April)"),
    ):
        typer.echo(label + ":")
        for code, count in sorted(tables[kind].items()):
            typer.echo(
                f"  {country_name(code)} ({code}): {count.days} days, {count.work_days} work days"
            )


@app.command()
def watch(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(help="One case (default: every case).")] = None,
    letters: Annotated[
        Path | None, typer.Option("--letters", help="Folder for draft letters.")
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Compare the log and the facts with the certificate on file; exit 1 if action is needed.

    Example: cocflow watch --letters drafts/
    """
    day = _as_of(as_of)
    book = _logbook(ctx)
    if case_id:
        case_id = _run(lambda: book.work.resolve(case_id))
        outcome: list[Any] = [_run(partial(book.watch, case_id, day, letters))]
    else:
        outcome = _run(partial(book.watch_all, [c.id for c in _run(book.work.cases)], day, letters))
    results = [r for r in outcome if not isinstance(r, tuple)]
    failed = [r for r in outcome if isinstance(r, tuple)]
    if format is Format.json:
        _dump(
            [
                {
                    "case": r.case_id,
                    "findings": [f.as_dict() for f in r.findings],
                    "letters": [str(p) for p in r.letters],
                }
                for r in results
            ]
            + [{"case": c, "error": e} for c, e in failed]
        )
    else:
        for r in results:
            typer.echo(
                f"Case {r.case_id}: "
                + ("nothing changed." if not r.findings else f"{len(r.findings)} finding(s).")
            )
            for f in r.findings:
                typer.echo(f"  {f.code}: {f.changed}\n    rule: {f.rule}\n    do: {f.action}")
            for p in r.letters:
                typer.echo(f"  draft letter: {p}")
                if p in r.not_ready:
                    typer.echo(
                        "    not counted as a request yet: the case has errors to fix first "
                        "(cocflow check CASE_FILE), then draft it again"
                    )
        for c, e in failed:
            typer.echo(f"Case {c}: could not be checked: {e}", err=True)
    if failed or any(f.needs_action for r in results for f in r.findings):
        raise typer.Exit(1)


@app.command()
def reminders(
    ctx: typer.Context,
    ics: Annotated[Path | None, typer.Option("--ics", help="Write an iCalendar file.")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Every dated obligation of every case; --ics writes a calendar feed with stable UIDs.

    Example: cocflow reminders --ics cocflow.ics
    """
    from cocflow.io.settings import Settings

    settings = _run(Settings.from_env)
    book = _logbook(ctx)
    days = settings.processing_days or book.work.rules.process.processing_days.value
    day = _as_of(as_of)
    items = _run(lambda: book.reminders(days, day))
    if ics is not None:
        from cocflow.io.atomic import atomic_write

        data = _run(lambda: book.ics(days, day))
        _run(lambda: atomic_write(ics, data, mode=0o644))
        typer.echo(f"Wrote {len(items)} reminder(s) to {ics}.")
        return
    if format is Format.json:
        _dump(
            [
                {
                    "case": r.obligation.case_id,
                    "kind": r.obligation.kind,
                    "due": r.obligation.due.isoformat(),
                    "on": r.on.isoformat(),
                    "title": r.obligation.title,
                    "detail": r.obligation.detail,
                    "moved": r.moved,
                    "overdue": r.obligation.due < day,
                }
                for r in items
            ]
        )
        return
    for r in items:
        moved = f" ({r.moved})" if r.moved else ""
        late = "OVERDUE " if r.obligation.due < day else ""
        typer.echo(
            f"{r.on}  {late}{r.obligation.title} [case {r.obligation.case_id[:8]}]: "
            f"{r.obligation.detail}{moved}"
        )
    if not items:
        typer.echo("No dated obligations.")


def main() -> None:
    """Console entry point."""
    app()
