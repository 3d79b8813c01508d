"""Rule books to compare, loaded as ``COCFLOW_RULES_DIR`` is (a folder, or the shipped data):
what is wrong with a folder is said as bad input. The comparing itself is
:mod:`cocflow.rules.diff`."""

from __future__ import annotations

from pathlib import Path

from cocflow.errors import InputError, Problem, RulesError, clip
from cocflow.io.settings import Settings
from cocflow.rules.diff import (
    SHIPPED,
    AgreementInfo,
    BookInfo,
    Change,
    Kind,
    RulesDiff,
    Side,
    Sourcing,
    StaleValue,
    diff_rules,
    sourced_values,
    stale,
)
from cocflow.rules.loader import (
    NETWORK_FILE,
    PROCESS_FILE,
    RuleBook,
    default_rules_dir,
    load_rules,
)
from cocflow.services.screening import rules_for

__all__ = [
    "SHIPPED",
    "AgreementInfo",
    "BookInfo",
    "Change",
    "Kind",
    "RulesDiff",
    "Side",
    "Sourcing",
    "StaleValue",
    "current_rules",
    "diff_rules",
    "load_book",
    "sourced_values",
    "stale",
]


# -- Loading ----------------------------------------------------------------------------------


def load_book(where: str, role: str = "FOLDER", instead: str | None = None) -> RuleBook:
    """The rule book in the folder ``where`` (or the shipped data for the word ``shipped``),
    validated as ``COCFLOW_RULES_DIR`` is. A folder that is missing or whose data is invalid
    is an :class:`InputError` naming ``role`` (the argument), the file and the key; broken
    shipped data stays a :class:`RulesError` (a packaging mistake, not the user's input)."""
    if where == SHIPPED:
        return load_rules()
    instead = instead or f"or the word '{SHIPPED}' for the data shipped with cocflow"
    folder = Path(where)
    source = clip(str(folder))
    start = f"give a folder of rules data (a copy of {default_rules_dir()}), {instead}."

    def refuse(path: str, code: str, message: str, fix: str = start) -> InputError:
        return InputError([Problem(path, code, message, fix)], source)

    try:
        if not folder.exists():
            raise refuse(role, "NO_FOLDER", "there is no such folder.")
        if not folder.is_dir():
            raise refuse(role, "NOT_A_FOLDER", "this is a file, not a folder.")
        for required in (NETWORK_FILE, PROCESS_FILE):
            if not (folder / required).is_file():
                raise refuse(
                    required,
                    "NOT_RULES",
                    f"missing: the folder has no {required}, so it does not hold rules data.",
                )
        return load_rules(folder)
    except RulesError as err:
        raise refuse(
            f"{err.file}: {err.key}",
            "BAD_RULES",
            err.detail,
            f"correct '{err.key}' in {err.file} (the keys and what they take: docs/rules.md), "
            f"then run the command again.",
        ) from None
    except OSError as err:
        raise refuse(
            role,
            "UNREADABLE",
            f"the folder cannot be read ({err.strerror or type(err).__name__}).",
            "make the folder and its files readable by you, then run the command again.",
        ) from None


def current_rules(settings: Settings) -> RuleBook:
    """The rules in use, as :func:`~cocflow.services.screening.rules_for` gives them; a bad
    ``COCFLOW_RULES_DIR`` folder is an :class:`InputError` that says how to fix it."""
    if settings.rules_dir is None:
        return rules_for(settings)
    return load_book(
        str(settings.rules_dir),
        "COCFLOW_RULES_DIR",
        "or unset COCFLOW_RULES_DIR to use the shipped data",
    )


# -- Values and their sources -----------------------------------------------------------------
