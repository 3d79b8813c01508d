"""Certificates that together cover a stay: the days none covers, checked day by day."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from cocflow.tracking.certificates import Certificate, uncovered

BASE = date(2027, 1, 1)
offsets = st.integers(0, 120)


def cert(country: str, start: int, length: int | None, entry: int = 1) -> Certificate:
    end = None if length is None else BASE + timedelta(start + length)
    return Certificate(country, BASE + timedelta(start), end, entry, None)


def test_an_extension_adds_its_days_to_the_first_certificate() -> None:
    first = Certificate("PT", date(2027, 3, 1), date(2027, 12, 31), 5, "0042")
    second = Certificate("PT", date(2028, 1, 1), date(2028, 6, 30), 9, None)
    assert uncovered([first], "PT", date(2027, 3, 1), date(2028, 6, 30)) == [
        (date(2028, 1, 1), date(2028, 6, 30))
    ]
    assert uncovered([first, second], "PT", date(2027, 3, 1), date(2028, 6, 30)) == []
    assert uncovered([first, second], "ES", date(2027, 3, 1), date(2027, 4, 1)) == [
        (date(2027, 3, 1), date(2027, 4, 1))
    ]


def test_a_missing_day_between_two_certificates_is_found() -> None:
    first = Certificate("PT", date(2027, 1, 1), date(2027, 6, 29), 1, None)
    second = Certificate("PT", date(2027, 7, 1), None, 2, None)
    assert uncovered([second, first], "PT", date(2027, 1, 1), None) == [
        (date(2027, 6, 30), date(2027, 6, 30))
    ]


@given(
    st.lists(st.tuples(offsets, st.none() | st.integers(0, 60)), max_size=5),
    offsets,
    st.none() | st.integers(0, 150),
)
def test_uncovered_matches_a_day_by_day_count(
    periods: list[tuple[int, int | None]], start: int, length: int | None
) -> None:
    certs = [cert("PT", s, n, i) for i, (s, n) in enumerate(periods)] + [cert("ES", 0, 400)]
    first = BASE + timedelta(start)
    last = None if length is None else first + timedelta(length)
    horizon = BASE + timedelta(400)  # beyond every finite certificate

    def covered(day: date) -> bool:
        return any(
            c.country == "PT" and c.start is not None and c.start <= day
            and (c.end is None or day <= c.end)
            for c in certs
        )  # fmt: skip

    expected = [d for d in _days(first, last or horizon) if not covered(d)]
    gaps = uncovered(certs, "PT", first, last)
    found = [d for a, b in gaps for d in _days(a, b or horizon)]
    assert found == expected
    for (_, a_end), (b_start, _) in pairwise(gaps):
        assert a_end is not None and b_start > a_end + timedelta(1)  # gaps are separate


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]
