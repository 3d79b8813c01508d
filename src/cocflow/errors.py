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

__all__ = ["CocflowError", "InputError", "Problem", "RulesError", "clip"]


MAX_SHOWN = 300  # characters of a message or path: a value pasted by mistake is cut, not echoed


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out; control characters
    (terminal escape sequences among them) are shown as ``\\xNN`` so they never reach a terminal."""
    safe = "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)
    if len(safe) <= limit:
        return safe
    return f"{safe[:limit]}... ({len(safe) - limit:,} more characters)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, named by its path (``engagements[1].end``).

    Long or unprintable text in the path or the message (an echoed value) is clipped and
    escaped when the problem is made, so every face shows it safely."""

    path: str
    code: str
    message: str
    fix: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", clip(self.path, 120))
        object.__setattr__(self, "message", clip(self.message))

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
