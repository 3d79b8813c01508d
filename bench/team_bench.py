"""Team server speed: a roster imported into stored cases, and the client board under loopback
load, each against a baseline measured in the same run.

1. Import. A synthetic roster of --rows rows (default 10,000; fixed seed) is written as Excel
   writes CSV in a European locale: `;` separated, UTF-8 with a byte-order mark, CRLF, the
   headings and spellings advisors use ("Worker type", "Host country", "Lives in"; "UK",
   "Holland", "Freelancer", "W-2"; dates as 02/18/2027 or 2027-02-18), one to three rows per
   client (later rows leave the client's own columns blank, as people do), and every row gives
   the residence, so every client screens. Timed on the file's bytes, in one process:
   - baseline: Python's csv module merely reading them (decode, csv.reader), best of 3;
   - read_table: cocflow's reading of the file (encoding, separator, limits), best of 3;
   - roster.preview, store empty: read, map, parse every cell, group by client, compare with
     the stored cases (none yet), best of 2;
   - roster.apply: every client stored as a screened case (its proof file, its place in the
     organisation, its notes, its board progress, the audit entries; 500 clients to a
     transaction), one run;
   - roster.preview again, now against the stored cases (a re-import: every client is
     compared with its stored case), one run.
   Each is printed in seconds, rows per second and as a multiple of the baseline's time: "40x"
   means the step takes 40 times as long as merely reading the file (lower is better).
2. Board. With --cases cases stored (default: as many as --rows; when the import's clients are
   fewer, an untimed import of one-row clients tops them up), one uvicorn process on 127.0.0.1
   (a subprocess, as `cocflow serve --team` runs) serves the team app and, on the same server
   stack, a bare Starlette route outside cocflow's layers. The owner signs in over HTTP (GET
   /login for the form token, POST /login, the session cookie), then:
   - cold: the first GET /board in a new server process, timed alone. Each case's progress
     (next checkpoint, sign-off, file-by date) was kept as the case was stored; the board asks
     the database which kept rows are out of date, works those out again (their proof files
     verified), then reads one page, filtered, sorted and counted by the database;
   - warm, one at a time: the median of 5 sequential GET /board;
   - under load: --requests GETs of /board from --concurrency threads, each on its own
     keep-alive connection (http.client), after one request per connection; the bare route the
     same way, with at least 1,000 requests and a warm-up of a tenth as many.
   Reported: requests per second, median and 99th-percentile latency, the board's rate as a
   share of the bare route's ("1.5%": the board answers 1.5 requests for every 100 the bare
   route answers on the same stack), and "dropped": keep-alive connections the server closed
   while a request was waiting on them (the request is sent again on a new connection, as a
   browser does, and its latency counts from the first attempt).

SQLite (a file in a temporary COCFLOW_HOME) by default; with --postgres URL, a fresh schema on
that server for the run, dropped afterwards. The load generator shares the machine's cores with
the server: compare the figures within a run; they are not the server's capacity. No goal is
set.

Run: .venv/bin/python bench/team_bench.py [--rows N] [--cases N] [--requests N]
         [--concurrency C] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Small run (CI, a test): .venv/bin/python bench/team_bench.py --rows 300 --requests 50
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from timing import best_of, median_and_p99_ms, run_together

if TYPE_CHECKING:
    from cocflow.io.settings import Settings
    from cocflow.services.accounts import Accounts
    from cocflow.services.team import Desk

TODAY = date(2026, 11, 25)  # the day the cases are screened and the board judged
ORG, EMAIL, OWNER = "Rivera & Co", "ana@rivera.example", "Ana Rivera"
PASSWORD = "correct horse battery staple 42"
HEADINGS = [
    "Client ID",
    "Name",
    "E-mail",
    "Worker type",
    "Host country",
    "Start date",
    "End date",
    "Lives in",
    "Citizenship",
    "Employer",
    "Employer country",
    "Hire date",
    "In business since",
    "Statements",
    "End client",
    "Description",
    "Partner",  # mapped to no field: kept as a note
]
FIRST = ["Ana", "José", "Zoë", "Tom", "Kim", "Lena", "Marc", "Priya", "Ömer", "Chloé", "Sam",
         "Inés", "Jan", "Maya", "Luca", "Hana", "Ben", "Sofía", "Noah", "Aoife"]  # fmt: skip
LAST = ["Lima", "Álvarez", "de Vries", "Min", "Müller", "Okafor", "Tanaka", "Rossi", "Nowak",
        "Dubois", "O'Brien", "Silva", "Park", "Novak", "García", "Haddad", "Smith", "Kowalski",
        "Jensen", "Brennan"]  # fmt: skip
SELF_EMPLOYED = ["Self-employed", "Self-employed", "self employed", "Freelancer", "Contractor",
                 "1099", "Sole trader"]  # fmt: skip
EMPLOYEE = ["Employee", "Employee", "employee", "Posted worker", "W-2", "Seconded"]
AGREEMENT = ["UK", "United Kingdom", "Germany", "Deutschland", "France", "Holland",
             "Netherlands", "Japan", "Korea", "Canada", "Portugal", "PT", "Spain", "ES", "Italy",
             "Australia", "Switzerland", "Poland", "Brazil", "Ireland", "Austria", "Belgium",
             "Chile", "Norway", "Sweden", "Finland", "Czech Republic", "Uruguay"]  # fmt: skip
OTHER = ["Thailand", "Mexico", "Singapore", "India", "Indonesia"]
HOME = ["US", "US", "USA", "United States"]
CUSTOMERS = ["Client Ltd", "Müller GmbH", "Société Générale", "Acme Corp", "Tanaka K.K.", ""]
WORK = ["Interface design for payment apps", "Data pipeline consulting",
        "Site supervision; commissioning", "Training workshops", "Audit support", ""]  # fmt: skip
EMPLOYERS = ["Acme Inc.", "Globex LLC", "Initech Corp.", "Umbrella Partners LP"]


# --- The roster ---------------------------------------------------------------------------------


def _day(rnd: random.Random, day: date) -> str:
    """A date as the roster's people write it: mostly month/day/year, sometimes ISO."""
    return day.isoformat() if rnd.random() < 0.15 else day.strftime("%m/%d/%Y")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isalnum() and c.isascii()).lower()


def build_roster(rows: int, *, seed: int = 7, prefix: str = "C-", most: int = 3) -> bytes:
    """A roster of ``rows`` rows, ``most`` or fewer per client, as an Excel CSV file's bytes."""
    rnd = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADINGS)
    written = client = 0
    while written < rows:
        client += 1
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        employee = rnd.random() < 0.3
        own = {
            "Name": f"{first} {last}",
            "E-mail": f"{_ascii(first)}.{_ascii(last)}{client}@example.com"
            if rnd.random() < 0.6
            else "",
            "Worker type": rnd.choice(EMPLOYEE if employee else SELF_EMPLOYED),
            "Citizenship": rnd.choice(["US", "US", "USA", "US;IT", "US, IE", ""]),
            "Employer": rnd.choice(EMPLOYERS) if employee else "",
            "Employer country": rnd.choice(HOME) if employee else "",
            "Hire date": _day(rnd, date(2012, 1, 9) + timedelta(days=rnd.randrange(4000)))
            if employee
            else "",
            "In business since": ""
            if employee
            else _day(rnd, date(2010, 3, 1) + timedelta(days=rnd.randrange(5000))),
            "Statements": "private_health_insurance=yes" if rnd.random() < 0.2 else "",
        }
        partner = rnd.choice(["JB", "MK", "AR", ""])
        start = TODAY + timedelta(days=rnd.randrange(-60, 700))
        count = min(rnd.choice([1, 1, 1, 2, 2, 3]), most, rows - written)
        for n in range(count):
            host = rnd.choice(AGREEMENT if rnd.random() < 0.9 else OTHER)
            end = start + timedelta(days=rnd.randrange(30, 900))
            open_ended = n == count - 1 and rnd.random() < 0.05
            row = {
                "Client ID": f"{prefix}{client:05d}",
                "Host country": host,
                "Start date": _day(rnd, start),
                "End date": "" if open_ended else _day(rnd, end),
                "Lives in": rnd.choice(HOME) if rnd.random() < 0.92 else host,
                "End client": rnd.choice(CUSTOMERS),
                "Description": rnd.choice(WORK),
                "Partner": partner,
                **(own if n == 0 else {"Name": own["Name"]}),
            }
            writer.writerow([row.get(h, "") for h in HEADINGS])
            written += 1
            start = end + timedelta(days=rnd.randrange(1, 200))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- The store ----------------------------------------------------------------------------------


def _settings(home: str, database: str | None) -> Settings:
    from cocflow.io.settings import Settings

    env = {"COCFLOW_HOME": home}
    if database:
        env["COCFLOW_DATABASE_URL"] = database
    return Settings.from_env(env)


def _open_desk(settings: Settings) -> tuple[Desk, Accounts]:
    """The store as the team server opens it (cocflow.web.team.app._Team.open)."""
    from cocflow.services.accounts import Accounts
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for
    from cocflow.services.team import Desk
    from cocflow.store.team import TeamStore

    work = open_casework(settings, rules_for(settings))
    team = TeamStore(work.store.engine, work.store.keys)
    return Desk(work, team), Accounts(team)


@contextmanager
def _database(postgres: str | None) -> Iterator[str | None]:
    """None (SQLite in COCFLOW_HOME), or a fresh schema on the PostgreSQL server, dropped after."""
    if postgres is None:
        yield None
        return
    import sqlalchemy

    schema = f"bench_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(postgres)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        glue = "&" if "?" in postgres else "?"
        yield f"{postgres}{glue}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


# --- 1. The import ------------------------------------------------------------------------------


@dataclass
class Step:
    label: str
    seconds: float


def _note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def import_roster(
    settings: Settings, data: bytes, rows: int, cases: int
) -> tuple[list[Step], int, Counter[str]]:
    """The import's steps timed; the cases stored (topped up to ``cases``) and their outcomes."""
    from cocflow.io.rosterfile import read_table
    from cocflow.services import roster

    desk, accounts = _open_desk(settings)
    try:
        owner = accounts.create_organisation(ORG, EMAIL, OWNER, PASSWORD)

        def csv_only() -> None:
            text = data.decode("utf-8-sig")
            for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
                pass

        def plan() -> roster.ImportPlan:
            return roster.preview(desk, owner, data, "clients.csv", date_order="MDY")

        _note(f"reading {rows:,} rows")
        steps = [
            Step("csv module, read only (baseline)", best_of(3, csv_only)),
            Step("read_table", best_of(3, lambda: read_table(data, "clients.csv"))),
        ]
        _note("roster.preview")
        steps.append(Step("roster.preview, store empty", best_of(2, plan)))
        made = plan()
        if not made.result.ok or made.result.rows != rows:
            for problem in made.result.problems[:10]:
                print(problem.as_problem(), file=sys.stderr)
            raise SystemExit(f"the roster has problems ({len(made.result.problems)}); see above")
        clients = len(made.new)
        _note(f"roster.apply: {clients:,} clients")
        began = time.perf_counter()
        done = roster.apply(desk, owner, made, TODAY)
        steps.append(Step(f"roster.apply, {clients:,} new cases", time.perf_counter() - began))
        assert len(done.created) == clients and not done.skipped
        _note("roster.preview again")
        began = time.perf_counter()
        again = plan()
        steps.append(Step("roster.preview, all stored", time.perf_counter() - began))
        assert len(again.same) == clients, (len(again.new), len(again.changed))
        if cases > clients:  # untimed: one-row clients up to the board's size
            _note(f"topping up: {cases - clients:,} more cases")
            extra = build_roster(cases - clients, seed=11, prefix="T-", most=1)
            top = roster.preview(desk, owner, extra, "more.csv", date_order="MDY")
            roster.apply(desk, owner, top, TODAY)
        stored = desk.cases(owner)
        return steps, len(stored), Counter(c.outcome for c in stored)
    finally:
        desk.work.close()


# --- 2. The board -------------------------------------------------------------------------------


def _serve(home: str, database: str | None) -> None:
    """The server side: prints its port, then serves until killed."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.types import Receive, Scope, Send

    from cocflow.web.hosts import local_hosts
    from cocflow.web.server import bind, build_server
    from cocflow.web.team.app import create_team_app

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello\n")

    bare = Starlette(routes=[Route("/_bare", hello)])
    team = create_team_app(_settings(home, database), allowed_hosts=local_hosts("127.0.0.1"))
    team.state.today = TODAY

    async def both(scope: Scope, receive: Receive, send: Send) -> None:
        target = bare if scope.get("path") == "/_bare" else team
        await target(scope, receive, send)

    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    build_server(both, log_level="warning").run(sockets=[sock])


@dataclass
class Result:
    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    dropped: int  # keep-alive connections the server closed with a request pending


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def _sign_in(port: int) -> str:
    """The Cookie header of the owner's session, signed in as a browser does."""
    jar: dict[str, str] = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode()
        _cookies(response, jar)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if response.status != 200 or token is None:
            raise SystemExit(f"the sign-in page failed: {response.status}")
        form = urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token[1]})
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body=form, headers=headers)
        response = connection.getresponse()
        response.read()
        _cookies(response, jar)
        if response.status != 303 or response.getheader("location") != "/board":
            raise SystemExit(f"signing in failed: {response.status}")
    finally:
        connection.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _get(port: int, path: str, cookie: str, timeout: float = 900) -> tuple[float, int]:
    """One request on a new connection: its seconds and the body's size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        body = response.read()
        took = time.perf_counter() - began
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status}")
    return took, len(body)


def _load(port: int, path: str, cookie: str, requests: int, concurrency: int) -> Result:
    """``requests`` GETs from ``concurrency`` threads, each on its own keep-alive connection.
    A connection the server closes is opened again and the request sent again, as a browser
    does; the latency counts from the first attempt, and the closings are counted."""
    latencies: list[float] = []
    failures: list[str] = []
    dropped = [0]
    lock = threading.Lock()

    def once(connection: http.client.HTTPConnection) -> int:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        return response.status

    def worker(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        mine: list[float] = []
        closed = 0
        try:
            for _ in range(count):
                began = time.perf_counter()
                for attempt in range(3):
                    try:
                        status = once(connection)
                        break
                    except (ConnectionError, http.client.BadStatusLine):
                        connection.close()  # http.client opens it again on the next request
                        closed += 1
                        if attempt == 2:
                            raise
                mine.append(time.perf_counter() - began)
                if status != 200:
                    failures.append(f"{path}: {status}")
                    return
        except Exception as exc:  # reported by the caller, not lost with the thread
            failures.append(f"{path}: {exc!r}")
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                dropped[0] += closed

    shares = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(n,)) for n in shares if n]
    elapsed = run_together(threads)
    if failures:
        raise SystemExit(f"requests failed: {failures[0]}")
    median, p99 = median_and_p99_ms(latencies)
    return Result(len(latencies), len(latencies) / elapsed, median, p99, dropped[0])


@dataclass
class Board:
    cold_s: float
    warm_s: float
    page_bytes: int
    bare: Result
    board: Result


def load_board(home: str, database: str | None, requests: int, concurrency: int) -> Board:
    with tempfile.TemporaryFile() as log:
        command = [sys.executable, __file__, "--serve", home]
        server = subprocess.Popen(
            command + (["--database", database] if database else []),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            if not line.strip():
                server.wait(20)
                log.seek(0)
                raise SystemExit("the server did not start:\n" + log.read().decode()[-3000:])
            return _drive(int(line), requests, concurrency)
        finally:
            server.terminate()
            server.wait(20)


def _drive(port: int, requests: int, concurrency: int) -> Board:
    cookie = _sign_in(port)
    _note("GET /board, cold")
    cold, size = _get(port, "/board", cookie)
    warm = statistics.median(_get(port, "/board", cookie)[0] for _ in range(5))
    _note(f"GET /_bare and /board under load, {concurrency} connections")
    bare_n = max(requests, 1000)
    _load(port, "/_bare", cookie, max(20, bare_n // 10), concurrency)
    bare = _load(port, "/_bare", cookie, bare_n, concurrency)
    _load(port, "/board", cookie, concurrency, concurrency)  # one request per connection
    board = _load(port, "/board", cookie, requests, concurrency)
    return Board(cold, warm, size, bare, board)


# --- The run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the roster imported")
    parser.add_argument("--cases", type=int, help="cases on the board (default: --rows)")
    parser.add_argument("--requests", type=int, default=200, help="board requests under load")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use")
    parser.add_argument("--serve", metavar="HOME", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.database)
        return
    cases = args.cases if args.cases is not None else args.rows
    kind = "PostgreSQL" if args.postgres else "SQLite"
    with tempfile.TemporaryDirectory(prefix="cocflow-team-bench-") as home, _database(
        args.postgres
    ) as database:  # fmt: skip
        data = build_roster(args.rows)
        (Path(home) / "clients.csv").write_bytes(data)
        settings = _settings(home, database)
        steps, stored, outcomes = import_roster(settings, data, args.rows, cases)
        board = load_board(home, database, args.requests, args.concurrency)

    base = steps[0].seconds
    print(f"Team server, {kind}: a {args.rows:,}-row roster ({len(data):,} bytes) imported")
    print(f"{'step':<36} {'seconds':>9} {'rows/s':>10} {'x baseline':>11}")
    for step in steps:
        print(
            f"{step.label:<36} {step.seconds:>9.3f} {args.rows / step.seconds:>10,.0f} "
            f"{step.seconds / base:>10,.1f}x"
        )
    shown = ", ".join(f"{n:,} {o}" for o, n in outcomes.most_common())
    print(f"Board: {stored:,} cases ({shown}); page {board.page_bytes:,} bytes")
    print(f"  cold, first GET /board:      {board.cold_s:8.3f} s")
    print(f"  warm, one at a time (median): {board.warm_s * 1000:7.1f} ms")
    print(
        f"{'route, ' + str(args.concurrency) + ' connections':<28} {'requests':>9} "
        f"{'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'vs bare':>8} {'dropped':>8}"
    )
    for label, result in (("bare Starlette route", board.bare), ("GET /board", board.board)):
        print(
            f"{label:<28} {result.requests:>9,} {result.rate:>9,.1f} {result.p50_ms:>9.1f} "
            f"{result.p99_ms:>9.1f} {result.rate / board.bare.rate:>8.2%} {result.dropped:>8,}"
        )
    print(
        f"Summary ({kind}): import {args.rows:,} rows: preview {steps[2].seconds:.2f} s "
        f"({steps[2].seconds / base:,.0f}x the csv read), apply {steps[3].seconds:.2f} s "
        f"({args.rows / steps[3].seconds:,.0f} rows/s); board of {stored:,} cases: cold "
        f"{board.cold_s:.2f} s, warm {board.board.rate:,.1f} req/s, p99 "
        f"{board.board.p99_ms:,.0f} ms ({board.board.rate / board.bare.rate:.2%} of bare, "
        f"{board.board.dropped} dropped)"
    )


if __name__ == "__main__":
    main()
