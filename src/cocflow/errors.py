"""The application's errors.

Every error a user can cause is a :class:`CocflowError`. Input problems carry a list of
:class:`Problem` values (path, code, message, fix) so that the CLI, the batch screener and
any other client show them the same way.

    CocflowError
    ├── InputError        a case file, roster or argument is wrong (CLI exit status 2)
    └── RulesError        a rules data file is wrong (a packaging or editing mistake)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["CocflowError", "InputError", "Problem", "RulesError"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, named by its path (``engagements[1].end``)."""

    path: str
    code: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message, "fix": self.fix}

    def line(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message} Fix: {self.fix}"


class CocflowError(Exception):
    """Base class of every error cocflow raises on purpose."""


class InputError(CocflowError):
    """Something the user supplied cannot be used. ``source`` names the file, if any."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(p.line() for p in self.problems))


class RulesError(CocflowError):
    """A rules data file breaks the rules schema. ``file`` and ``key`` say where."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.detail = message
        super().__init__(f"{file}: {key}: {message}")
