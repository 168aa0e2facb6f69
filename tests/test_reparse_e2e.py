"""`presswatch reparse` after a parser fix, on an archive a crawl of a replay snapshot built.

The first crawl records three releases as an older parser read them (tests/old_parser.py:
last paragraph and place lost). Today's parser then re-reads the archive: exactly those three
get a "reparsed" version, nothing is notified, a dry run writes nothing, a run cut off by
Ctrl-C resumes, and the next crawl finds every release unchanged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import presswatch.reparse_command as command
from crawler.replay.builders import unis
from crawler.replay.server import serve
from crawler.replay.snapshot import write_snapshot
from presswatch.cli import main
from scheduler.notify import Notifier
from scheduler.options import EVENT_KINDS, NotifyConfig, TargetConfig
from scheduler.runner import CrawlOptions, run_crawl
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, Release, ReleaseVersion

PIPELINES = {"old_parser.OldParser": 100, "crawler.pipelines.ArchivePipeline": 300}


class Inbox:
    def __init__(self) -> None:
        self.events: list[str] = []

    def send(self, events, alerts) -> None:
        self.events += [e.kind for e in events]


def crawl(server_url: str, db: str, log: Path, **settings: str) -> CrawlRun:
    options = CrawlOptions(replay=server_url, db=db, revisit_all=True,
                           settings={"RETRY_TIMES": "1", **settings})  # fmt: skip
    result = run_crawl("unis", options, log, timeout=120)
    assert result.ok, log.read_text()[-3000:]
    _, sessions = open_archive(db)
    with sessions() as s:
        return s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()


def totals(db: str) -> tuple[int, int]:
    _, sessions = open_archive(db)
    with sessions() as s:
        return (s.scalar(select(func.count(ReleaseVersion.id))),
                s.scalar(select(func.count(ChangeEvent.id))))  # fmt: skip


def test_reparse_after_a_parser_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    releases = unis.demo_releases()
    fixed = [r.url for r in releases if len(r.paragraphs) > 2][:3]
    write_snapshot(tmp_path / "site", list(unis.snapshot_pages(releases, per_page=4)), name="r")
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    tests_dir = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([tests_dir, os.environ.get("PYTHONPATH", "")]))
    with serve(tmp_path / "site") as server:
        first = crawl(server.url, db, tmp_path / "run1.log", ITEM_PIPELINES=json.dumps(PIPELINES),
                      OLD_PARSER_URLS=",".join(fixed))  # fmt: skip
        assert first.counts["new"] == len(releases)
        _, sessions = open_archive(db)
        inboxes = {"default": Inbox(), "corrections": Inbox()}
        targets = (TargetConfig("default", "log"),
                   TargetConfig("corrections", "log", kinds=frozenset({"reparsed"})))  # fmt: skip
        notifier = Notifier(sessions, NotifyConfig(targets=targets), senders=inboxes)
        notifier.start()
        assert targets[0].kinds == EVENT_KINDS

        runner = CliRunner()
        dry = runner.invoke(main, ["--db", db, "reparse", "--dry-run", "--source", "unis",
                                   "--since", "2000-01-01"])  # fmt: skip
        assert dry.exit_code == 0, dry.output
        assert all(url in dry.output for url in fixed), dry.output
        assert "would record 3 re-reading(s)" in dry.output and "place: " in dry.output
        assert "{+" in dry.output  # the body's word diff: the paragraph the old parser lost
        assert totals(db) == (len(releases), len(releases))

        calls: list[str] = []

        def cut_off_after_four(page, **kwargs):
            calls.append(page.url)
            if len(calls) == 5:
                raise KeyboardInterrupt
            return parse(page, **kwargs)

        parse = command.parse
        monkeypatch.setattr(command, "parse", cut_off_after_four)
        cut = runner.invoke(main, ["--db", db, "reparse", "--batch", "2"])
        assert cut.exit_code == 130 and "run it again to resume" in cut.output
        monkeypatch.setattr(command, "parse", parse)
        done = runner.invoke(main, ["--db", db, "reparse", "--batch", "2"])
        assert done.exit_code == 0, done.output
        assert "resumed after release 4" in done.output
        with sessions() as s:
            events = s.execute(
                select(ChangeEvent.kind, Release.url, ReleaseVersion.number)
                .join(Release, Release.id == ChangeEvent.release_id)
                .join(ReleaseVersion, ReleaseVersion.id == ChangeEvent.version_id)
                .where(ChangeEvent.kind != "new")
            ).all()
            assert sorted(events) == sorted(("reparsed", url, 2) for url in fixed)
            current = s.scalars(
                select(ReleaseVersion).join(
                    Release, Release.current_version_id == ReleaseVersion.id
                )
            ).all()
            assert all(v.place for v in current if v.release.url in fixed)

        notifier.flush()
        assert inboxes["default"].events == []
        assert inboxes["corrections"].events == ["reparsed"] * 3

        monkeypatch.delenv("PYTHONPATH")
        second = crawl(server.url, db, tmp_path / "run2.log", PRESSWATCH_CONDITIONAL_REQUESTS="0")
    assert second.status == "ok", second.health
    assert second.counts["unchanged"] == len(releases), second.counts
    assert not second.counts.get("changed") and not second.counts.get("page_errors")
    assert totals(db) == (len(releases) + 3, len(releases) + 3)
