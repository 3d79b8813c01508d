"""Opening the database: the engine, SQLite's safety pragmas, and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from cocflow.errors import CocflowError

__all__ = ["StoreUnavailable", "database_exists", "open_engine", "sqlite_url"]

SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA secure_delete = ON",
)


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'cocflow.db'}"


def _pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class StoreUnavailable(CocflowError):
    """The database cannot be opened or reached."""


def open_engine(url: str) -> Engine:
    """An engine for ``url`` with the schema migrated to the newest version."""
    try:
        return _open(url)
    except (ArgumentError, NoSuchModuleError, OperationalError, ImportError, OSError) as exc:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "(not a database URL)"
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise StoreUnavailable(
            f"cannot open the database {shown}: {first}. Check "
            f"COCFLOW_DATABASE_URL (e.g. postgresql+psycopg://user@host/db) "
            f"or COCFLOW_HOME."
        ) from None


def _open(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _pragmas)
        # Let SQLAlchemy's transaction control the database's (pysqlite's own is off).
        event.listen(engine, "connect", lambda c, _: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _migrate(engine)
    return engine


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "cocflow.store:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def database_exists(engine: Engine) -> bool:
    """Whether the database already holds cases (so a new key must not be made)."""
    from sqlalchemy import text

    if not inspect(engine).has_table("cases"):
        return False
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1 FROM cases LIMIT 1")).first() is not None
