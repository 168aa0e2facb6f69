"""Fault drills (issue 11): kill -9, the database going away, Ctrl-C, an orphaned crawl.

Each drill runs real processes against a small SCO snapshot on 127.0.0.1 whose release pages
answer slowly, so that the fault lands in the middle of a crawl. What must hold afterwards:
every release archived once with a version, no run left `running`, every event delivered
at least once under a stable id, honest statuses and exit codes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import (
    PRESSWATCH,
    DaemonProcess,
    TcpProxy,
    Webhook,
    daemon_config,
    sco_release,
    wait_for,
    write_sco,
)
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crawler.pipelines import STOPPED
from crawler.replay.server import ReplayServer, serve
from scheduler.daemon import _alive
from scheduler.runner import CrawlOptions, CrawlResult, run_crawl, stop_crawl
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, Release, ReleaseVersion

RELEASES = 5  # one listing page of the SCO site (the daemon config walks one)
ONE_AT_A_TIME = "[sources.sco.politeness]\nCONCURRENT_REQUESTS = 1\n"

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_site(tmp_path: Path) -> Iterator[ReplayServer]:
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(n) for n in range(1, RELEASES + 1)], release_delay=0.6)
    with serve(snapshot) as server:
        yield server


def read(url: str, fn):  # type: ignore[no-untyped-def]
    engine, sessions = open_archive(url)
    try:
        with sessions() as session:
            return fn(session)
    finally:
        engine.dispose()


def runs(url: str) -> list[CrawlRun]:
    return read(url, lambda s: list(s.scalars(select(CrawlRun).order_by(CrawlRun.id))))


def releases(url: str) -> int:
    return read(url, lambda s: s.scalar(select(func.count(Release.id))))


def assert_archived_once(url: str, n: int) -> None:
    """``n`` releases, each with one version, current, nothing half-written."""

    def check(session) -> None:  # type: ignore[no-untyped-def]
        rows = session.execute(
            select(Release.id, Release.current_version_id, func.count(ReleaseVersion.id))
            .outerjoin(ReleaseVersion, ReleaseVersion.release_id == Release.id)
            .group_by(Release.id, Release.current_version_id)
        ).all()
        assert len(rows) == n
        assert all(current is not None and versions == 1 for _, current, versions in rows)
        kinds = Counter(session.scalars(select(ChangeEvent.kind)))
        assert kinds == {"new": n}

    read(url, check)


def running_pid(url: str) -> int | None:
    open_runs = [r for r in runs(url) if r.status == "running" and r.pid]
    return open_runs[-1].pid if open_runs else None


def test_kill_9_mid_crawl_twice_then_restart(slow_site: ReplayServer, tmp_path: Path) -> None:
    """kill -9 of the daemon alone, then of the daemon and its crawl (a container kill)."""
    hook = Webhook()
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = daemon_config(tmp_path / "presswatch.toml", slow_site.url, db, hook.url,
                           interval="1h", politeness=ONE_AT_A_TIME)  # fmt: skip
    daemons = []
    try:
        for halfway, container_kill in ((2, False), (4, True)):
            daemon = DaemonProcess(config)
            daemons.append(daemon)
            wait_for(lambda: releases(db) >= halfway, 60, "the crawl to be halfway")  # noqa: B023
            crawl = running_pid(db)
            assert crawl is not None and releases(db) < RELEASES
            if container_kill:
                os.kill(crawl, signal.SIGKILL)
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait()
            wait_for(lambda: not _alive(crawl), 10, "the orphaned crawl to die")  # noqa: B023
            assert runs(db)[-1].status == "running"  # what a crash leaves behind
        last = DaemonProcess(config)
        daemons.append(last)
        wait_for(lambda: len({e["id"] for e in hook.events()}) >= RELEASES, 60, "all events")
        wait_for(lambda: "sco run ok" in last.output(), 30, "the run to end")
        last.terminate(timeout=30)
    finally:
        for daemon in daemons:
            daemon.kill()
        hook.close()
    assert [r.status for r in runs(db)] == ["aborted", "aborted", "ok"]  # made up at once
    assert all("found dead" in (r.health or "") for r in runs(db)[:2])
    assert_archived_once(db, RELEASES)
    delivered = hook.events()
    ids = read(db, lambda s: set(s.scalars(select(ChangeEvent.id))))
    assert {e["id"] for e in delivered} == ids  # each at least once, repeats share their id
    by_id = {e["id"]: e for e in delivered}
    assert all(e == by_id[e["id"]] for e in delivered)


@pytest.mark.parametrize("until", ["mid-crawl", "past the crawl's end"])
def test_database_outage_fails_the_run_and_a_rerun_completes(
    slow_site: ReplayServer, tmp_path: Path, pg_url: str, until: str
) -> None:
    real = make_url(pg_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    db = real.set(port=proxy.port).render_as_string(hide_password=False)
    cmd = [str(PRESSWATCH), "--db", db, "crawl", "sco", "--replay", slow_site.url,
           "--set", "CONCURRENT_REQUESTS=1"]  # fmt: skip
    output = tmp_path / "crawl.out"
    try:
        crawl = subprocess.Popen(cmd, stdout=output.open("w"), stderr=subprocess.STDOUT)
        wait_for(lambda: releases(pg_url) >= 2, 60, "the crawl to be halfway")
        proxy.down()
        time.sleep(1.5)  # a few release pages arrive while the database is away
        if until != "mid-crawl":  # the crawl cannot close its run: its parent must
            wait_for(lambda: "retrying" in output.read_text(), 60, "the parent to wait")
        proxy.up()
        crawl.wait(timeout=60)
        out = output.read_text()
    finally:
        proxy.down()
    assert crawl.returncode == 1, out
    run = runs(pg_url)[-1]
    assert run.status == "failed" and run.counts["write_errors"] >= 1, (run.health, run.counts)
    assert "archive write" in (run.health or "")
    if until != "mid-crawl":
        assert "could not record its end" in (run.health or "")
    lost = RELEASES - releases(pg_url)
    assert lost >= 1
    assert_archived_once(pg_url, releases(pg_url))  # what was written is whole
    if until != "mid-crawl":
        return  # the rerun below is the same for both
    rerun = subprocess.run([*cmd[:2], pg_url, *cmd[3:]], capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout
    assert runs(pg_url)[-1].status == "ok"
    assert_archived_once(pg_url, RELEASES)


def test_ctrl_c_on_crawl_stops_it_and_aborts_its_run(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(1)], delay=120)  # the listing hangs
    db = f"sqlite:///{tmp_path / 'a.db'}"
    with serve(snapshot) as server:
        crawl = subprocess.Popen(
            [str(PRESSWATCH), "--db", db, "crawl", "sco", "--replay", server.url],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            pid = wait_for(lambda: running_pid(db), 60, "the crawl to open its run")
            crawl.send_signal(signal.SIGINT)
            out, _ = crawl.communicate(timeout=15)
        finally:
            crawl.kill()
    assert crawl.returncode == 130, out
    assert "interrupted" in out
    assert [(r.status, r.health) for r in runs(db)] == [("aborted", "stopped by SIGINT")]
    assert not _alive(pid)


def test_sigterm_mid_crawl_records_its_run_aborted_not_ok(
    slow_site: ReplayServer, tmp_path: Path, db_url: str
) -> None:
    """SIGTERM half-way (the daemon stopping, a Scrapyd cancel): the crawl closes its own run
    aborted, with what it archived so far; never ok, which would read as a whole crawl."""
    options = CrawlOptions(replay=slow_site.url, db=db_url, settings={"CONCURRENT_REQUESTS": "1"})
    procs: list[subprocess.Popen[bytes]] = []
    results: list[CrawlResult] = []
    crawl = threading.Thread(target=lambda: results.append(
        run_crawl("sco", options, tmp_path / "crawl.log", on_start=procs.append)
    ))  # fmt: skip
    crawl.start()
    try:
        wait_for(lambda: releases(db_url) >= 2, 60, "the crawl to be halfway")
        stop_crawl(procs[0], grace=30)  # SIGTERM; SIGKILL only if it hangs for 30 s
    finally:
        crawl.join(60)
    [result] = results
    assert result.returncode == 0 and result.progress.status == "aborted", result.progress
    [run] = runs(db_url)
    assert (run.status, run.health) == ("aborted", STOPPED), run.counts
    assert 2 <= run.counts["new"] < RELEASES
    assert_archived_once(db_url, run.counts["new"])


def test_a_crawl_closed_early_by_a_limit_is_failed_not_ok(
    site: tuple[Path, ReplayServer], tmp_path: Path, db_url: str
) -> None:
    """A CLOSESPIDER_* limit (a source's settings) cuts the crawl short: failed, naming it."""
    options = CrawlOptions(replay=site[1].url, db=db_url, settings={"CLOSESPIDER_PAGECOUNT": "2"})
    result = run_crawl("sco", options, tmp_path / "crawl.log", timeout=60)
    [run] = runs(db_url)
    assert result.progress.status == run.status == "failed", run.health
    assert run.health == "closed before its end (closespider_pagecount)"


ORPHAN = """
import sys
from pathlib import Path
from scheduler.runner import CrawlOptions, run_crawl
run_crawl("sco", CrawlOptions(replay=sys.argv[1], db=sys.argv[2]), Path(sys.argv[3]))
"""


def test_crawl_of_a_killed_parent_dies_and_its_secret_stays_off_its_command_line(
    tmp_path: Path, pg_url: str
) -> None:
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(1)], delay=120)
    secret = "pw-s3cret-7Q"
    db = make_url(pg_url).set(password=secret).render_as_string(hide_password=False)
    with serve(snapshot) as server:
        parent = subprocess.Popen([sys.executable, "-c", ORPHAN, server.url, db,
                                   str(tmp_path / "crawl.log")])  # fmt: skip
        try:
            pid = wait_for(lambda: running_pid(pg_url), 60, "the crawl to open its run")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert b"scrapy" in cmdline and secret.encode() not in cmdline
            assert secret.encode() in Path(f"/proc/{pid}/environ").read_bytes()
            parent.send_signal(signal.SIGKILL)
            parent.wait()
            wait_for(lambda: not _alive(pid), 10, "the crawl to die with its parent")
        finally:
            parent.kill()
    assert [r.status for r in runs(pg_url)] == ["running"]  # for the daemon to find dead


def test_two_crawls_at_once_each_report_their_own_run(tmp_path: Path) -> None:
    """An incremental crawl and a --full backfill of one source at once: the one that comes
    second is refused by the source's lock (storage/source_lock.py), with a run of its own."""
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(n) for n in range(1, 4)])
    db = f"sqlite:///{tmp_path / 'a.db'}"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}  # the backfill's JOBDIR
    with serve(snapshot) as server:
        cmd = [str(PRESSWATCH), "--db", db, "crawl", "sco", "--replay", server.url]
        crawls = [
            subprocess.Popen(cmd + extra, stdout=subprocess.PIPE, text=True, env=env)
            for extra in ([], ["--full"])
        ]
        outs = [c.communicate(timeout=90)[0] for c in crawls]
    reported = sorted(int(re.search(r"sco: run (\d+),", out)[1]) for out in outs)  # type: ignore[index]
    assert reported == [r.id for r in runs(db)] and len(set(reported)) == 2, outs
    assert sorted(c.returncode for c in crawls) == [0, 1], outs
    assert sum("crawl refused: another crawl of sco holds its lock" in o for o in outs) == 1
    assert_archived_once(db, 3)
