"""Engine and sessions from one database URL, and the schema kept at Alembic's head.

The URL is, first found: the ``url`` argument (``--db``), ``PRESSWATCH_DATABASE_URL``, or a
SQLite file ``presswatch.db`` in the user's data directory (``default_database_path()``).
SQLite runs in WAL mode with a busy timeout and takes its write lock when a transaction
begins, because the daemon and its crawls write one file from several processes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

ENV_URL = "PRESSWATCH_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """The archive cannot be opened: bad URL, unreachable server, unwritable file."""


def default_database_path() -> Path:
    return user_data_path("presswatch", appauthor=False) / "presswatch.db"


def database_url(url: str | None = None) -> str:
    """The URL the archive uses, as documented above."""
    return url or os.environ.get(ENV_URL) or f"sqlite:///{default_database_path()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock up front: a deferred transaction that later writes can fail with
    # "database is locked" at once instead of waiting out the busy timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see database_url); raises DatabaseError for a bad URL."""
    raw = database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {raw!r}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use database {parsed.render_as_string()}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest migration; True when anything was applied."""
    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return False
        command.upgrade(config, "head")
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database: {_first_line(exc)}") from exc
    return True


def open_archive(url: str | None = None, **kwargs: Any) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for the archive, migrated to the newest schema."""
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
