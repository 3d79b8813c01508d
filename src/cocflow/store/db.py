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


def _begin(conn: Any) -> None:
    """Writers take SQLite's write lock up front (no deadlock on upgrade); readers do not."""
    read = conn.get_execution_options().get("cocflow_read", False)
    conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


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
        event.listen(engine, "begin", _begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _migrate(engine)
    return engine


# Any fixed number: every cocflow process that migrates a PostgreSQL database takes this lock.
_MIGRATION_LOCK = 0x636F63666C6F77  # "cocflow"


def _migrate(engine: Engine) -> None:
    """Bring the schema to the newest version, once, even when processes start together.

    A store already at the newest version is only read (a read-only or full store still opens).
    On PostgreSQL the upgrade runs under a transaction-level advisory lock, so concurrent first
    runs wait for one another instead of creating the same tables twice; SQLite's
    ``BEGIN IMMEDIATE`` serialises them the same way.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "cocflow.store:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect().execution_options(cocflow_read=True) as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def database_exists(engine: Engine) -> bool:
    """Whether the database already holds cases (so a new key must not be made)."""
    from sqlalchemy import text

    if not inspect(engine).has_table("cases"):
        return False
    with engine.connect().execution_options(cocflow_read=True) as connection:
        return connection.execute(text("SELECT 1 FROM cases LIMIT 1")).first() is not None
