"""Fixtures of the web tests.

- ``app``, ``client`` (signed in with the token link), ``anonymous`` (no cookie): in-process,
  through Starlette's TestClient;
- ``live_server``: the app served by uvicorn on 127.0.0.1 (a free port) in a background thread;
- ``browser`` (Debian's chromium through Playwright) and ``page``: a fresh browser context,
  already signed in through the token link. Use ``check_a11y(page)`` and
  ``screenshot(page, name)`` from ``tests.web.support``.

Without a browser the browser tests are skipped, with the reason, unless
COCFLOW_REQUIRE_BROWSER=1 (as in CI), which makes them fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.settings import Settings
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, LiveServer, make_app, new_token, running

BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def app(settings: Settings, token: str) -> Starlette:
    return make_app(settings, token)


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client(app: Starlette, token: str) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as signed_in:
        assert signed_in.get(f"/?token={token}").status_code == 200
        yield signed_in


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("web") / "home"
    token = new_token()
    with running(make_app(Settings.from_env({"COCFLOW_HOME": str(home)}), token), token) as live:
        yield live


def _no_browser(reason: str) -> None:
    if os.environ.get("COCFLOW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (COCFLOW_REQUIRE_BROWSER=1: the browser tests may not skip)")
    pytest.skip(f"{reason}; 'make test' installs chromium with apt-get where it can")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _no_browser(f"no browser: {CHROMIUM} is not installed")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        _no_browser(f"playwright is not installed ({exc})")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            _no_browser(f"{CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def console() -> list[str]:
    """What the page reports as errors (a refused script or style, an uncaught exception)."""
    return []


@pytest.fixture
def page(browser: Any, live_server: LiveServer, console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda exc: console.append(str(exc)))
    opened.goto(live_server.login_url)
    assert "token" not in opened.url
    try:
        yield opened
    finally:
        context.close()
