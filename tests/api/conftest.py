"""Fixtures of the API tests: a team's store on each kind of database (SQLite, PostgreSQL),
its members' personal access tokens, and the API mounted at /api/v1 as the team server mounts
it, reached in-process through Starlette's TestClient (which runs on httpx2)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.access import Actor
from cocflow.services.accounts import Accounts, SignedIn
from cocflow.services.cases import Casework, open_casework
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from cocflow.web.api import ApiMount, build_api
from tests.team.support import Team, make_team

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ROOT / "examples" / "filing-complete.yaml"
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BASE = "/api/v1"
FULL_SSN = "123-45-6789"  # the SSN of examples/filing-complete.yaml


@pytest.fixture
def work(database_url: str, tmp_path: Path, rules: RuleBook) -> Iterator[Casework]:
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    opened = open_casework(Settings.from_env(env), rules)
    yield opened
    opened.close()


@pytest.fixture
def desk(work: Casework) -> Desk:
    return Desk(work, TeamStore(work.store.engine, work.store.keys))


@pytest.fixture
def team(desk: Desk) -> Team:
    return make_team(desk.team)


@pytest.fixture
def accounts(desk: Desk) -> Accounts:
    return Accounts(desk.team, clock=lambda: NOW)


def token_for(accounts: Accounts, actor: Actor) -> str:
    """A personal access token of ``actor``, made by the accounts service as the pages do."""
    user = accounts.store.user(actor.user_id or "")
    assert user is not None
    signed = SignedIn(actor, user, csrf="", needs_code=False, digest="")
    return accounts.new_access_token(signed, "tests")


def mounted(desk: Desk, accounts: Accounts) -> Starlette:
    """The API as the team server mounts it (ApiMount: Starlette's Mount would hand a path
    holding a line break to the outer app, whose 404 is not the API's)."""
    return Starlette(routes=[ApiMount(BASE, app=build_api(desk, accounts, today=lambda: TODAY))])


@pytest.fixture
def app(desk: Desk, accounts: Accounts) -> Starlette:
    return mounted(desk, accounts)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as c:
        yield c


@dataclass(frozen=True)
class Seeded:
    """A team with a complete case of its own (assigned to the preparer) and another
    organisation's case, and a token per member."""

    team: Team
    case_id: str
    foreign_id: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def seeded(desk: Desk, team: Team, accounts: Accounts) -> Seeded:
    case_id, _ = desk.new_case(
        team.owner, read_case(COMPLETE), TODAY, client_ref="C-7", client_name="Jane Doe"
    )
    desk.assign(team.owner, case_id, team.preparer.user_id)
    foreign_id, _ = desk.new_case(team.outsider, read_case(COMPLETE), TODAY, client_ref="Z-1")
    members = {
        "owner": team.owner,
        "preparer": team.preparer,
        "colleague": team.colleague,
        "reviewer": team.reviewer,
        "auditor": team.auditor,
        "outsider": team.outsider,
    }
    tokens = {name: token_for(accounts, actor) for name, actor in members.items()}
    return Seeded(team, case_id, foreign_id, tokens)
