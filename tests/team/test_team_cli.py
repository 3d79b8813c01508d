"""The team's commands: setting up the organisation, listing members, and a reset link for an
owner locked out, which then works once on the reset page's service."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cocflow.cli import app
from cocflow.io.settings import Settings
from cocflow.services.accounts import Accounts
from cocflow.services.cases import open_casework
from cocflow.services.screening import rules_for
from cocflow.store.team import TeamStore

PASSWORD = "correct horse battery staple 42"


def _init(env: dict[str, str]) -> CliRunner:
    """``cocflow team init`` for Rivera & Co, its owner ana@rivera.example."""
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["team", "init", "--organisation", "Rivera & Co", "--email", "ana@rivera.example"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    return runner


def test_init_members_and_a_reset_link_that_works(tmp_path: Path) -> None:
    env = {"COCFLOW_HOME": str(tmp_path / "home")}
    runner = _init(env)
    listed = runner.invoke(app, ["team", "members"], env=env)
    assert "Rivera & Co" in listed.output and "ana@rivera.example  owner" in listed.output
    unknown = runner.invoke(app, ["team", "reset-link", "nobody@rivera.example"], env=env)
    assert unknown.exit_code == 2 and "no member" in unknown.output
    link = runner.invoke(app, ["team", "reset-link", "ANA@rivera.example"], env=env)
    assert link.exit_code == 0, link.output
    secret = link.output.strip().split("token=")[1]
    settings = Settings.from_env(env)
    work = open_casework(settings, rules_for(settings))
    try:
        accounts = Accounts(TeamStore(work.store.engine, work.store.keys))
        accounts.reset_password(secret, "a brand new long passphrase")
        assert accounts.sign_in("ana@rivera.example", "a brand new long passphrase") is not None
        (entry,) = [e for e in accounts.store.audit_entries() if e.action == "password.reset_link"]
        assert entry.actor is None and entry.detail == {"by": "command line"}
    finally:
        work.close()


def test_a_team_store_is_not_served_without_sign_in(tmp_path: Path) -> None:
    env = {"COCFLOW_HOME": str(tmp_path / "home")}
    runner = _init(env)
    refused = runner.invoke(app, ["serve", "--no-browser"], env=env)
    assert refused.exit_code == 2
    assert "cocflow serve --team" in refused.output and "Traceback" not in refused.output
