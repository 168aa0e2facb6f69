"""One crawl per source at a time: the lock a crawl holds (storage/source_lock.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daemon_support import sco_release, wait_for, write_sco
from sqlalchemy import select, update

from crawler.replay.server import serve
from scheduler.runner import CrawlOptions, run_crawl
from storage import notifications as store
from storage.archive import start_run
from storage.db import make_engine, open_archive
from storage.models import CrawlRun
from storage.source_lock import SourceBusy, SourceLock

HOLD = """
import sys, time
from storage.db import make_engine
from storage.source_lock import SourceLock
lock = SourceLock(make_engine(sys.argv[1]), "sco")
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_crawl_of_a_source_is_refused_until_the_first_releases(db_url: str) -> None:
    engine, sessions = open_archive(db_url)
    other = make_engine(db_url)
    with sessions.begin() as session:
        run = start_run(session, "sco", job="job-1")
    first = SourceLock(engine, "sco")
    first.acquire()
    try:
        with pytest.raises(SourceBusy) as refused:
            SourceLock(other, "sco").acquire()
        assert str(refused.value).startswith(
            f"another crawl of sco holds its lock: run {run} (Scrapyd job job-1), pid "
        )
        assert SourceLock(other, "sco").held()
        SourceLock(other, "osce").acquire()  # another source is not held up
    finally:
        first.release()
    assert not SourceLock(other, "sco").held()
    second = SourceLock(other, "sco")
    second.acquire()
    second.release()
    engine.dispose()
    other.dispose()


def test_a_killed_holder_frees_the_lock(db_url: str) -> None:
    engine, _ = open_archive(db_url)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, db_url], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        assert SourceLock(engine, "sco").held()
    finally:
        holder.kill()
        holder.wait()
    wait_for(lambda: not SourceLock(engine, "sco").held(), 10, "the lock freed by the kill")
    engine.dispose()


def test_a_remote_run_whose_lock_is_free_is_found_dead(db_url: str) -> None:
    engine, sessions = open_archive(db_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        ids = [start_run(session, "sco", now=now - timedelta(minutes=1)) for _ in range(2)]
        session.execute(update(CrawlRun).values(host="node-a"))
    with sessions.begin() as session:
        kept = store.abort_stale_runs(session, "here", lambda _: True, {"sco": 3600},
                                      locked=lambda _: True)  # fmt: skip
        assert kept == []
        stale = store.abort_stale_runs(session, "here", lambda _: True, {"sco": 3600},
                                       locked=lambda _: False)  # fmt: skip
        assert sorted(r.id for r in stale) == ids
        assert stale[0].health == "found dead: no crawl of sco holds its lock (run of node-a)"
    engine.dispose()


@pytest.mark.slow
def test_a_crawl_of_a_locked_source_is_recorded_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(1)])
    engine, sessions = open_archive(db)
    lock = SourceLock(engine, "sco")
    lock.acquire()
    try:
        with serve(snapshot) as server:
            result = run_crawl("sco", CrawlOptions(replay=server.url, db=db), tmp_path / "c.log",
                               timeout=120)  # fmt: skip
    finally:
        lock.release()
    with sessions() as session:
        [run] = session.scalars(select(CrawlRun))
    assert result.ok and result.progress.status == "failed"
    assert run.status == "failed"
    assert run.health == "crawl refused: another crawl of sco holds its lock"
    assert run.counts.get("requests") == 0  # refused before a page was fetched
    engine.dispose()
