"""One crawl per source at a time, wherever it runs: a lock the crawl itself holds.

The daemon runs one job per source, but a crawl orphaned on a node whose Scrapyd died, a
second daemon or a crawl started by hand could still run a source twice at once. So every
crawl takes its source's lock before it opens its run and keeps it until the run is closed;
a second crawl is refused. The server or the operating system drops the lock when its
holder dies (SIGKILL, a lost connection included), so a running run whose lock is free
belongs to a dead crawl: the daemon reads it that way (``held()``).

- PostgreSQL: a session advisory lock keyed on the schema and the source, on a connection
  of its own.
- SQLite: an exclusive ``flock`` on ``presswatch.db.SOURCE.lock`` beside the file.
- Other databases, and SQLite in memory: no lock.
"""

from __future__ import annotations

import fcntl
from contextlib import suppress
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import sqlite_file
from storage.models import CrawlRun, Source

_KEY = "hashtext('presswatch-crawl:' || current_schema() || ':' || :source)"
_HELD = f"""
SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
  AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = {_KEY}::bigint)
"""


def advisory_lock(
    engine: Engine, key: str, params: dict[str, str] | None = None
) -> Connection | None:
    """A connection of its own holding the session advisory lock ``key`` (an SQL expression
    bound with ``params``); None when another session holds it (scheduler.lock too)."""
    conn = engine.connect()
    locked = conn.execute(text(f"SELECT pg_try_advisory_lock({key})"), params).scalar()
    conn.commit()  # a session lock outlives the transaction that took it
    if not locked:
        conn.close()
        return None
    return conn


def advisory_unlock(conn: Connection, key: str, params: dict[str, str] | None = None) -> None:
    """Release ``advisory_lock``'s lock and end its session."""
    # Unlocked before the session ends, so the lock is free when this returns (the server
    # ends a closed session a moment later, not at once).
    with suppress(SQLAlchemyError):
        conn.execute(text(f"SELECT pg_advisory_unlock({key})"), params)
    conn.invalidate()  # closes the session for good (not back to the pool),
    conn.close()  # which releases the advisory lock


class SourceBusy(Exception):
    """Another crawl of the source holds its lock."""


class SourceLock:
    """``acquire()`` or raise SourceBusy; ``release()`` once the run is closed."""

    def __init__(self, engine: Engine, source: str) -> None:
        self.engine = engine
        self.source = source
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def _path(self) -> Path | None:
        database = sqlite_file(self.engine.url)
        return database.with_name(f"{database.name}.{self.source}.lock") if database else None

    def _postgres(self) -> bool:
        return self.engine.url.get_backend_name() == "postgresql"

    def acquire(self) -> None:
        if path := self._path():
            handle = path.open("a", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise SourceBusy(self._busy()) from None
            self._file = handle
        elif self._postgres():
            self._conn = advisory_lock(self.engine, _KEY, {"source": self.source})
            if self._conn is None:
                raise SourceBusy(self._busy())

    def _busy(self) -> str:
        """Why a crawl is refused, naming the newest running run of the source."""
        query = (
            select(CrawlRun.id, CrawlRun.job, CrawlRun.host, CrawlRun.pid)
            .join(Source)
            .where(Source.key == self.source, CrawlRun.status == "running")
            .order_by(CrawlRun.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        holder = ""
        if row is not None:
            job = f" (Scrapyd job {row.job})" if row.job else ""
            holder = f": run {row.id}{job}, pid {row.pid} on {row.host}"
        return f"another crawl of {self.source} holds its lock{holder}"

    def held(self) -> bool:
        """Whether some crawl holds the lock now (only looks; False without a lock)."""
        if path := self._path():
            if not path.exists():
                return False
            with path.open("a", encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
                return False
        if self._postgres():
            with self.engine.connect() as conn:
                return bool(conn.execute(text(_HELD), {"source": self.source}).scalar())
        return False

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the flock
            self._file = None
        if self._conn is not None:
            advisory_unlock(self._conn, _KEY, {"source": self.source})
            self._conn = None
