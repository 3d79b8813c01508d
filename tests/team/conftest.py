"""A team's store on each kind of database, with a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.accounts import Accounts
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from tests.team.pages import PASSWORD, Site
from tests.team.support import Team, make_team

OWNER_PASSWORD = "correct horse battery staple 42"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def team_work(database_url: str, tmp_path: Path, rules: RuleBook) -> Iterator[Casework]:
    env = {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    opened = open_casework(Settings.from_env(env), rules)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(team_work: Casework, clock: Clock) -> Accounts:
    return Accounts(TeamStore(team_work.store.engine, team_work.store.keys), clock=clock)


@pytest.fixture
def desk(team_work: Casework) -> Desk:
    return Desk(team_work, TeamStore(team_work.store.engine, team_work.store.keys))


@pytest.fixture
def team(desk: Desk) -> Team:
    return make_team(desk.team)


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    settings = Settings.from_env(
        {"COCFLOW_HOME": str(tmp_path / "home"), "COCFLOW_DATABASE_URL": database_url}
    )
    work = open_casework(settings, rules_for(settings))
    accounts = Accounts(TeamStore(work.store.engine, work.store.keys))
    accounts.create_organisation("Rivera & Co", "ana@rivera.example", "Ana Rivera", PASSWORD)
    accounts.create_organisation("Elsewhere LLP", "zoe@elsewhere.example", "Zoe Park", PASSWORD)
    work.close()
    opened = Site(settings)
    yield opened
    opened.close()
