"""Shared fixtures: an archive on SQLite and on PostgreSQL for every storage test.

PostgreSQL is 127.0.0.1:5432 database ``test`` (trust auth) or PRESSWATCH_TEST_POSTGRES_URL.
Each test gets a schema of its own, dropped afterwards; the user's data is never touched.
Set PRESSWATCH_TEST_POSTGRES=skip to run without a PostgreSQL server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.archive import Archive
from storage.db import open_archive

PG_URL = os.environ.get(
    "PRESSWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_server() -> str:
    if os.environ.get("PRESSWATCH_TEST_POSTGRES") == "skip":
        pytest.skip("PRESSWATCH_TEST_POSTGRES=skip")
    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means the same to the user
        pytest.fail(
            f"PostgreSQL at {PG_URL} unreachable ({exc}); set PRESSWATCH_TEST_POSTGRES=skip"
        )
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test's own."""
    schema = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_server).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    engine, sessions = open_archive(db_url)
    yield Archive(sessions)
    engine.dispose()


@pytest.fixture(scope="session")
def web_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """The demo snapshot crawled plus a hostile release (tests/web_support.py): URL and its id."""
    from web_support import build_web_archive

    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's folder is in the run's own: built there once for them all.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return build_web_archive(shared)


@pytest.fixture(scope="session")
def web_client(web_archive: tuple[str, int]) -> Iterator[Any]:
    """A test client of the web view reading ``web_archive``."""
    import warnings

    from web_support import CONFIG

    from presswatch.web.app import create_app
    from storage.db import open_read_only

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx
        from starlette.testclient import TestClient
    engine, sessions = open_read_only(web_archive[0])
    yield TestClient(create_app(sessions, CONFIG))
    engine.dispose()


@pytest.fixture
def site(tmp_path) -> Iterator[tuple[Any, Any]]:
    """A three-release SCO snapshot served on 127.0.0.1: its folder and the replay server."""
    from daemon_support import sco_release, write_sco

    from crawler.replay.server import serve

    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(n) for n in range(1, 4)])
    with serve(snapshot) as server:
        yield snapshot, server
