"""Web face speed, measured against a bare Starlette route served by the same process in the
same run.

One uvicorn process on 127.0.0.1 (started here as a subprocess, as `cocflow serve` would run)
serves both (a) a bare Starlette app with one plain-text route, outside cocflow's layers, and
(b) cocflow's app: its plain-text check `/_hello` (every security layer, no template) and its
start page `/` (every layer and a rendered template). Each route gets --requests requests from
--concurrency threads, each on its own keep-alive connection (http.client), after a warm-up.
Reported: requests per second, median and 99th-percentile latency, and each rate as a
percentage of the bare route's. No goal is set.

The load generator runs on the same machine and shares its cores with the server, so the figures
compare routes within a run; they are not the server's capacity.

Run: .venv/bin/python bench/web_bench.py [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

ROUTES = [
    ("bare Starlette route", "/_bare"),
    ("cocflow text route, all layers", "/_hello"),
    ("cocflow start page", "/"),
]


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

    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], token, flush=True)
    build_server(both).run(sockets=[sock])


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
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"requests failed: {failures[0]}")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Result(len(ordered) / elapsed, statistics.median(ordered) * 1000, p99 * 1000)


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
        port_text, token = server.stdout.readline().split()
        drain = threading.Thread(target=server.stdout.read, daemon=True)  # the access log
        drain.start()
        port = int(port_text)
        cookie = _sign_in(port, token)
        warm_up = max(20, args.requests // 10)
        results = []
        for label, path in ROUTES:
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
    print(f"{'route':<32} {'path':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    for label, path, result in results:
        print(
            f"{label:<32} {path:<8} {result.rate:>8,.0f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {result.rate / bare:>8.0%}"
        )


if __name__ == "__main__":
    main()
