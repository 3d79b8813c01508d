"""``serve()``: a new token per launch, loopback only, the link printed and opened, then served."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import uvicorn

from cocflow.errors import InputError
from cocflow.io.settings import Settings
from cocflow.web import server
from cocflow.web.server import bind, link, serve

SERVE = """
from cocflow.io.settings import Settings
from cocflow.web import serve
serve(Settings.from_env(), open_browser=False)
"""


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::", ""])
def test_only_this_computer_is_served(settings: Settings, host: str) -> None:
    with pytest.raises(InputError) as caught:
        serve(settings, host=host, open_browser=False)
    assert caught.value.problems[0].code == "NOT_LOOPBACK"


def test_a_port_in_use_is_named(settings: Settings) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(InputError) as caught:
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
    assert caught.value.problems[0].code == "PORT_UNAVAILABLE"
    assert "--port" in caught.value.problems[0].fix


def test_connections_are_not_delayed() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        # With the protocol named, asyncio sets TCP_NODELAY on each accepted connection.
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_the_link_names_the_address_and_the_token() -> None:
    sock = bind("localhost", 0)
    try:
        assert link(sock, "T") == f"http://127.0.0.1:{sock.getsockname()[1]}/?token=T"
    finally:
        sock.close()


def test_an_ipv6_link_has_brackets() -> None:
    try:
        sock = bind("::1", 0)
    except InputError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        assert link(sock, "T").startswith("http://[::1]:")
    finally:
        sock.close()


def test_serve_prints_the_link_and_opens_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    done = threading.Event()

    def open_link(url: str) -> bool:
        opened.append(url)
        done.set()
        return True

    def run_until_opened(self: uvicorn.Server, sockets: object = None) -> None:
        done.wait(10)

    monkeypatch.setattr(server.webbrowser, "open", open_link)
    monkeypatch.setattr(uvicorn.Server, "run", run_until_opened)
    printed: list[str] = []
    serve(settings, echo=printed.append)
    assert len(opened) == 1
    assert opened[0] in printed[0]
    assert "/?token=" in opened[0]
    assert len(opened[0].rsplit("=", 1)[1]) >= 43  # 32 random bytes
    assert "Ctrl+C" in printed[0]
    assert printed[-1].startswith("cocflow has stopped")


def test_serve_without_the_browser(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(server.webbrowser, "open", opened.append)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    serve(settings, open_browser=False, echo=lambda text: None)
    time.sleep(0.1)
    assert opened == []


def test_serve_runs_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "COCFLOW_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "?token=" in line:
                url = line.strip()
        assert url.startswith("http://127.0.0.1:")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for _ in range(50):  # the server may still be starting
            try:
                with opener.open(url) as response:
                    assert response.status == 200
                    assert "token" not in response.url
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail("cocflow serve did not answer")
        with opener.open(url.split("?")[0] + "_hello") as response:
            assert response.read() == b"cocflow is running\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
        assert "cocflow has stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
