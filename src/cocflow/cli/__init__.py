"""The command line: parse arguments, call a service, format the result.

``cocflow screen CASE [--as-of DATE] [--format text|json]`` takes a short path: the arguments
are read here and the screening service is called without building the command table (typer,
click and every other command's modules are not imported). Anything else, and any screening
that does not end in a decision (an error, a bad argument, ``--help``), goes to the command
table, which parses and reports it as it always has; screening a case file has no side effect
but the rules bundle (:mod:`cocflow.rules.bundle`), so running it there again is harmless.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from cocflow.cli.app import app as app
    from cocflow.screening.decision import Decision

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    if _screen_quickly(sys.argv[1:]):
        return
    from cocflow.cli.app import main as run_app

    run_app()


def show_decision(
    decision: Decision, case: Path, as_json: bool, echo: Callable[[str], Any]
) -> None:
    """Print a decision as ``cocflow screen`` does: JSON, or text and the next step."""
    from cocflow.cli.common import _dump, _next_after_screening, _print

    if as_json:
        _dump(decision.as_dict())
        return
    import shutil

    from cocflow.cli.render import decision_text

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    _print(decision_text(decision, markup=sys.stdout.isatty(), width=width))
    echo("\n" + _next_after_screening(decision.outcome, case))


def _screen_arguments(argv: Sequence[str]) -> tuple[str, str | None, str] | None:
    """``(case, as_of, format)`` of a plain ``[--debug] screen CASE [--as-of D] [--format F]``,
    else None (the command table handles it)."""
    args = list(argv)
    if args[:1] == ["--debug"]:
        args = args[1:]
    if args[:1] != ["screen"]:
        return None
    case: str | None = None
    options: dict[str, str] = {}
    rest = args[1:]
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        if name in ("--as-of", "--format"):
            if not equals:
                if not rest:
                    return None
                value = rest.pop(0)
            if name in options:
                return None
            options[name] = value
        elif word.startswith("-") or case is not None:
            return None
        else:
            case = word
    form = options.get("--format", "text")
    if case is None or not case or form not in ("text", "json"):
        return None
    return case, options.get("--as-of"), form


def _screen_quickly(argv: Sequence[str]) -> bool:
    """Screen a case file without the command table; False when it is not that simple."""
    parsed = _screen_arguments(argv)
    if parsed is None:
        return False
    from datetime import date
    from pathlib import Path

    from cocflow.io.casefile import read_case
    from cocflow.io.settings import Settings
    from cocflow.isodate import parse_iso_date
    from cocflow.services import screening as services

    where, as_of, form = parsed
    case = Path(where)
    try:
        day = date.today() if as_of is None else parse_iso_date(as_of)
        settings = Settings.from_env()
        facts = read_case(case)
        rules = services.rules_for(settings)
        decision = services.screen_case(
            facts, day, rules, settings.processing_days, source=str(case)
        )
    except Exception:  # said in the command table's words (and exit status)
        return False
    try:
        show_decision(decision, case, form == "json", _echo)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (| head): as the command table does
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    return True


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")


class _Package(types.ModuleType):
    """``cocflow.cli.app`` is the command table (a typer app), as it always was here, even
    though the table is built only when a command needs it."""

    @property
    def app(self) -> Any:
        replaced = self.__dict__.get("_app")
        if replaced is not None:
            return replaced
        from cocflow.cli.app import app

        return app

    @app.setter
    def app(self, value: Any) -> None:
        # The import system names the submodule cocflow.cli.app here once it is loaded: the
        # name stays the table's. Anything else (a test's stand-in) replaces the table.
        if not isinstance(value, types.ModuleType):
            self.__dict__["_app"] = value


sys.modules[__name__].__class__ = _Package
