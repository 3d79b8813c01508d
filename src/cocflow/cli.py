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
    """Write the request documents, once 'cocflow check' finds no error."""
    from cocflow import services
    from cocflow.settings import Settings

    day = _as_of(as_of)
    settings = _run(Settings.from_env)
    work = _casework(ctx) if case_id else None
    if work is not None and case_id is not None:
        _run(lambda: work.store.get_case(case_id))

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
    if work is not None and case_id is not None:
        prepared = result.packet
        payload = {
            "ready": True,
            "channel": result.channel.channel,
            "request_json_sha256": result.hashes["request.json"],
            "letter_sha256": result.hashes["request-letter.pdf"],
            "file_by": prepared.file_by.isoformat() if prepared.file_by else None,
            "period_start": prepared.period_start.isoformat(),
            "period_end": prepared.period_end.isoformat() if prepared.period_end else None,
        }
        entry = _run(lambda: work.record(case_id, "request_prepared", payload))
        typer.echo(f"Recorded as entry {entry.seq} of case {case_id}.", err=True)
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
    from cocflow import services
    from cocflow.casework import open_casework
    from cocflow.settings import Settings

    def run() -> Any:
        settings = Settings.from_env()
        return open_casework(settings, services.rules_for(settings))

    work = _run(run)
    ctx.call_on_close(work.close)
    return work


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    case_file: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Store a case and its screening decision; prints the new case id."""
    day = _as_of(as_of)
    work = _casework(ctx)
    case_id, decision = _run(lambda: work.new_case(case_file, day))
    if format is Format.json:
        _dump({"id": case_id, "outcome": decision.outcome})
    else:
        typer.echo(f"Case {case_id} stored; screening says {decision.outcome}.")


@case_app.command("list")
def case_list(ctx: typer.Context, format: FormatOpt = Format.text) -> None:
    """List the stored cases."""
    work = _casework(ctx)
    cases = _run(work.cases)
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
    """Show a stored case (SSN masked, date of birth hidden)."""
    work = _casework(ctx)
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
    """Replace a case's facts, record what changed, and screen it again."""
    day = _as_of(as_of)
    work = _casework(ctx)
    changed, decision = _run(lambda: work.update_case(case_id, case_file, day))
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
    file: Annotated[Path | None, typer.Argument(help="PDF, PNG, JPEG, EML or TXT.")] = None,
    kind: Annotated[KindOpt, typer.Option("--kind", help="What the record is.")] = KindOpt.other,
    channel: Annotated[str | None, typer.Option(help="online, mail, fax, e-mail, hand...")] = None,
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
    """Add a record (and its file) to a case's proof file."""
    for label, value in (
        ("--date", on),
        ("--period-start", period_start),
        ("--period-end", period_end),
    ):
        if value is not None:
            _as_of(value) if label == "--date" else _date_option(label, value)
    work = _casework(ctx)
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


def _date_option(label: str, value: str) -> None:
    from cocflow.isodate import parse_iso_date

    try:
        parse_iso_date(value)
    except ValueError as exc:
        _fail_input(InputError([Problem(label, "BAD_DATE", f"{exc}.", "write YYYY-MM-DD.")]))


@proof_app.command("list")
def proof_list(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """List a case's proof file entries."""
    work = _casework(ctx)
    entries = _run(lambda: work.entries(case_id))
    if format is Format.json:
        _dump(
            [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "at": e.at,
                    "payload": json.loads(e.payload),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ]
        )
        return
    for e in entries:
        typer.echo(f"{e.seq:>3}  {e.at[:19]}  {e.kind:<22} {e.payload}")


@proof_app.command("verify")
def proof_verify(
    ctx: typer.Context, case_id: Annotated[str, typer.Argument(help="The case id.")]
) -> None:
    """Check the chain and every stored file; exit 1 naming the first bad entry."""
    work = _casework(ctx)
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
    """Write the proof bundle: SHA256SUMS, manifest, chain, files and a readable timeline."""
    work = _casework(ctx)
    path = _run(lambda: work.export(case_id, out))
    typer.echo(f"Wrote {path}; check it with: unzip, then sha256sum -c SHA256SUMS.")


@app.command()
def status(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """The four checkpoints, in order, and whether you may rely on the exemption."""
    work = _casework(ctx)
    points = _run(lambda: work.checkpoints(case_id))
    guidance = _run(lambda: work.guidance(case_id))
    rely = all(p.done for p in points)
    if format is Format.json:
        _dump(
            {
                "checkpoints": [
                    {"name": p.name, "done": p.done, "evidence": p.evidence} for p in points
                ],
                "rely": rely,
                "guidance": guidance,
            }
        )
        return
    for n, p in enumerate(points, 1):
        typer.echo(f"{n}. [{'x' if p.done else ' '}] {p.name}: {p.evidence}")
    if guidance:
        typer.echo("Delivery:")
        for line in guidance:
            typer.echo(f"  - {line}")
    typer.echo(f"Rely on the exemption: {'yes' if rely else 'not yet'}")


def main() -> None:
    """Console entry point."""
    app()
