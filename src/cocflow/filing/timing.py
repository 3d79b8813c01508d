"""When to file: the planned start, less SSA's processing window, less a safety buffer.

SSA publishes no processing time, so the window is a setting whose default is an assumption;
every output that uses it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Timing", "file_by"]


@dataclass(frozen=True, slots=True)
class Timing:
    file_by: date
    started: bool  # the work has already begun: ask for coverage from the actual start
    note: str


def file_by(start: date, today: date, processing_days: int, buffer_days: int) -> Timing:
    """The date to file by for work starting on ``start``, as seen on ``today``."""
    deadline = start - timedelta(days=processing_days + buffer_days)
    assumption = (
        f"SSA publishes no processing time: this date assumes {processing_days} days "
        f"of processing (a setting) and a {buffer_days}-day buffer."
    )
    if today >= start:
        return Timing(
            deadline,
            True,
            f"The work began on {start}: file now and ask for "
            f"coverage from that date. {assumption}",
        )
    if today > deadline:
        return Timing(
            deadline,
            False,
            f"File now: the file-by date {deadline} has passed, and "
            f"the certificate may not arrive before the work starts on {start}. "
            f"{assumption}",
        )
    return Timing(
        deadline,
        False,
        f"File by {deadline} so the certificate can arrive before "
        f"the work starts on {start}. {assumption}",
    )
