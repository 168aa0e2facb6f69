"""One daemon per archive: the lock, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from scheduler.lock import ArchiveLock, DaemonRunning
from storage.db import make_engine


def test_a_second_holder_is_refused_until_the_first_releases(db_url: str) -> None:
    first_engine, second_engine = make_engine(db_url), make_engine(db_url)
    first, second = ArchiveLock(first_engine), ArchiveLock(second_engine)
    try:
        assert second.holder() is None
        first.acquire()
        with pytest.raises(DaemonRunning, match="another presswatch daemon") as refused:
            second.acquire()
        if db_url.startswith("sqlite"):
            assert f"(pid {os.getpid()})" in str(refused.value)
            assert second.holder() == f"pid {os.getpid()}"
        else:
            assert (second.holder() or "").startswith("PostgreSQL session ")
        first.release()
        assert second.holder() is None
        second.acquire()  # free again: the lock went with the first holder
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_the_advisory_lock_is_per_schema(pg_url: str, pg_server: str) -> None:
    """Archives in two schemas of one PostgreSQL database each have a daemon of their own."""
    engines = [make_engine(pg_url), make_engine(pg_server)]
    locks = [ArchiveLock(engine) for engine in engines]
    try:
        for lock in locks:
            lock.acquire()
    finally:
        for lock, engine in zip(locks, engines, strict=True):
            lock.release()
            engine.dispose()


def test_a_lock_file_left_by_a_killed_daemon_names_no_holder(tmp_path) -> None:
    """SIGKILL leaves the pid in the file; the process is gone, so nobody holds the lock."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / "archive.db.lock").write_text(f"{gone.pid}\n", encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.db'}")
    lock = ArchiveLock(engine)
    assert lock.holder() is None
    lock.acquire()  # and the next daemon takes it over
    assert lock.holder() == f"pid {os.getpid()}"
    lock.release()
    engine.dispose()


def test_every_name_of_one_sqlite_file_finds_the_same_lock(tmp_path, monkeypatch) -> None:
    """A symlink, a ``file:`` URI or a relative path do not start a second daemon."""
    real = tmp_path / "data" / "archive.db"
    real.parent.mkdir()
    (tmp_path / "link.db").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    names = [
        "sqlite:///link.db",
        f"sqlite:///file:{tmp_path / 'link.db'}?uri=true&mode=rwc",
        f"sqlite:///file://{tmp_path / 'data' / 'archive.db'}?uri=true",
        "sqlite:///data/../data/archive.db",
    ]
    holder_engine = make_engine(f"sqlite:///{real}")
    holder = ArchiveLock(holder_engine)
    holder.acquire()
    try:
        for name in names:
            engine = make_engine(name)
            with pytest.raises(DaemonRunning, match=f"lock file {real}.lock"):
                ArchiveLock(engine).acquire()
            assert ArchiveLock(engine).holder() == f"pid {os.getpid()}", name
            engine.dispose()
    finally:
        holder.release()
        holder_engine.dispose()
    memory = make_engine("sqlite:///file::memory:?uri=true")
    assert ArchiveLock(memory)._file_path() is None  # nothing to share, nothing to lock
    memory.dispose()


def test_a_second_daemon_through_a_symlink_is_refused(tmp_path) -> None:
    real = tmp_path / "archive.db"
    (tmp_path / "link.db").symlink_to(real)
    engine = make_engine(f"sqlite:///{real}")
    lock = ArchiveLock(engine)
    lock.acquire()
    try:
        second = subprocess.run(
            [sys.executable, "-c", "from presswatch.cli import main; main()", "--db", f"sqlite:///{tmp_path / 'link.db'}",
             "daemon", "--once"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
    finally:
        lock.release()
        engine.dispose()
    assert second.returncode == 1, second.stderr
    assert f"another presswatch daemon (pid {os.getpid()})" in second.stdout + second.stderr
    assert "Traceback" not in second.stderr
