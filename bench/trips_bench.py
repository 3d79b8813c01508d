"""Travel log speed, measured against Python's csv module reading the same file in the same run.

A synthetic log of --rows trips (default 20,000: ten years of stays of 1-30 days across 15
countries, fixed seed) is written to a temporary folder. Then (a) the csv module merely reads it
and (b) cocflow reads it, runs parse_trips_csv, overlaps and gaps, and counts days for ten
calendar years and ten UK tax years. Both are timed (best of three) and the processing rate is
reported as a percentage of the read rate, with the time of each step. No goal is set.

One traveller fills ten years with about 250 such stays, so 20,000 rows are some 80 travellers'
timelines laid over the same ten years. Seen as one log, almost every trip then overlaps ~80
others, and overlaps() reports over a million pairs: its time is that of building the report.

Run: .venv/bin/python bench/trips_bench.py [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from cocflow.io.tripfiles import parse_trips_csv
from cocflow.tracking.trips import TRIP_COLUMNS, day_counts, gaps, overlaps
from timing import best_of

COUNTRIES = [
    "US",
    "GB",
    "PT",
    "ES",
    "FR",
    "DE",
    "IT",
    "NL",
    "CH",
    "JP",
    "CA",
    "MX",
    "BR",
    "AU",
    "KR",
]
FIRST_YEAR = 2016
YEARS = 10


def build_log(path: Path, rows: int, seed: int = 11) -> None:
    """Consecutive stays with same-day travel, occasional gaps and a few overlapping entries.

    Ten years hold about 3,650 days, so with 20,000 rows several logs (clients) are laid end to
    end in the same ten years; the day counts then cover every row.
    """
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRIP_COLUMNS)
        day, country = date(FIRST_YEAR, 1, 1), "US"
        last = date(FIRST_YEAR + YEARS - 1, 12, 31)
        for _ in range(rows):
            country = rnd.choice([c for c in COUNTRIES if c != country])
            end = min(day + timedelta(days=rnd.randint(1, 30) - 1), last)
            purpose = rnd.choices(["work", "personal", "transit", ""], [5, 2, 1, 2])[0]
            note = rnd.choice(["", "", "client visit", "conference, day 2", "home leave"])
            writer.writerow([country, day.isoformat(), end.isoformat(), purpose, note])
            gap = rnd.choices([0, 1, 3], [85, 10, 5])[0]  # 0: travel on the last day
            day = end + timedelta(days=gap)
            if day > last:
                day = date(FIRST_YEAR, 1, 1) + timedelta(days=rnd.randrange(0, 30))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "trips.csv"
        build_log(log, args.rows)

        def read_only() -> None:
            with log.open(newline="", encoding="utf-8") as handle:
                for _ in csv.reader(handle):
                    pass

        stats: dict[str, int] = {}

        def process() -> None:
            trips, problems = parse_trips_csv(log.read_text(encoding="utf-8"))
            assert not problems, problems[:3]
            stats["trips"], stats["overlaps"] = len(trips), len(overlaps(trips))
            stats["gaps"] = len(gaps(trips))
            for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
                day_counts(trips, year)
                day_counts(trips, year, tax_year="uk")

        parse_trips_csv(f"{','.join(TRIP_COLUMNS)}\nPT,2024-01-01\n")  # load pycountry once
        read = best_of(3, read_only)
        full = best_of(3, process)
        text = log.read_text(encoding="utf-8")
        trips = parse_trips_csv(text)[0]
        steps = {
            "parse_trips_csv": best_of(3, lambda: parse_trips_csv(text)),
            "overlaps": best_of(3, lambda: overlaps(trips)),
            "gaps": best_of(3, lambda: gaps(trips)),
            "20 day counts": best_of(
                3,
                lambda: [
                    day_counts(trips, y, tax_year=t)
                    for y in range(FIRST_YEAR, FIRST_YEAR + YEARS)
                    for t in ("calendar", "uk")
                ],
            ),
        }
    rows = stats["trips"]
    print(
        f"trip log: {rows:,} trips, {stats['overlaps']:,} overlapping pairs, {stats['gaps']} gaps"
    )
    print(f"  csv module read only:        {read:8.3f} s  ({rows / read:,.0f} rows/s)")
    print(f"  parse + checks + day counts: {full:8.3f} s  ({rows / full:,.0f} rows/s)")
    for name, seconds in steps.items():
        print(f"    {name + ':':26s} {seconds:8.3f} s")
    print(f"  processing at {read / full:.1%} of the read rate")


if __name__ == "__main__":
    main()
