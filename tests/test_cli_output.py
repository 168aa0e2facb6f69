"""Output for scripts (tab-separated, never wrapped, ISO times) and the version timeline."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from rich.console import Console

from presswatch import context, daemon_commands
from presswatch.cli import main
from presswatch.context import describe_counts
from scheduler.daemon import Daemon, RunReport
from scheduler.options import Config
from scheduler.runner import CrawlResult, Progress
from storage.archive import Archive, ParsedRelease, finish_run, start_run
from storage.db import open_archive

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LONG_TITLE = "A title long enough to be wrapped at eighty columns by any table printer " * 2
A = ParsedRelease(source="osce", url="https://www.osce.org/secretariat/7", title=LONG_TITLE,
                  body="VIENNA - First text of the release.", published=date(2026, 10, 30))  # fmt: skip
B = replace(A, body="VIENNA - Second text of the release, edited.")


@pytest.fixture
def restored(db_url: str) -> str:
    """One release edited and then restored (versions 1 → 2 → 1), and one crawl run."""
    engine, sessions = open_archive(db_url)
    archive = Archive(sessions)
    for hour, item in ((9, A), (10, B), (11, A)):
        archive.record(item, now=T0.replace(hour=hour))
    with sessions.begin() as session:
        finish_run(session, start_run(session, "osce", now=T0), {"not_modified": 9}, now=T0)
    engine.dispose()
    return db_url


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_diff_after_a_restore_compares_with_the_version_before_in_time(restored: str) -> None:
    code, out, err = run(restored, "diff", A.url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["from"]["number"], data["to"]["number"]) == (2, 1)
    assert {"op": "-", "text": "Second"} in data["body"]  # 2 is what 1 replaced
    assert {"op": "+", "text": "First"} in data["body"]
    code, out, _ = run(restored, "diff", A.url, "--to", "2", "--json")
    assert (json.loads(out)["from"]["number"], json.loads(out)["to"]["number"]) == (1, 2)
    code, _, err = run(restored, "diff", A.url, "--to", "1", "--from", "1")
    assert code == 0, err


def test_show_and_history_mark_the_current_version(restored: str) -> None:
    data = json.loads(run(restored, "show", A.url, "--json")[1])
    assert data["current_version"] == 1
    assert [(v["number"], v["current"]) for v in data["versions"]] == [(1, True), (2, False)]
    events = json.loads(run(restored, "history", A.url, "--json")[1])
    assert [(e["kind"], e["version"], e["current"]) for e in events] == [
        ("new", 1, False), ("changed", 2, False), ("restored", 1, True),
    ]  # fmt: skip
    table = rows(run(restored, "history", A.url)[1])
    assert [(r["event"], r["version"], r["current"]) for r in table] == [
        ("new", "1", ""), ("changed", "2", ""), ("restored", "1", "*"),
    ]  # fmt: skip
    assert table[2]["when"] == "2026-11-01T11:00:00Z"
    code, out, _ = run(restored, "show", A.url)
    assert code == 0 and "version 1 of 2 (current)" in out


def test_piped_list_is_tab_separated_and_never_wrapped(restored: str) -> None:
    code, out, err = run(restored, "list")
    assert code == 0 and err.strip() == "1 of 1 releases"
    (row,) = rows(out)
    assert row["title"] == LONG_TITLE and row["versions"] == "2"
    assert row["published"] == "2026-10-30" and row["source"] == "osce"
    assert len(out.splitlines()) == 2  # a header and one row, however long the title


def test_piped_status_is_tab_separated_with_full_headers(
    restored: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(restored, "status")
    assert code == 0, err
    table = rows(out)
    assert list(table[0]) == [
        "source",
        "schedule",
        "last run",
        "took",
        "status",
        "result",
        "next run",
    ]
    osce = next(r for r in table if r["source"] == "osce")
    assert osce["result"] == "9 answered 304" and osce["last run"] == "2026-11-01T09:00:00Z"
    assert "archive: 1 releases" in err  # the summary lines stay out of the rows


def test_times_are_utc_with_z_or_local_on_request(restored: str, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        utc = json.loads(run(restored, "list", "--json")[1])[0]
        local = json.loads(run(restored, "--local-time", "list", "--json")[1])[0]
        table = rows(run(restored, "--local-time", "history", A.url)[1])
        changes = run(restored, "--local-time", "changes", "--since", "2000-01-01", "--json")[1]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert utc["first_seen"] == "2026-11-01T09:00:00Z"
    assert local["first_seen"] == "2026-11-01T14:30:00+05:30"
    assert table[0]["when"] == "2026-11-01T14:30:00+05:30"
    assert json.loads(changes)[0]["at"] == "2026-11-01T14:30:00+05:30"


def test_daemon_log_summary_counts_first_strike_404s(caplog, tmp_path) -> None:
    daemon = Daemon(Config(), f"sqlite:///{tmp_path / 'a.db'}", log_dir=tmp_path)
    counts = {"items": 3, "unchanged": 1, "missing": 2}
    with caplog.at_level(logging.INFO, logger="presswatch.daemon"):
        daemon._log_report(RunReport("osce", "ok", 1.0, None, counts),
                           CrawlResult("osce", 1, 0, 1.0, Progress(counts=counts), tmp_path / "x.log"))  # fmt: skip
    assert "osce run ok in 1.0s: 3 items, 2 missing" in caplog.text
    name = daemon._log_path("osce").name  # named by the UTC time
    assert re.fullmatch(r"osce-\d{8}T\d{6}-\d{6}Z\.log", name), name


def test_status_on_a_narrow_terminal_keeps_its_headers(
    restored: str, tmp_path, monkeypatch
) -> None:
    screen = Console(file=io.StringIO(), force_terminal=True, width=72, color_system=None)
    monkeypatch.setattr(context, "console", screen)
    monkeypatch.setattr(daemon_commands, "console", screen)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(restored, "status")
    assert code == 0, err
    lines = screen.file.getvalue().splitlines()
    header = next(line.split() for line in lines if line.split()[:1] == ["source"])
    assert header == [
        "source",
        "schedule",
        "last",
        "run",
        "took",
        "status",
        "result",
        "next",
        "run",
    ]
    assert "answered" in screen.file.getvalue()  # a cell may wrap, a header never is cut


def test_run_counts_in_words() -> None:
    assert describe_counts({"new": 2, "errors": 1, "not_modified": 9}) == (
        "2 new, 1 error, 9 answered 304"
    )
    assert describe_counts({"errors": 3}) == "3 errors"
    assert describe_counts({}) == "nothing new"
