"""Re-screening stored cases on PostgreSQL with 1 and with 2 workers, against merely reading the
same rows from the database in the same run.

1. Store: a fresh schema on the PostgreSQL server gets --cases stored cases (default
   1,000,000). A thousand distinct clients come from the team benchmark's synthetic roster
   (every worker kind, agreement and other countries, dated and open-ended stays), each stored
   and screened by cocflow; the rest are copies of them under new case ids, each with its own
   first proof entry (hashed and signed as cocflow signs it), written with COPY.
2. Baseline: every case row (id, facts, decision) merely read with a server-side cursor.
3. Two runs, each under a rules change that shortens the German self-employment limit (to 24,
   then 36 months: different rules versions, so each run screens every case): the run is
   planned in ranges of --range-size cases, queued, and worked by `cocflow worker --burst`
   processes, 1 for the first run and 2 for the second. Timed from the first worker's start to
   the run's last range done.

Printed: rows per second of each, each run's rate as a share of the read rate, the 2-worker
rate over the 1-worker rate (the scaling), what 10,000,000 cases take at the measured rates,
and the ceiling if each worker kept the 1-worker rate on its own cores (the database's own limit
is not measured here: a ceiling to check, not a promise). The workers share the machine's cores
with the database.

Run: .venv/bin/python bench/rescreen_bench.py [--cases N] [--range-size N]
         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Small run (a test): .venv/bin/python bench/rescreen_bench.py --cases 300 --range-size 100
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEMPLATES = 1000


def _note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def _shortened(folder: Path, months: int) -> Path:
    """The shipped rules with the German self-employment limit at ``months``."""
    shutil.copytree(ROOT / "src" / "cocflow" / "rules" / "data", folder)
    text = (folder / "de.yaml").read_text(encoding="utf-8")
    at = text.index("self_employed:")
    rest = text[at:].replace("limit_months: 60", f"limit_months: {months}", 1)
    (folder / "de.yaml").write_text(text[:at] + rest, encoding="utf-8")
    return folder


def _templates(env: dict[str, str]) -> list[dict[str, Any]]:
    """A thousand clients stored and screened by cocflow, read back as rows to copy."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cocflow.io.settings import Settings
    from cocflow.services import roster
    from cocflow.services.accounts import Accounts
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for
    from cocflow.services.team import Desk
    from cocflow.store.models import CaseRow, EventRow
    from cocflow.store.team import TeamStore
    from team_bench import TODAY, build_roster

    settings = Settings.from_env(env)
    work = open_casework(settings, rules_for(settings))
    try:
        team = TeamStore(work.store.engine, work.store.keys)
        owner = Accounts(team).create_organisation(
            "Bench & Co", "bench@example.com", "Bench", "correct horse battery staple 42"
        )
        desk = Desk(work, team)
        data = build_roster(TEMPLATES * 2, most=1)
        plan = roster.preview(desk, owner, data, "clients.csv", date_order="MDY")
        roster.apply(desk, owner, plan, TODAY)
        with Session(work.store.engine) as session:
            rows = session.execute(
                select(CaseRow, EventRow)
                .join(EventRow, EventRow.case_id == CaseRow.id)
                .where(EventRow.seq == 1)
            ).all()
            return [
                {
                    "kind": c.kind,
                    "title": c.title,
                    "facts": c.facts,
                    "outcome": c.outcome,
                    "decision": c.decision,
                    "rules_version": c.rules_version,
                    "at": e.at,
                    "payload": e.payload,
                }
                for c, e in rows
            ][:TEMPLATES]
    finally:
        work.close()


def _copies(env: dict[str, str], templates: list[dict[str, Any]], total: int) -> None:
    """``total`` cases in all: the stored templates and copies of them under new ids."""
    import psycopg

    from cocflow.io.settings import Settings
    from cocflow.proof.chain import GENESIS, entry_hash
    from cocflow.services.cases import open_casework
    from cocflow.services.queue import conninfo
    from cocflow.services.screening import rules_for

    settings = Settings.from_env(env)
    work = open_casework(settings, rules_for(settings))
    store = work.store
    base = int(secrets.token_hex(6), 16) << 16
    need = total - len(store.list_cases())  # the roster's clients are stored already
    cases, events = io.StringIO(), io.StringIO()

    def field(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    with psycopg.connect(conninfo(settings)) as connection:
        for start in range(0, need, 50_000):
            cases.seek(0), cases.truncate(), events.seek(0), events.truncate()
            for n in range(start, min(need, start + 50_000)):
                t = templates[n % len(templates)]
                case_id = f"{base + n:016x}"
                digest = entry_hash(1, case_id, "screened", t["at"], t["payload"], GENESIS)
                mac = store.head_mac(case_id, 1, digest)
                row = [case_id, t["at"], t["at"], t["kind"], t["title"], t["facts"]]
                row += [t["outcome"], t["decision"], t["rules_version"], 1, digest, mac]
                cases.write("\t".join(field(v) for v in row) + "\n")
                entry = [case_id, 1, "screened", t["at"], t["payload"], GENESIS, digest]
                events.write("\t".join(field(v) for v in entry) + "\n")
            with connection.cursor() as cursor:
                columns = (
                    "id, created_at, updated_at, kind, title, facts, outcome, decision, "
                    "rules_version, head_seq, head_hash, head_mac"
                )
                with cursor.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
                    copy.write(cases.getvalue())
                columns = "case_id, seq, kind, at, payload, prev_hash, hash"
                with cursor.copy(f"COPY events ({columns}) FROM STDIN") as copy:
                    copy.write(events.getvalue())
            connection.commit()
            _note(f"stored {total - need + min(need, start + 50_000):,} cases")
        connection.execute("ANALYZE")
    work.close()


def read_rate(env: dict[str, str]) -> tuple[int, float]:
    """Every case row merely read (server-side cursor): rows and seconds."""
    import psycopg

    from cocflow.io.settings import Settings
    from cocflow.services.queue import conninfo

    with psycopg.connect(conninfo(Settings.from_env(env))) as connection:
        began = time.perf_counter()
        rows = 0
        with connection.cursor(name="bench") as cursor:
            cursor.itersize = 10_000
            cursor.execute("SELECT id, facts, decision FROM cases")
            for _ in cursor:
                rows += 1
        return rows, time.perf_counter() - began


@dataclass
class Timed:
    workers: int
    cases: int
    seconds: float
    changed: int

    @property
    def rate(self) -> float:
        return self.cases / self.seconds


def run(env: dict[str, str], workers: int, range_size: int) -> Timed:
    """A run under ``env``'s rules, queued, worked by ``workers`` worker processes."""
    from cocflow.io.settings import Settings
    from cocflow.services import queue, rescreen
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for
    from cocflow.store.rescreen import RescreenStore

    settings = Settings.from_env(env)
    work = open_casework(settings, rules_for(settings))
    try:
        planned = rescreen.plan(work, size=range_size)
        queue.enqueue(settings, planned, work)
        _note(f"{workers} worker(s): {planned.cases:,} cases in {planned.ranges} jobs")
        command = [str(Path(sys.executable).parent / "cocflow"), "worker", "--burst"]
        began = time.perf_counter()
        started = [
            subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        store = RescreenStore(work.store)
        while True:
            found = store.run(planned.id)
            assert found is not None
            if found.done:
                break
            if all(p.poll() is not None for p in started):
                raise SystemExit(f"the workers stopped before the run was done: {found}")
            time.sleep(0.2)
        seconds = time.perf_counter() - began
        for process in started:
            process.wait(60)
        return Timed(workers, found.screened, seconds, found.changed)
    finally:
        work.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="stored cases")
    parser.add_argument("--range-size", type=int, default=10_000, help="cases to a job")
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL")
    args = parser.parse_args()
    from team_bench import _database

    with tempfile.TemporaryDirectory() as tmp, _database(args.postgres) as url:
        assert url is not None
        home = Path(tmp)
        env = {"COCFLOW_HOME": str(home / "home"), "COCFLOW_DATABASE_URL": url}
        _note("storing the template clients")
        templates = _templates(env)
        _copies(env, templates, args.cases)
        rows, seconds = read_rate(env)
        short = {**env, "COCFLOW_RULES_DIR": str(_shortened(home / "r24", 24))}
        first = run(short, 1, args.range_size)
        other = {**env, "COCFLOW_RULES_DIR": str(_shortened(home / "r36", 36))}
        second = run(other, 2, args.range_size)
    read = rows / seconds
    print(f"Re-screening {rows:,} stored cases on PostgreSQL ({len(templates):,} distinct)")
    print(f"{'step':<34}{'seconds':>10}{'cases/s':>12}{'of read':>10}")
    print(f"{'read the rows (baseline)':<34}{seconds:>10.2f}{read:>12,.0f}{'100%':>10}")
    for timed in (first, second):
        label = f"re-screen, {timed.workers} worker{'s' if timed.workers > 1 else ''}"
        share = f"{timed.rate / read:.1%}"
        print(f"{label:<34}{timed.seconds:>10.2f}{timed.rate:>12,.0f}{share:>10}")
    scaling = second.rate / first.rate
    changed = f"{first.changed:,} then {second.changed:,}"
    print(f"scaling, 2 workers over 1: {scaling:.2f}x (cases changed: {changed})")
    hours = [10_000_000 / rate / 60 for rate in (first.rate, second.rate)]
    print(
        f"10,000,000 cases: {hours[0]:.0f} min with 1 worker, {hours[1]:.0f} min with 2 on "
        "this machine (measured rates; the workers share its cores with the database)"
    )
    ceiling = ", ".join(
        f"{n} workers {10_000_000 / (first.rate * n) / 60:.0f} min" for n in (4, 8, 16)
    )
    print(f"  ceiling if each worker had its own cores and the database kept up: {ceiling}")
    print(json.dumps({"read": read, "one": first.rate, "two": second.rate}), file=sys.stderr)


if __name__ == "__main__":
    main()
