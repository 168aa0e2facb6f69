"""One daemon per archive: a lock the daemon holds for as long as it runs.

Two daemons on one archive would run every crawl twice and race on notifications. The lock
is released by the operating system or the database server when its holder dies, SIGKILL
included, so a crashed daemon never blocks the next one.

- SQLite: an exclusive ``flock`` on a file beside the database (``presswatch.db.lock``),
  holding the holder's pid for the message. The path is resolved to the real file first
  (symlinks, ``file:`` URIs with ``?uri=true``, relative paths), so every way of naming one
  database finds the same lock.
- PostgreSQL: a session advisory lock, keyed on the schema, on a connection of its own.
- Other databases, and SQLite in memory: no lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

from storage.db import sqlite_file
from storage.source_lock import advisory_lock, advisory_unlock

ADVISORY_KEY = "hashtext('presswatch-daemon:' || current_schema())"
# The session holding that lock: pg_locks splits a bigint key into classid (high) and objid.
ADVISORY_HOLDER = f"""
SELECT l.pid, a.client_addr FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND ((l.classid::bigint << 32) | l.objid::bigint) = {ADVISORY_KEY}::bigint
"""


class DaemonRunning(Exception):
    """Another daemon holds the archive's lock."""


class ArchiveLock:
    """``acquire()`` or raise DaemonRunning; ``release()`` when the daemon stops."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def _file_path(self) -> Path | None:
        database = sqlite_file(self.engine.url)
        return database.with_name(f"{database.name}.lock") if database else None

    def acquire(self) -> None:
        if path := self._file_path():
            self._lock_file(path)
        elif self.engine.url.get_backend_name() == "postgresql":
            self._lock_advisory()

    def holder(self) -> str | None:
        """Who holds the lock ("pid 123", "PostgreSQL session 456 from 10.0.0.2"), or None.

        Only looks: a daemon starting meanwhile is not disturbed.
        """
        if path := self._file_path():
            try:
                pid = int(path.read_text(encoding="utf-8").strip() or 0)
            except (OSError, ValueError):
                return None
            return f"pid {pid}" if pid and _alive(pid) else None
        if self.engine.url.get_backend_name() == "postgresql":
            with self.engine.connect() as conn:
                row = conn.execute(text(ADVISORY_HOLDER)).first()
            if row is not None:
                return f"PostgreSQL session {row.pid}" + (
                    f" from {row.client_addr}" if row.client_addr else ""
                )
        return None

    def _lock_file(self, path: Path) -> None:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise DaemonRunning(
                f"another presswatch daemon (pid {holder}) is running on this archive "
                f"(lock file {path})"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def _lock_advisory(self) -> None:
        self._conn = advisory_lock(self.engine, ADVISORY_KEY)
        if self._conn is None:
            raise DaemonRunning(
                "another presswatch daemon is running on this archive "
                "(it holds the PostgreSQL advisory lock 'presswatch-daemon')"
            )

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            self._file.close()  # closing the file releases the flock
            self._file = None
        if self._conn is not None:
            advisory_unlock(self._conn, ADVISORY_KEY)
            self._conn = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    return True
