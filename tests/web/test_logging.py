"""No query string reaches a log: the token of the opening link, or a personal detail someone
put in an address, never appears in what the server writes."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator

import pytest

from cocflow.web.logs import ACCESS_LOGGER, NoQueryString
from tests.web.support import LiveServer

SECRET = "123-45-6789"


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected() -> Iterator[Collected]:
    handler = Collected()
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", ACCESS_LOGGER, "")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _get(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_no_query_string_in_the_log(
    live_server: LiveServer, collected: Collected, capfd: pytest.CaptureFixture[str]
) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(f"{live_server.login_url}&ssn={SECRET}") as response:  # signs in
        assert response.status == 200
    with opener.open(f"{live_server.url}/cases?ssn={SECRET}&name=Ada") as response:
        assert response.status == 200
    assert _get(f"{live_server.url}/no-such-page?ssn={SECRET}") == 403
    assert _get(f"{live_server.url}/?token=wrong-{SECRET}") == 403
    captured = capfd.readouterr()
    written = "\n".join(collected.lines) + captured.out + captured.err
    assert "/cases" in written  # the access log is on, and was captured
    assert "/no-such-page" in written
    assert SECRET not in written
    assert live_server.token not in written
    assert "?" not in "".join(line for line in collected.lines if "HTTP/1.1" in line)


def test_the_filter_cuts_every_path_argument() -> None:
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/cases?ssn={SECRET}", "1.1", 200),
        None,
    )
    assert NoQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /cases HTTP/1.1" 200'
