"""A worker for the tests: screens each case slowly (``SLOW_SECONDS`` per case), so a test can
kill it with SIGKILL in the middle of a range. Run as a process:
python tests/rescreen/slow_worker.py SECONDS (the store from the environment)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cocflow.io.settings import Settings
from cocflow.services import queue, rescreen


def main() -> None:
    pause = float(sys.argv[1])
    judge = rescreen.judge

    def slow(work):  # type: ignore[no-untyped-def]
        inner = judge(work)

        def judged(summary, secret):  # type: ignore[no-untyped-def]
            time.sleep(pause)
            return inner(summary, secret)

        return judged

    rescreen.judge = slow  # type: ignore[assignment]
    queue.run_worker(Settings.from_env(), heartbeat=0.5, stalled=2.0)


if __name__ == "__main__":
    main()
