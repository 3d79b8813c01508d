"""Coverage-guided fuzzing of one cocflow parser with atheris (libFuzzer).

    .venv/bin/python fuzz/run.py TARGET [--collect] [libFuzzer options...]

TARGET is one of the names in fuzz/targets.py (case_yaml, case_json, roster, trips_csv,
trips_ics, rules). The seeds are fuzz/corpus/TARGET/ (read, never written); inputs libFuzzer
finds interesting go to fuzz/work/TARGET/corpus/ and crash files to fuzz/work/TARGET/ (both
ignored by git). Unless given, -timeout=2 (a hang is a finding), -rss_limit_mb=4096 and the
dictionary fuzz/dicts/TARGET.dict are added.

Without --collect the run stops at the first finding, as libFuzzer does. With --collect it goes
on: every exception outside targets.ALLOWED and every input slower than targets.HANG_SECONDS is
recorded once per signature (exception type and the innermost cocflow frame), its input saved
to fuzz/work/TARGET/findings/ (listed in findings/summary.txt) and its traceback printed.
"""

from __future__ import annotations

import hashlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import atheris  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
MAX_SLOW = 5  # slow inputs kept per --collect run (they rarely share a signature)
sys.path.insert(0, str(HERE))

with atheris.instrument_imports(include=["cocflow", "yaml", "icalendar", "targets"]):
    # icalendar is imported lazily by cocflow.tracking.trips: import it here, instrumented.
    import icalendar  # noqa: F401
    import targets
    import yaml  # noqa: F401


def signature(exc: BaseException) -> tuple[str, str]:
    """(exception type, file:line in function of its innermost cocflow frame)."""
    frame = targets.innermost_frame(exc)
    where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" if frame else "?"
    return type(exc).__name__, where


class Collector:
    """Records each distinct finding once and lets the run go on."""

    def __init__(self, target: Callable[[bytes], None], findings: Path) -> None:
        self.target = target
        self.findings = findings
        self.seen: dict[tuple[str, str], Path] = {}
        self.slow = 0

    def record(self, key: tuple[str, str], data: bytes, detail: str) -> None:
        if key in self.seen:
            return
        self.findings.mkdir(parents=True, exist_ok=True)
        path = self.findings / f"{hashlib.sha1(data).hexdigest()[:12]}.bin"
        path.write_bytes(data)
        self.seen[key] = path
        line = f"{key[0]} at {key[1]}: {path}"
        with (self.findings / "summary.txt").open("a", encoding="utf-8") as summary:
            summary.write(line + "\n")
        print(f"\n=== NEW FINDING {line}\n{detail}", file=sys.stderr, flush=True)

    def __call__(self, data: bytes) -> None:
        start = time.perf_counter()
        try:
            self.target(data)
        except targets.ALLOWED:
            pass
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc))[-3000:]
            self.record(signature(exc), data, detail)
        elapsed = time.perf_counter() - start
        if elapsed > targets.HANG_SECONDS and self.slow < MAX_SLOW:
            self.slow += 1
            where = f"input #{self.slow} took {elapsed:.1f}s ({len(data)} bytes)"
            self.record(("Slow", where), data, where)


def libfuzzer_argv(name: str, args: list[str], collect: bool) -> list[str]:
    """libFuzzer's arguments: the given ones, the defaults not given, the corpus dirs."""
    work = HERE / "work" / name
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    options = [a for a in args if a.startswith("-")]
    given = {a.split("=", 1)[0] for a in options}
    defaults = {
        # Collecting measures the time itself and goes on; a real hang still stops at 30 s.
        "-timeout": "30" if collect else "2",
        "-rss_limit_mb": "4096",
        "-artifact_prefix": f"{work}/",
        "-print_final_stats": "1",
    }
    dictionary = HERE / "dicts" / f"{name}.dict"
    if dictionary.is_file():
        defaults["-dict"] = str(dictionary)
    options += [f"{k}={v}" for k, v in defaults.items() if k not in given]
    dirs = [a for a in args if not a.startswith("-")]
    if not dirs and "-merge" not in given:
        # New inputs go to the first directory: the seeds in the repository stay as they are.
        dirs = [str(work / "corpus"), str(HERE / "corpus" / name)]
    return [sys.argv[0], *options, *dirs]


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0] not in targets.TARGETS:
        names = ", ".join(targets.TARGETS)
        sys.exit(f"usage: run.py TARGET [--collect] [libFuzzer options]; TARGET: {names}")
    name, args = args[0], args[1:]
    collect = "--collect" in args
    args = [a for a in args if a != "--collect"]
    target = targets.TARGETS[name]
    one_input = Collector(target, HERE / "work" / name / "findings") if collect else target
    atheris.Setup(libfuzzer_argv(name, args, collect), one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
