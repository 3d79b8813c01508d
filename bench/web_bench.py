"""Web face speed, measured against a bare Starlette route served by the same process in the
same run.

One uvicorn process on 127.0.0.1 (started here as a subprocess, as `cocflow serve` would run)
serves both (a) a bare Starlette app with one plain-text route, outside cocflow's layers, and
(b) cocflow's app: its plain-text check `/_hello` (every security layer, no template), its
start page `/` (every layer and a rendered template) and a case's page (the task list of a
stored case with a go answer, its filing details and a proof file: the store read, the case
screened and checked, the proof file verified, on every request). Goals for the case page: 40%
or more of the bare route's requests per second, and a p99 of 25 ms or less. Each route gets
--requests requests from
--concurrency threads, each on its own keep-alive connection (http.client), after a warm-up.
Reported: requests per second, median and 99th-percentile latency, and each rate as a
percentage of the bare route's. It also counts the pages a person answers before the first
answer in the simplest case (a self-employed person living in the United States, one stay
abroad), by walking the interview in process (goal: 8 or fewer).

The load generator runs on the same machine and shares its cores with the server, so the figures
compare routes within a run; they are not the server's capacity.

Run: .venv/bin/python bench/web_bench.py [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from timing import median_and_p99_ms, run_together

ROUTES = [
    ("bare Starlette route", "/_bare"),
    ("cocflow text route, all layers", "/_hello"),
    ("cocflow start page", "/"),
    ("cocflow case page", "/cases/{case}"),
]
CASE_PAGE_GOALS = (0.40, 25.0)  # share of the bare route's requests/s, p99 in ms
PAGES_GOAL = 8


def _serve() -> None:
    """The server side: prints "PORT TOKEN", then serves until killed."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.types import Receive, Scope, Send

    from cocflow.io.settings import Settings
    from cocflow.web import create_app
    from cocflow.web.hosts import local_hosts
    from cocflow.web.server import bind, build_server

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello\n")

    bare = Starlette(routes=[Route("/_bare", hello)])
    token = secrets.token_urlsafe(32)
    home = tempfile.mkdtemp(prefix="cocflow-bench-")
    cocflow = create_app(
        Settings.from_env({"COCFLOW_HOME": home}),
        token=token,
        allowed_hosts=local_hosts("127.0.0.1"),
    )

    async def both(scope: Scope, receive: Receive, send: Send) -> None:
        target = bare if scope.get("path") == "/_bare" else cocflow
        await target(scope, receive, send)

    case_id = _stored_case(cocflow)
    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], token, case_id, flush=True)
    build_server(both).run(sockets=[sock])


def _stored_case(app: object) -> str:
    """A go case with its filing details, a prepared request and a submission on file."""
    from datetime import date
    from pathlib import Path

    from cocflow.io.casefile import read_case
    from cocflow.services import filing
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for

    settings = app.state.settings  # type: ignore[attr-defined]
    work = open_casework(settings, rules_for(settings))
    app.state.work = work  # type: ignore[attr-defined]
    example = Path(__file__).resolve().parent.parent / "examples" / "filing-complete.yaml"
    case = read_case(example)
    today = date(2026, 12, 2)
    case_id, _ = work.new_case(case, today)
    out = Path(tempfile.mkdtemp(prefix="cocflow-bench-out-"))
    filing.request(case, out, today, work.rules, casework=work, case_id=case_id)
    confirmation = out / "confirmation.txt"
    confirmation.write_text("Request received. Control number 0042.\n")
    work.add(case_id, "submission", confirmation, {"channel": "online", "control_number": "0042"})
    return case_id


def pages_to_first_answer() -> int:
    """The pages a person answers, from "Start a new case" to the answer, in the simplest case."""
    import re

    from starlette.testclient import TestClient

    from cocflow.io.settings import Settings
    from cocflow.web import create_app
    from cocflow.web.hosts import local_hosts

    token = secrets.token_urlsafe(32)
    home = tempfile.mkdtemp(prefix="cocflow-bench-")
    app = create_app(Settings.from_env({"COCFLOW_HOME": home}), token=token,
                     allowed_hosts=local_hosts("127.0.0.1"))  # fmt: skip
    answers = {
        "/q/kind": {"answer": "self_employed"},
        "/q/citizenship": {"answer": "US"},
        "/q/operating_since": {"answer": "2019-06-01"},
        "/home/edit": {"country": "US", "start": "2015-01-01"},
        "/stays/edit": {"country": "PT", "start": "2027-03-01", "end": "2027-07-31"},
        "/check": {},
    }
    pages = 0
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        listing = client.get(f"/?token={token}") and client.get("/cases")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing.text)
        assert csrf is not None
        url = client.post("/cases/new", data={"csrf_token": csrf[1]},
                          follow_redirects=False).headers["location"]  # fmt: skip
        while not url.endswith("/answer"):
            form = client.get(url, follow_redirects=True)
            url = str(form.url)
            fields = next(v for k, v in answers.items() if k in url)
            token_field = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token_field is not None, url
            done = client.post(url, data={"csrf_token": token_field[1], **fields},
                               follow_redirects=False)  # fmt: skip
            assert done.status_code == 303, (url, done.status_code)
            pages += 1
            url = done.headers["location"]
    return pages


@dataclass
class Result:
    rate: float
    p50_ms: float
    p99_ms: float


def _sign_in(port: int, token: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/?token={token}")
    response = connection.getresponse()
    response.read()
    connection.close()
    cookie = response.getheader("set-cookie", "")
    if response.status != 303 or not cookie:
        raise SystemExit(f"signing in failed: {response.status}")
    return cookie.split(";", 1)[0]


def _load(port: int, path: str, cookie: str, requests: int, concurrency: int) -> Result:
    per_thread = max(1, requests // concurrency)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        try:
            for _ in range(per_thread):
                began = time.perf_counter()
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                mine.append(time.perf_counter() - began)
                if response.status != 200:
                    failures.append(f"{path}: {response.status}")
                    return
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    elapsed = run_together(threads)
    if failures:
        raise SystemExit(f"requests failed: {failures[0]}")
    median, p99 = median_and_p99_ms(latencies)
    return Result(len(latencies) / elapsed, median, p99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per route")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve()
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        port_text, token, case_id = server.stdout.readline().split()
        drain = threading.Thread(target=server.stdout.read, daemon=True)  # the access log
        drain.start()
        port = int(port_text)
        cookie = _sign_in(port, token)
        warm_up = max(20, args.requests // 10)
        results = []
        for label, pattern in ROUTES:
            path = pattern.format(case=case_id)
            _load(port, path, cookie, warm_up, args.concurrency)
            result = _load(port, path, cookie, args.requests, args.concurrency)
            results.append((label, path, result))
    finally:
        server.terminate()
        server.wait(20)
    bare = results[0][2].rate
    print(
        f"Web face: {args.requests:,} requests per route, {args.concurrency} connection"
        f"{'' if args.concurrency == 1 else 's'} at once, one uvicorn process on 127.0.0.1"
    )
    print(f"{'route':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    for label, _, result in results:
        print(
            f"{label:<32} {result.rate:>8,.0f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {result.rate / bare:>8.0%}"
        )
    case = results[-1][2]
    share, p99 = CASE_PAGE_GOALS
    print(
        f"Case page: {case.rate / bare:.0%} of the bare route's requests/s (goal {share:.0%} or "
        f"more), p99 {case.p99_ms:.1f} ms (goal {p99:.0f} ms or less)"
    )
    pages = pages_to_first_answer()
    print(f"Pages answered before the first answer, simplest case: {pages}", end=" ")
    print(f"(goal {PAGES_GOAL} or fewer)")


if __name__ == "__main__":
    main()
