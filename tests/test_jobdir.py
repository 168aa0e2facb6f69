"""One backfill per JOBDIR (crawler.jobdir): a second --full of a source is refused at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.jobdir import LOCK_NAME, JobDirBusy, lock_jobdir
from crawler.replay.demo import DEMO_SNAPSHOT
from crawler.replay.server import serve
from scheduler.runner import CrawlOptions, run_crawl


def test_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    jobdir = tmp_path / "backfill" / "osce"
    held = lock_jobdir(jobdir)
    with pytest.raises(JobDirBusy, match=f"pid {os.getpid()}.*{jobdir}"):
        lock_jobdir(jobdir)
    held.close()
    lock_jobdir(jobdir).close()


HOLD = """
import sys
from pathlib import Path
from crawler.jobdir import lock_jobdir
held = lock_jobdir(Path(sys.argv[1]))
print("held", flush=True)
sys.stdin.read()
"""


def test_lock_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    with pytest.raises(JobDirBusy, match=f"pid {holder.pid}"):
        lock_jobdir(tmp_path)
    holder.kill()
    holder.wait()
    lock_jobdir(tmp_path).close()


def test_lock_survives_its_directory_being_deleted(tmp_path: Path) -> None:
    """A finished holder deletes the JOBDIR while a newcomer opened the old lock file."""
    jobdir = tmp_path / "job"
    first = lock_jobdir(jobdir)
    stale = (jobdir / LOCK_NAME).open("a+")  # the newcomer's open, before the delete
    (jobdir / LOCK_NAME).unlink()
    jobdir.rmdir()
    first.close()
    second = lock_jobdir(jobdir)  # a new file: the stale inode no longer counts
    with pytest.raises(JobDirBusy):
        lock_jobdir(jobdir)
    stale.close()
    second.close()


def test_second_backfill_is_refused_and_a_finished_one_cleans_up(tmp_path: Path) -> None:
    backfill = tmp_path / "backfill"
    state = backfill / "osce" / "requests.seen"
    state.parent.mkdir(parents=True)
    state.write_text("the running backfill's state\n")
    options = CrawlOptions(db=f"sqlite:///{tmp_path / 'a.db'}", full=True, jobdir=backfill)
    with serve(DEMO_SNAPSHOT) as server:
        options.replay = server.url
        held = lock_jobdir(backfill / "osce")  # a backfill of osce is running
        refused = run_crawl("osce", options, tmp_path / "refused.log", timeout=120)
        log = (tmp_path / "refused.log").read_text()
        assert "osce crawl refused: another backfill (pid" in log
        assert "(backfill_running)" in log and "Traceback" not in log
        assert len(server.requests) == 0 and refused.counts.get("items", 0) == 0
        assert refused.progress.status == "failed"
        assert (refused.progress.reason or "").startswith("crawl refused: another backfill")
        assert state.read_text() == "the running backfill's state\n"
        held.close()
        state.unlink()
        assert run_crawl("osce", options, tmp_path / "full.log", timeout=120).ok
    log = (tmp_path / "full.log").read_text()
    assert "Traceback" not in log and "Spider closed (finished)" in log
    assert not (backfill / "osce").exists()  # a finished backfill starts afresh next time
