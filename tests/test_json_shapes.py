"""Every command's JSON has exactly the keys docs/json.md documents (its examples are read)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from daemon_support import Webhook

from presswatch.cli import main
from scheduler.notify import Notifier
from scheduler.options import NotifyConfig, TargetConfig
from storage.archive import Archive, ParsedRelease, finish_run, start_run
from storage.db import open_archive
from storage.models import CrawlRun
from storage.notifications import AlertNote

DOC = Path(__file__).parents[1] / "docs" / "json.md"
FREE_FORM = {"metadata", "diff"}  # their keys depend on the site and the change
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NODE, JOB = "http://scrapyd1:6800", "6487ec79947edab326d6db28a2d86511"
PAGE = b"<html><body><p>Experts met</p></body></html>"
RELEASE = ParsedRelease(
    source="osce", url="https://www.osce.org/secretariat/1", title="Police experts meet",
    body="VIENNA, 17 July 2008 - Experts met in Vienna.", published=date(2008, 7, 17),
    place="VIENNA", last_modified="Wed, 21 Oct 2015 07:28:00 GMT", raw_html=PAGE,
)  # fmt: skip


def documented(heading: str) -> Any:
    """The JSON example under the docs/json.md heading that starts with ``heading``."""
    for section in DOC.read_text(encoding="utf-8").split("\n## ")[1:]:
        if section.startswith(heading):
            return json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))
    raise AssertionError(f"docs/json.md has no section {heading!r}")


def same_shape(actual: Any, doc: Any, where: str = "$") -> None:
    if isinstance(doc, dict):
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(doc), f"{where}: keys differ from docs/json.md"
        for key in doc.keys() - FREE_FORM:
            same_shape(actual[key], doc[key], f"{where}.{key}")
    elif isinstance(doc, list) and doc and actual:
        same_shape(actual[0], doc[0], f"{where}[0]")


@pytest.fixture
def filled(db_url: str) -> str:
    engine, sessions = open_archive(db_url)
    archive = Archive(sessions)
    archive.record(RELEASE, now=T0)
    archive.record(replace(RELEASE, body=RELEASE.body + " They agreed."), now=T0.replace(hour=10))
    with sessions.begin() as session:
        run = start_run(session, "osce", now=T0)
        finish_run(session, run, {"items": 9, "not_modified": 9}, now=T0)
    engine.dispose()
    return db_url


@pytest.mark.parametrize(
    ("heading", "args"),
    [
        ("`presswatch list", ["list"]),
        ("`presswatch show ID --json", ["show", "1"]),
        ("`presswatch show ID --html", ["show", "1", "--html", "--version", "1"]),
        ("`presswatch history", ["history", "1"]),
        ("`presswatch diff", ["diff", "1"]),
        ("`presswatch status", ["status"]),
        ("`presswatch search", ["search", "experts"]),
        ("`presswatch changes", ["changes", "--since", "2026-01-01"]),
    ],
)
def test_command_json_has_the_documented_keys(
    filled: str, heading: str, args: list[str], tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no presswatch.toml of the working directory
    result = CliRunner().invoke(main, ["--db", filled, *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    same_shape(data, documented(heading))
    if args[:2] == ["show", "1"] and "--html" not in args:
        assert data["version"]["last_modified"] == "2015-10-21T07:28:00Z"  # the HTTP date, as ISO
        assert data["first_seen"] == "2026-11-01T09:00:00Z"
    if "--html" in args:
        assert data["html"] == PAGE.decode() and data["version"] == 1


def test_export_lines_have_the_documented_keys(filled: str) -> None:
    result = CliRunner().invoke(main, ["--db", filled, "export", "--versions"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [line["current"] for line in lines] == [False, True]
    for line in lines:
        same_shape(line, documented("`presswatch export"))


def test_status_json_keeps_zero_counts_and_gives_the_schedule_as_data(
    filled: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "presswatch.toml").write_text(
        '[sources.osce]\ncron = "0 6 * * *"\ntimezone = "Europe/Vienna"\n'
    )
    data = json.loads(CliRunner().invoke(main, ["--db", filled, "status", "--json"]).stdout)
    osce = next(s for s in data["sources"] if s["key"] == "osce")
    assert osce["last_run"]["counts"]["new"] == 0 and osce["last_run"]["counts"]["items"] == 9
    assert osce["schedule"]["cron"] == "0 6 * * *" and osce["schedule"]["interval"] is None
    assert osce["schedule"]["timezone"] == "Europe/Vienna"
    assert (
        osce["next_run"].endswith("Z") and osce["last_run"]["started_at"] == "2026-11-01T09:00:00Z"
    )
    # 06:00 in Vienna is 05:00 UTC in November
    assert osce["next_run"] == "2026-11-02T05:00:00Z"
    text = CliRunner().invoke(main, ["--db", filled, "status"]).stdout
    assert "9 answered 304" in text and "items 0" not in text


def scrapyd_run(url: str, source: str = "sco", node: str | None = NODE) -> int:
    """A run of ``source`` as the scrapyd backend records it: job id, then the node."""
    engine, sessions = open_archive(url)
    with sessions.begin() as session:
        run = start_run(session, source, now=T0, job=JOB)
        finish_run(session, run, {"items": 3, "new": 3}, now=T0.replace(minute=1))
        session.get_one(CrawlRun, run).node = node
    engine.dispose()
    return run


def test_status_tells_where_a_run_ran_on_scrapyd_and_nothing_for_a_local_one(
    filled: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = scrapyd_run(filled)
    data = json.loads(CliRunner().invoke(main, ["--db", filled, "status", "--json"]).stdout)
    last = {s["key"]: s["last_run"] for s in data["sources"]}
    assert (last["sco"]["id"], last["sco"]["node"], last["sco"]["job"]) == (run, NODE, JOB)
    assert (last["osce"]["node"], last["osce"]["job"]) == (None, None)  # a local crawl
    result = CliRunner().invoke(main, ["--db", filled, "status"])
    assert result.exit_code == 0, result.output
    assert f"sco: last run {run} was Scrapyd job {JOB} on {NODE}\n" in result.output
    assert "osce: last run" not in result.output and result.output.count("Scrapyd") == 1


def test_status_names_the_job_of_a_run_whose_node_is_not_recorded_yet(filled: str) -> None:
    run = scrapyd_run(filled, node=None)  # the daemon records the node when the job ends
    result = CliRunner().invoke(main, ["--db", filled, "status"])
    assert f"sco: last run {run} was Scrapyd job {JOB}\n" in result.output


def test_webhook_payload_has_the_documented_keys(archive: Archive) -> None:
    hook = Webhook()
    try:
        target = TargetConfig(name="hook", type="webhook", url=hook.url)
        notifier = Notifier(archive.sessions, NotifyConfig(targets=(target,)))
        notifier.start()
        archive.record(RELEASE, now=T0)
        archive.record(replace(RELEASE, title="Police experts met"), now=T0.replace(hour=10))
        notifier.flush()
    finally:
        hook.close()
    (payload,) = hook.payloads
    doc = documented("Webhook payload")
    alert = AlertNote(1, "failing", T0, "osce", "3 failed runs in a row").to_json()
    same_shape({**payload, "alerts": [alert]}, doc)
    new, changed = payload["events"]
    assert payload["presswatch"] == doc["presswatch"]
    assert (new["version"], new["previous_version"]) == (1, None)
    assert (changed["kind"], changed["version"], changed["previous_version"]) == ("changed", 2, 1)
    assert changed["release_id"] == new["release_id"] and changed["at"] == "2026-11-01T10:00:00Z"
