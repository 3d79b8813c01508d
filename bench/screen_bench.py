"""Screening speed, measured against baselines taken in the same run.

1. Batch: a synthetic 100,000-engagement roster is screened in-process (read, validate, group,
   screen every client, go_if included) and compared with the time Python's csv module takes
   merely to read the same file. Goal: screening at 25% or more of the read rate. The time is
   also split by stage (read and check, group into cases, screen).
2. Cold start: `cocflow screen` on one example case against `python -c pass`. Goal: 4x or less.
   Also shown: the first run (rules validated, bundle written; later runs load the bundle) and,
   as the floor under `cocflow screen`, reading the case file alone (pydantic, PyYAML,
   pycountry: the case-file parser's own start).

Run: make bench   (or .venv/bin/python bench/screen_bench.py [--rows N] [--runs N])
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cocflow.rules.loader import load_rules
from cocflow.services.batch import ROSTER_COLUMNS, _read_roster, parse_roster, screen_roster

ROOT = Path(__file__).resolve().parent.parent
AGREEMENT = ["GB", "DE", "FR", "PT", "ES", "IT", "JP", "CA", "NL", "AU", "KR", "CH", "PL", "BR"]
OTHER = ["TH", "MX", "ID", "AE", "SG", "AR", "US"]


def build_roster(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_COLUMNS)
        written, client = 0, 0
        while written < rows:
            client += 1
            kind = rnd.choice(["self_employed", "self_employed", "employee"])
            shared = {
                "citizenship": rnd.choice(["US", "US", "US;IT", "GB"]),
                "employer_name": "Acme Inc." if kind == "employee" else "",
                "employer_country": rnd.choice(["US", "US", "DE"]) if kind == "employee" else "",
                "employer_hired": "2018-03-01" if kind == "employee" else "",
                "business_operating_since": "2017-05-01" if kind != "employee" else "",
                "statements": "private_health_insurance=yes",
            }
            start = date(2027, 1, 1) + timedelta(days=rnd.randrange(0, 900))
            for _ in range(min(rnd.choice([1, 1, 2, 3]), rows - written)):
                country = rnd.choice(AGREEMENT if rnd.random() < 0.85 else OTHER)
                end = start + timedelta(days=rnd.randrange(30, 2400))
                row = {
                    "client_id": f"C{client:06d}",
                    "kind": kind,
                    "country": country,
                    "start": start.isoformat(),
                    "end": "" if rnd.random() < 0.05 else end.isoformat(),
                    "residence_country": rnd.choice(["US", "US", "US", country]),
                    "client_name": "Client Ltd",
                    "client_country": rnd.choice(["MX", "US", country]),
                    "description": "Interface design for payment apps",
                    **shared,
                }
                writer.writerow([row.get(c, "") for c in ROSTER_COLUMNS])
                written += 1
                start = end + timedelta(days=rnd.randrange(1, 400))


def best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def batch(rows: int, runs: int) -> None:
    rules = load_rules()
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        build_roster(roster, rows)

        def read_only() -> None:
            with roster.open(newline="", encoding="utf-8") as handle:
                for _ in csv.reader(handle):
                    pass

        def screen_all() -> None:
            began = time.perf_counter()
            header, data, bad = _read_roster(roster)
            read_at = time.perf_counter()
            cases, errors, _ = parse_roster(data, header, bad)
            assert not errors
            parsed_at = time.perf_counter()
            for _ in screen_roster(cases, rules, date(2026, 11, 25)):
                pass
            total = time.perf_counter() - began
            if total < stages.get("total", float("inf")):
                stages.update(
                    total=total,
                    read=read_at - began,
                    parse=parsed_at - read_at,
                    screen=total - (parsed_at - began),
                    clients=len(cases),
                )

        read = best_of(3, read_only)
        screened = best_of(runs, screen_all)
    print(f"roster: {rows:,} engagements")
    print(f"  csv module read only:   {read:8.3f} s  ({rows / read:,.0f} rows/s)")
    print(f"  cocflow screen in-proc: {screened:8.3f} s  ({rows / screened:,.0f} rows/s)")
    print(f"  screening rate / read rate: {read / screened:.1%}  (goal: >= 25%)")
    print(
        f"  of which: read and check {stages['read']:.3f} s, group into "
        f"{stages['clients']:,.0f} cases {stages['parse']:.3f} s, screen "
        f"{stages['screen']:.3f} s ({stages['screen'] / stages['clients'] * 1e6:.0f} us a client)"
    )


def cold_start(runs: int = 15) -> None:
    exe = Path(sys.executable).with_name("cocflow")
    case = ROOT / "examples" / "uk-consultant-mexican-client.yaml"
    screen = [str(exe), "screen", str(case), "--as-of", "2026-11-25", "--format", "json"]
    floor = [
        sys.executable,
        "-c",
        f"from pathlib import Path; from cocflow.io.casefile import read_case; "
        f"read_case(Path({str(case)!r}))",
    ]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}  # a cache of its own: a true first run

        def once(cmd: list[str]) -> float:
            began = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
            return time.perf_counter() - began

        first = once(screen)  # validates the rules and writes the bundle
        samples: dict[str, list[float]] = {"base": [], "ours": [], "floor": []}
        for _ in range(runs):  # interleaved: the machine's load falls on all three alike
            samples["base"].append(once([sys.executable, "-c", "pass"]))
            samples["ours"].append(once(screen))
            samples["floor"].append(once(floor))
    base, ours, case_only = (statistics.median(samples[k]) for k in ("base", "ours", "floor"))
    print(f"cold start (median of {runs}):")
    print(f"  python -c pass:  {base * 1000:7.1f} ms")
    print(f"  cocflow screen:  {ours * 1000:7.1f} ms")
    print(f"  ratio: {ours / base:.1f}x  (goal: <= 4x)")
    print(
        f"  first run (rules validated, bundle written): {first * 1000:.1f} ms; reading the "
        f"case file alone: {case_only * 1000:.1f} ms ({case_only / base:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="batch runs (the best is shown)")
    args = parser.parse_args()
    batch(args.rows, args.runs)
    cold_start()


if __name__ == "__main__":
    main()
