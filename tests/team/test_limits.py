"""The sliding-window limit on open forms."""

from __future__ import annotations

from cocflow.web.team.limits import RateLimit


def test_attempts_over_the_limit_wait_for_the_window_to_slide() -> None:
    now = [0.0]
    limit = RateLimit(3, 60, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")  # another address has its own count
    now[0] = 59.9
    assert not limit.allow("a")
    now[0] = 60.0
    assert limit.allow("a")


def test_the_number_of_addresses_kept_is_bounded() -> None:
    limit = RateLimit(1, 60, clock=lambda: 0.0, max_keys=2)
    assert limit.allow("a") and limit.allow("b") and limit.allow("c")
    assert limit.allow("a")  # the oldest address was forgotten
