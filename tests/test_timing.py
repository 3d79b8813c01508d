"""The file-by date: the start less the assumed processing window and a buffer."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cocflow.filing.timing import file_by


def test_file_by_before_the_window() -> None:
    t = file_by(date(2027, 3, 1), date(2026, 11, 25), 60, 14)
    assert t.file_by == date(2026, 12, 17)
    assert not t.started
    assert "assumes 60 days" in t.note and "File by 2026-12-17" in t.note


def test_late_but_not_started() -> None:
    t = file_by(date(2027, 1, 10), date(2026, 12, 20), 60, 14)
    assert t.note.startswith("File now: the file-by date 2026-10-28 has passed")


def test_started_asks_for_coverage_from_the_actual_start() -> None:
    t = file_by(date(2026, 10, 1), date(2026, 11, 25), 60, 14)
    assert t.started and "coverage from that date" in t.note


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(min_value=1, max_value=365),
    st.integers(min_value=0, max_value=60),
)
def test_file_by_is_exactly_window_plus_buffer_before_start(
    start: date, today: date, days: int, buffer: int
) -> None:
    t = file_by(start, today, days, buffer)
    assert start - t.file_by == timedelta(days=days + buffer)
    assert t.started == (today >= start)
    assert "SSA publishes no processing time" in t.note
