"""Engine and sessions from one database URL, and the schema kept at Alembic's head.

The database is, first found: the ``url`` argument (``--db``), ``PRESSWATCH_DATABASE_URL``,
or a SQLite file ``presswatch.db`` in the user's data directory (``default_database_path()``).
Either may be a URL or a plain path to a SQLite file. Only the default data folder is
created; a path in a folder that does not exist is an error. SQLite runs in WAL mode with a
busy timeout and takes its write lock when a transaction begins, because the daemon and its
crawls write one file from several processes. Alembic is imported only when the archive is
behind the newest migration: opening an up-to-date archive reads one row.
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = "PRESSWATCH_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).parent / "migrations"
_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")  # user:password@ in a URL


class DatabaseError(Exception):
    """The archive cannot be opened: bad URL, unreachable server, unwritable file."""


def default_database_path() -> Path:
    return user_data_path("presswatch", appauthor=False) / "presswatch.db"


def database_url(url: str | None = None) -> str:
    """The URL the archive uses, as documented above; a plain path becomes a SQLite URL."""
    raw = url or os.environ.get(ENV_URL) or str(default_database_path())
    if "://" in raw or raw.startswith("sqlite:"):
        return raw
    return f"sqlite:///{Path(raw).expanduser().absolute()}"


def display_url(url: str | URL | None = None) -> str:
    """The database URL with its password masked: the only form printed or logged."""
    if not isinstance(url, URL):
        raw = database_url(url)
        try:
            url = make_url(raw)
        except ArgumentError:
            return _USERINFO_PASSWORD.sub(r"\1***@", raw)
    return url.render_as_string(hide_password=True)


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


def _check_sqlite_folder(database: str, default: bool) -> None:
    """Create the default data folder; any other folder must exist already."""
    if database.startswith("file:"):  # an SQLite URI filename (``?uri=true``)
        database = urlsplit(database).path
        if database in ("", ":memory:"):
            return
    folder = Path(database).expanduser().absolute().parent
    if default:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the data folder {folder}: {exc.strerror}") from None
    elif folder.exists() and not folder.is_dir():
        raise DatabaseError(f"cannot open {database}: {folder} is not a folder")
    elif not folder.exists():
        raise DatabaseError(f"cannot open {database}: the folder {folder} does not exist")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see database_url); raises DatabaseError for a bad URL."""
    raw = database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            f"not a database URL or path: {display_url(raw)!r} (e.g. /path/pw.db, sqlite:///pw.db, "
            "postgresql://user@host/db)"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        explicit = url or os.environ.get(ENV_URL)
        _check_sqlite_folder(parsed.database, default=not explicit)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"cannot use database {display_url(parsed)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_head() -> str:
    """The newest migration's revision: migrations are named ``<revision>_<what>.py``.

    Read as package resources, so a crawl from a zipped Scrapyd egg knows it too.
    """
    versions = files("storage.migrations").joinpath("versions").iterdir()
    return max(p.name.split("_", 1)[0] for p in versions if re.fullmatch(r"\d+_\w+\.py", p.name))


def schema_revision(engine: Engine) -> str | None:
    """The archive's Alembic revision (None: an empty database), in one cheap query."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest migration; True when anything was applied."""
    try:
        revision = schema_revision(engine)
        if revision == schema_head():
            return False
        if not MIGRATIONS.is_dir():  # a zipped egg on a Scrapyd node: Alembic needs files
            found = f"at schema {revision}" if revision else "empty"
            raise DatabaseError(
                f"{display_url(engine.url)} is {found}, not {schema_head()}, and a crawl on a "
                "Scrapyd node does not migrate: run `presswatch db upgrade` first"
            )
        from alembic import command

        command.upgrade(alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(describe_error(exc, engine.url)) from None
    return True


def open_archive(url: str | None = None, **kwargs: Any) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for the archive, migrated to the newest schema."""
    engine = make_engine(url, **kwargs)
    try:
        upgrade(engine)
    except DatabaseError:
        engine.dispose()
        raise
    return engine, sessionmaker(engine, expire_on_commit=False)


def _deferred_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")  # a read transaction: never waits for the write lock


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    dbapi_connection.commit()


def open_read_only(url: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and sessions that only read the archive (the web view), never migrating it.

    Raises DatabaseError when the archive is unreachable or not at the newest schema.
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        path = engine.url.database or ""
        if (
            path
            and not path.startswith("file:")
            and path != ":memory:"
            and not Path(path).is_file()
        ):
            raise DatabaseError(f"no archive at {path}: crawl first, or give --db")
        event.remove(engine, "begin", _sqlite_begin)
        event.listen(engine, "begin", _deferred_begin)
        event.listen(engine, "connect", _sqlite_query_only)
    else:
        event.listen(engine, "connect", _postgres_read_only)
    try:
        revision = schema_revision(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(describe_error(exc, engine.url)) from None
    if revision != schema_head():
        engine.dispose()
        found = f"at schema {revision}" if revision else "empty (no presswatch archive)"
        raise DatabaseError(
            f"{display_url(engine.url)} is {found}, not {schema_head()}: "
            "run `presswatch db upgrade` first"
        )
    return engine, sessionmaker(engine, expire_on_commit=False)


def describe_error(exc: BaseException, url: URL | None = None) -> str:
    """A database failure in one line a user can act on, with the password masked."""
    reason = _first_line(exc)
    if url is not None and url.password:
        reason = reason.replace(str(url.password), "***")
    if url is not None and url.get_backend_name() == "sqlite":
        if "not a database" in reason:
            return f"{url.database} is not a presswatch archive (not a SQLite database)"
        return f"cannot open the SQLite archive {url.database}: {reason}"
    if (isinstance(exc, DBAPIError) and exc.connection_invalidated) or "connect" in reason:
        return f"cannot reach the database {display_url(url)}: {reason}"
    return f"database error: {reason}"


def archive_id(engine: Engine) -> str | None:
    """The archive's identity (migration 0009); None for an archive without one (or empty)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "archive_identity"):
            return None
        return conn.execute(text("SELECT id FROM archive_identity")).scalar()


def sqlite_file(url: URL) -> Path | None:
    """The real file of a SQLite URL (symlinks and ``file:`` URIs resolved); None in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        if url.query.get("mode") == "memory" or database == "file::memory:":
            return None
        database = unquote(urlsplit(database).path)
    return Path(database).expanduser().resolve()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
