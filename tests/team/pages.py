"""The team server's pages in tests: a site (the server on a store), signing in, posting a
form with its token."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.settings import Settings
from cocflow.web.team.app import create_team_app

BASE = "http://team.example"
PASSWORD = "correct horse battery staple 42"


@dataclass
class Site:
    settings: Settings
    apps: list[Starlette] = field(default_factory=list)

    def client(self, base: str = BASE) -> TestClient:
        app = create_team_app(self.settings, allowed_hosts={"team.example"})
        self.apps.append(app)
        return TestClient(app, base_url=base, raise_server_exceptions=True)

    def close(self) -> None:
        for app in self.apps:
            app.state.team.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    done = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _post(client: TestClient, path: str, data: dict[str, str], **kw: object) -> object:
    page = client.get("/board") if not path.startswith("/team/cases") else client.get(path)
    return client.post(path, data={**data, "csrf_token": _csrf(page.text)}, **kw)  # type: ignore[arg-type]
