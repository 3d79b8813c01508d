from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cocflow.rules.loader import RuleBook, load_rules

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="session")
def rules() -> RuleBook:
    return load_rules()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh COCFLOW_HOME (local SQLite store, key file) with no outside settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("COCFLOW_HOME", str(home))
    for name in ("COCFLOW_DATABASE_URL", "COCFLOW_KEY", "COCFLOW_RULES_DIR"):
        monkeypatch.delenv(name, raising=False)
    # A key made beforehand, as after a first run (the first-run notice has its own test).
    from cocflow.store.crypto import new_key_text

    home.mkdir(mode=0o700)
    key = home / "key"
    key.write_text(new_key_text() + "\n")
    key.chmod(0o600)
    return home


def cli(*args: str, code: int = 0) -> str:
    """Run the command line; check its exit status; return what it printed."""
    from typer.testing import CliRunner

    from cocflow.cli.app import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout + result.stderr


POSTGRES_URL = os.environ.get(
    "COCFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        dsn = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, connect_timeout=3):
            return None
    except Exception as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind: SQLite in tmp_path, a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cocflow.db'}"
        return
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {problem}"
        if os.environ.get("COCFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message + " (set COCFLOW_TEST_POSTGRES_URL, or run .ci/run)")
    import sqlalchemy

    schema = f"t_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
