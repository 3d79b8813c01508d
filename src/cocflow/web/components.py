"""What the page macros take: typed values a route builds and a template shows.

``templates/macros/forms.html`` shows :class:`Question` and :class:`FieldError`;
``templates/macros/lists.html`` shows :class:`TaskSection` and :class:`SummaryRow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "Choice",
    "FieldError",
    "Question",
    "SummaryRow",
    "Task",
    "TaskSection",
    "TaskStatus",
]


class TaskStatus(StrEnum):
    """Where a task stands, in words that say what is true of it."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    NEEDS_INFORMATION = "needs_information"
    DONE = "done"
    CANNOT_START_YET = "cannot_start_yet"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    TaskStatus.NOT_STARTED: "Not started",
    TaskStatus.IN_PROGRESS: "In progress",
    TaskStatus.NEEDS_INFORMATION: "Needs information",
    TaskStatus.DONE: "Done",
    TaskStatus.CANNOT_START_YET: "Cannot start yet",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer of a radios question."""

    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One question on its own page. ``id`` is the input's id (the first radio's, for radios),
    which error summaries link to; ``why`` is the always-visible "Why we ask" text."""

    id: str
    label: str
    name: str = ""
    kind: Literal["text", "radios", "textarea"] = "text"
    hint: str = ""
    why: str = ""
    value: str = ""
    error: str = ""
    choices: tuple[Choice, ...] = ()
    autocomplete: str = "off"
    width: Literal["", "short", "medium"] = ""

    @property
    def field_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class FieldError:
    """An error for the error summary: the message and the id of the field it links to."""

    field_id: str
    message: str


@dataclass(frozen=True, slots=True)
class Task:
    """A task of a task list. ``href`` is left out (None) when the task cannot be opened."""

    name: str
    status: TaskStatus
    href: str | None = None
    hint: str = ""

    @property
    def opens(self) -> bool:
        return self.href is not None and self.status is not TaskStatus.CANNOT_START_YET


@dataclass(frozen=True, slots=True)
class TaskSection:
    title: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """A row of "check your answers". ``change_label`` names what the Change link changes
    (default: the key), so that the link reads "Change date of birth"."""

    key: str
    value: str
    change_href: str | None = None
    change_label: str = ""

    @property
    def changes(self) -> str:
        return self.change_label or self.key
