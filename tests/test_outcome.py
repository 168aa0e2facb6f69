"""Run outcomes: the one rule (storage.outcome), runs settled by their parent, stale runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from crawler import pipelines
from presswatch.cli import main
from presswatch.config import parse_config
from scheduler import daemon as daemon_module
from scheduler import runner
from scheduler.daemon import _alive
from storage import notifications as store
from storage.archive import finish_run, start_run
from storage.db import open_archive
from storage.models import CrawlRun
from storage.outcome import RunOutcome, decide

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("counts", "kwargs", "expected"),
    [
        ({"items": 10, "release_pages": 10, "listing_pages": 1}, {}, RunOutcome("ok", None)),
        ({"release_pages": 10, "page_errors": 3, "listing_pages": 1}, {},
         RunOutcome("unhealthy", "3 of 10 release pages failed")),
        ({"release_pages": 10, "page_errors": 5, "listing_pages": 1}, {},
         RunOutcome("failed", "5 of 10 release pages failed")),
        ({"release_pages": 10, "write_errors": 1, "listing_pages": 1}, {},
         RunOutcome("failed", "1 archive write dropped")),
        ({"listing_errors": 1, "listing_pages": 0}, {"first_listing_error": "HTTP 503"},
         RunOutcome("failed", "listing page failed: HTTP 503")),
        ({"listing_errors": 2, "listing_pages": 0}, {},
         RunOutcome("failed", "every listing page failed (2)")),
        ({"listing_errors": 1, "listing_pages": 2, "release_pages": 4}, {},
         RunOutcome("unhealthy", "1 later listing page failed")),
        ({"release_pages": 4, "page_errors": 1}, {"ended": "crawl exited with 3"},
         RunOutcome("failed", "crawl exited with 3; 1 of 4 release pages failed")),
        ({"release_pages": 4, "page_errors": 2}, {"aborted": "stopped by SIGINT"},
         RunOutcome("aborted", "stopped by SIGINT; 2 of 4 release pages failed")),
        ({"skipped_robots": 7, "release_pages": 3, "listing_pages": 1}, {},
         RunOutcome("ok", None)),  # obeying robots.txt is policy, never an error
    ],
)  # fmt: skip
def test_decide(counts: dict[str, int], kwargs: dict[str, str], expected: RunOutcome) -> None:
    assert decide(counts, **kwargs) == expected


def test_coverage_problems_make_a_run_unhealthy_after_its_failures() -> None:
    outcome = decide({"release_pages": 4, "page_errors": 2}, ["title coverage 50% < 90%"])
    assert outcome == RunOutcome("failed", "2 of 4 release pages failed; title coverage 50% < 90%")
    assert decide({}, ["no release found on the listing pages"]).status == "unhealthy"


def test_runner_reads_progress_without_crawler_code() -> None:
    assert runner.PROGRESS_PREFIX == pipelines.PROGRESS_PREFIX
    code = "import sys, scheduler.daemon; print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'crawler')))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    progress = runner.Progress()
    assert not progress.read("2026 INFO something")
    assert not progress.read(pipelines.PROGRESS_PREFIX + '{"run": 7, "cou')  # cut by a kill
    assert progress.read(pipelines.PROGRESS_PREFIX + json.dumps({"run": 7, "counts": {"new": 2}}))
    assert (progress.run_id, progress.counts, progress.status) == (7, {"new": 2}, None)
    last = {"run": 7, "counts": {"new": 3}, "status": "unhealthy", "reason": "x"}
    progress.read(pipelines.PROGRESS_PREFIX + json.dumps(last))
    assert (progress.counts, progress.status, progress.reason) == ({"new": 3}, "unhealthy", "x")


def test_crawl_gets_the_database_url_in_its_environment() -> None:
    options = runner.CrawlOptions(db="postgresql://pw:s3cret@db/archive")
    assert "s3cret" not in " ".join(options.command("sco"))
    assert options.env()["PRESSWATCH_DATABASE_URL"] == "postgresql://pw:s3cret@db/archive"


def _runs(db_url: str) -> list[CrawlRun]:
    engine, sessions = open_archive(db_url)
    with sessions() as session:
        runs = list(session.query(CrawlRun).order_by(CrawlRun.id))
    engine.dispose()
    return runs


def test_settle_run_by_pid_and_by_id(db_url: str) -> None:
    engine, sessions = open_archive(db_url)
    me = os.getpid()
    with sessions.begin() as session:
        left_open = start_run(session, "sco", now=NOW)  # a crawl that lost its database
        closed = start_run(session, "sco", now=NOW)
        finish_run(session, closed, {"new": 1}, status="ok", now=NOW)
        other = start_run(session, "sco", now=NOW)  # another process's crawl: not touched
        session.execute(update(CrawlRun).where(CrawlRun.id == other).values(pid=me + 1))
    with sessions.begin() as session:
        run = store.settle_run(session, "sco", NOW, NOW, {"new": 2, "write_errors": 1},
                               pid=None, run_id=left_open)  # fmt: skip
        assert (run.status, run.health) == (
            "failed", "the crawl could not record its end; 1 archive write dropped"
        )  # fmt: skip
        run = store.settle_run(session, "sco", NOW, NOW, {}, pid=me, run_id=closed,
                               aborted="stopped by SIGTERM")  # fmt: skip
        assert (run.status, run.health, run.counts) == ("aborted", "stopped by SIGTERM", {"new": 1})
        run = store.settle_run(session, "sco", NOW, NOW, {}, pid=me + 2, failure="exit 3")
        assert (run.status, run.health) == ("failed", "exit 3")  # it opened none: one written
    assert [r.status for r in _runs(db_url)] == ["failed", "aborted", "running", "failed"]
    engine.dispose()


def test_stale_runs_are_aborted_and_do_not_count_for_the_schedule(db_url: str) -> None:
    engine, sessions = open_archive(db_url)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    with sessions.begin() as session:
        done = start_run(session, "sco", now=NOW - timedelta(hours=3))
        finish_run(session, done, {}, status="ok", now=NOW)
        ids = [start_run(session, "sco", now=NOW - timedelta(minutes=m)) for m in (1, 2, 90)]
        rows = [(dead.pid, host), (os.getpid(), host), (os.getpid(), "elsewhere")]
        for run_id, (pid, where) in zip(ids, rows, strict=True):
            session.execute(
                update(CrawlRun).where(CrawlRun.id == run_id).values(pid=pid, host=where)
            )
    with sessions.begin() as session:
        stale = store.abort_stale_runs(session, host, _alive, {"sco": 3600}, now=NOW)
        assert sorted(r.id for r in stale) == [ids[0], ids[2]]
        assert "process" in (stale[0].health or "") and "timeout" in (stale[-1].health or "")
        assert store.last_finished(session, "sco") == NOW - timedelta(hours=3)
    assert [r.status for r in _runs(db_url)] == ["ok", "aborted", "running", "aborted"]
    engine.dispose()


def test_status_check_fails_for_an_overdue_source_whatever_its_last_run_claims(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = tmp_path / "presswatch.toml"
    config.write_text(
        f'database = "{db}"\n[defaults]\nenabled = false\n'
        '[sources.sco]\nenabled = true\ninterval = "1h"\ntimeout = "10m"\n'
    )
    engine, sessions = open_archive(db)
    with sessions.begin() as session:  # a run "running" for 30 days, its process gone
        start_run(session, "sco", now=datetime.now(UTC) - timedelta(days=30))
    engine.dispose()
    result = CliRunner().invoke(main, ["status", "--config", str(config), "--check", "--json"])
    assert result.exit_code == 1
    overdue = {s["key"]: s["overdue"] for s in json.loads(result.stdout)["sources"]}
    assert overdue["sco"] is True and not any(v for k, v in overdue.items() if k != "sco")


@pytest.mark.parametrize(("status", "code"), [("ok", 0), ("unhealthy", 1), ("failed", 1)])
def test_daemon_once_exits_non_zero_after_a_bad_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str, code: int
) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = parse_config({"database": db, "defaults": {"enabled": False},
                           "sources": {"sco": {"enabled": True}}}, ["sco"])  # fmt: skip

    def crawl(source: str, _options: object, log_path: Path, **_: object) -> runner.CrawlResult:
        """A crawl that closed its run as ``status``, as crawler.pipelines does."""
        engine, sessions = open_archive(db)
        with sessions.begin() as session:
            run_id = start_run(session, source)
            finish_run(session, run_id, {"items": 1}, status=status, health="2 of 4 failed")
        engine.dispose()
        progress = runner.Progress(run_id, {"items": 1}, status, "2 of 4 failed")
        return runner.CrawlResult(source, os.getpid(), 0, 0.1, progress, log_path)

    monkeypatch.setattr(runner, "run_crawl", crawl)
    monkeypatch.setattr(daemon_module.Daemon, "_install_signals", lambda _self: None)
    assert daemon_module.Daemon(config, log_dir=tmp_path).run_once() == code
    assert [r.status for r in _runs(db)] == [status]
