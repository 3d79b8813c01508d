"""The web benchmark still runs (at a tiny size): a change to the app must not leave it broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web_bench.py"


def test_the_web_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "40", "--concurrency", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[2:6]] == ["bare", "cocflow", "cocflow", "cocflow"]
    assert lines[2].endswith("100%") and lines[5].startswith("cocflow case page")
    assert lines[6].startswith("Case page: ") and "goal 40% or more" in lines[6]
    pages = int(lines[7].split(": ")[1].split()[0])
    assert 1 <= pages <= 8  # the pages a person answers before the first answer
