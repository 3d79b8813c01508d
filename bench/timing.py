"""What the benchmarks share: the best of several timed runs, threads started together and
timed until the last ends, and the median and 99th percentile of latencies."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The shortest of ``runs`` timings of ``action``, in seconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def run_together(threads: Sequence[threading.Thread]) -> float:
    """Start every thread, wait for all of them: the seconds it took."""
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def median_and_p99_ms(latencies: Sequence[float]) -> tuple[float, float]:
    """The median and the 99th percentile of latencies in seconds, in milliseconds."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000
