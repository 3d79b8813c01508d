"""The benchmarks still run (at a tiny size): a refactor must not leave them broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("screen_bench.py", ["--rows", "300"]),
        ("trips_bench.py", ["--rows", "300"]),
        ("vault_bench.py", ["--size", str(256 * 1024)]),
        ("team_bench.py", ["--rows", "60", "--requests", "20"]),
        ("rescreen_bench.py", ["--cases", "1200", "--range-size", "300"]),
    ],
)
def test_benchmark_runs(script: str, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
