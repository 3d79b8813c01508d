"""The web face's security layers, in process: Host check, token link and cookie, sessions,
forgery protection, headers and error pages."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.settings import Settings
from cocflow.web import create_app
from cocflow.web.hosts import host_name, local_hosts
from cocflow.web.sessions import Sessions
from tests.web.conftest import BASE_URL
from tests.web.support import make_app, new_token

SIGN_IN_HINT = "open the link it printed"


def _csrf(client: TestClient) -> str:
    page = client.get("/_preview/form").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


# The Host check


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "127.0.0.1.evil.example",
        "localhost.",
        "127.0.0.2:8000",
        "[::1]:8000",
        "[::1",
        "127.0.0.1:80x",
        "",
    ],
)
def test_a_host_not_started_for_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 400
    assert "cocflow does not answer at this address" in response.text
    assert "cocflow serve" in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "127.0.0.1"])
def test_loopback_hosts_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


def test_the_host_names_answered() -> None:
    assert local_hosts("127.0.0.1") == {"127.0.0.1", "localhost"}
    assert local_hosts("::1") == {"127.0.0.1", "localhost", "::1"}
    assert host_name("[::1]:8000") == "::1"
    assert host_name("LocalHost:1") == "localhost"
    assert host_name("a:b") is None


# The token link, the cookie and the session


@pytest.mark.parametrize("path", ["/", "/cases", "/_hello", "/no-such-page", "/_preview/form"])
def test_without_the_cookie_every_page_is_refused(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 403
    assert "Open cocflow with the link it printed" in response.text
    assert "cocflow serve" in response.text
    assert "cocflow is running" not in response.text


def test_without_the_cookie_a_post_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post("/_preview/form", data={"full-name": "Ada"})
    assert response.status_code == 403
    assert "Received" not in response.text


def test_the_token_link_sets_the_cookie_and_drops_the_token(
    anonymous: TestClient, token: str
) -> None:
    response = anonymous.get(f"/cases?token={token}&tab=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/cases?tab=2"
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    assert name == "cocflow_8000"
    attributes = {part.strip().split("=")[0].lower() for part in rest.split(";")[1:]}
    assert attributes == {"httponly", "path", "samesite"}  # no Secure on http, no Max-Age
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert token not in cookie
    followed = anonymous.get("/cases?tab=2")
    assert followed.status_code == 200
    assert "Your cases" in followed.text


def test_over_https_the_cookie_is_secure(app: Starlette, token: str) -> None:
    with TestClient(app, base_url="https://127.0.0.1:8443") as client:
        response = client.get(f"/?token={token}", follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["set-cookie"].startswith("cocflow_8443=")


def test_the_redirect_never_leaves_the_site(anonymous: TestClient, token: str) -> None:
    response = anonymous.get(f"{BASE_URL}//evil.example/x?token={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/evil.example/x"


@pytest.mark.parametrize("offered", ["", "wrong", "é" * 43])
def test_a_wrong_token_is_refused(anonymous: TestClient, token: str, offered: str) -> None:
    response = anonymous.get(f"/?token={offered}", follow_redirects=False)
    assert response.status_code == 403
    assert "This link does not open cocflow" in response.text
    assert "set-cookie" not in response.headers
    assert anonymous.get("/").status_code == 403


def test_a_cookie_from_another_launch_is_refused(client: TestClient, settings: Settings) -> None:
    other = make_app(settings, new_token())
    with TestClient(other, base_url=BASE_URL) as stranger:
        stranger.cookies = client.cookies
        assert stranger.get("/").status_code == 403


def test_a_closed_session_is_refused(client: TestClient, app: Starlette) -> None:
    app.state.sessions.close(client.cookies["cocflow_8000"])
    assert client.get("/").status_code == 403


def test_sessions_end_when_idle_and_after_their_lifetime() -> None:
    now = [0.0]
    sessions = Sessions("t" * 43, idle=60, lifetime=300, clock=lambda: now[0])
    first = sessions.open("t" * 43)
    assert first is not None
    for moment in (50, 100, 150, 200, 250):
        now[0] = moment
        assert sessions.find(first.id) is first  # each request starts the idle time again
    now[0] = 301
    assert sessions.find(first.id) is None  # lifetime over
    second = sessions.open("t" * 43)
    assert second is not None
    now[0] = 362
    assert sessions.find(second.id) is None  # idle too long
    assert sessions.open("u" * 43) is None


def test_a_short_token_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        create_app(settings, token="short", allowed_hosts=local_hosts("127.0.0.1"))


def test_static_files_need_no_cookie(anonymous: TestClient) -> None:
    response = anonymous.get("/static/cocflow.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert anonymous.get("/static/cocflow.js").status_code == 200


# Forgery protection


def test_a_post_without_the_form_token_is_refused(client: TestClient) -> None:
    response = client.post("/_preview/form", data={"full-name": "Ada"})
    assert response.status_code == 403
    assert "This form could not be sent" in response.text


@pytest.mark.parametrize("wrong", ["", "x", "é", "a" * 43])
def test_a_post_with_a_wrong_form_token_is_refused(client: TestClient, wrong: str) -> None:
    response = client.post("/_preview/form", data={"full-name": "Ada", "csrf_token": wrong})
    assert response.status_code == 403


def test_a_post_with_the_right_form_token_is_accepted(client: TestClient) -> None:
    response = client.post("/_preview/form", data={"full-name": "Ada", "csrf_token": _csrf(client)})
    assert response.status_code == 200
    assert "Received: Ada" in response.text


def test_the_form_token_may_come_in_a_header(client: TestClient) -> None:
    response = client.post(
        "/_preview/form", data={"full-name": "Ada"}, headers={"x-csrf-token": _csrf(client)}
    )
    assert response.status_code == 200


def test_a_multipart_form_with_its_token_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/_preview/form",
        data={"full-name": "Ada", "csrf_token": _csrf(client)},
        files={"proof": ("a.txt", b"text", "text/plain")},
    )
    assert response.status_code == 200
    assert "Received: Ada" in response.text


def test_another_sessions_form_token_is_refused(app: Starlette, token: str) -> None:
    with (
        TestClient(app, base_url=BASE_URL) as first,
        TestClient(app, base_url=BASE_URL) as second,
    ):
        first.get(f"/?token={token}")
        second.get(f"/?token={token}")
        stolen = _csrf(first)
        response = second.post("/_preview/form", data={"full-name": "Ada", "csrf_token": stolen})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "http://evil.example"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
    ],
)
def test_a_post_from_another_site_is_refused_even_with_the_token(
    client: TestClient, headers: dict[str, str]
) -> None:
    data = {"full-name": "Ada", "csrf_token": _csrf(client)}
    assert client.post("/_preview/form", data=data, headers=headers).status_code == 403


@pytest.mark.parametrize(
    "origin", [BASE_URL, "null"]
)  # "null": what no-referrer makes browsers send
def test_a_post_from_this_site_is_accepted(client: TestClient, origin: str) -> None:
    headers = {"sec-fetch-site": "same-origin", "origin": origin}
    data = {"full-name": "Ada", "csrf_token": _csrf(client)}
    assert client.post("/_preview/form", data=data, headers=headers).status_code == 200


def test_a_body_over_the_limit_is_refused(client: TestClient, settings: Settings) -> None:
    limit = (settings.max_file_mb + 1) * 1024 * 1024
    files = {"proof": ("big.pdf", b"x" * (limit + 1), "application/pdf")}
    response = client.post("/_preview/form", data={"csrf_token": _csrf(client)}, files=files)
    assert response.status_code == 413
    assert "too large" in response.text


# Headers and error pages

CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'none'",
]


@pytest.mark.parametrize(
    "case",
    [
        ("/", "127.0.0.1:8000", "client", 200),
        ("/cases", "127.0.0.1:8000", "client", 200),
        ("/_hello", "127.0.0.1:8000", "client", 200),
        ("/", "127.0.0.1:8000", "anonymous", 403),
        ("/", "evil.example", "client", 400),
        ("/no-such-page", "127.0.0.1:8000", "client", 404),
        ("/_preview/boom", "127.0.0.1:8000", "client", 500),
        ("/static/cocflow.css", "127.0.0.1:8000", "anonymous", 200),
    ],
)
def test_security_headers_on_every_response(
    request: pytest.FixtureRequest, case: tuple[str, str, str, int]
) -> None:
    path, host, who, status = case
    client: TestClient = request.getfixturevalue(who)
    response = client.get(path, headers={"host": host})
    assert response.status_code == status
    csp = response.headers["content-security-policy"]
    assert all(part in csp for part in CSP_PARTS), csp
    assert "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers
    if not path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store"


def test_page_not_found(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert '<h1 class="heading-l">Page not found</h1>' in response.text


def test_a_method_a_page_does_not_take(client: TestClient) -> None:
    response = client.post("/cases", data={"csrf_token": _csrf(client)})
    assert response.status_code == 405
    assert "This page cannot do that" in response.text
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_an_unexpected_failure_shows_no_traceback(client: TestClient) -> None:
    response = client.get("/_preview/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with cocflow" in response.text
    for leak in ("Traceback", "RuntimeError", "secret detail", "123-45-6789", ".py"):
        assert leak not in response.text


def test_pages_escape_what_they_show(client: TestClient, app: Starlette) -> None:
    from cocflow.web.components import Question, SummaryRow

    hostile = '<script>alert(1)</script>"'
    env = app.state.pages.env
    html = env.from_string(
        '{% from "macros/forms.html" import question %}'
        '{% from "macros/lists.html" import summary_list %}'
        "{{ question(q) }}{{ summary_list(rows) }}"
    ).render(
        q=Question(id="x", label=hostile, hint=hostile, why=hostile, value=hostile, error=hostile),
        rows=[SummaryRow(hostile, hostile, "/x", hostile)],
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;"' in html
