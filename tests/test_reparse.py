"""storage.reparse: re-reading kept pages, on SQLite and PostgreSQL.

The parser here is a stand-in that reads a tiny page format; a "parser change" is another
function. The end-to-end test over a crawl is in test_reparse_e2e.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from presswatch.config import ConfigError, load_config
from storage.archive import Archive, Outcome, ParsedRelease
from storage.models import ChangeEvent, Release, ReleaseVersion, ReparseCursor
from storage.notifications import pending_events, register_targets
from storage.reparse import REPARSED, ArchivedPage, Unreadable, reparse

FETCHED = datetime(2025, 3, 1, 9, tzinfo=UTC)
_P = re.compile(r"<p>(.*?)</p>")


def page(i: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {k} of release {i}, with several words.</p>" for k in (1, 2)
    )
    return f"<h1>Release {i}</h1><b>VIENNA</b>{paragraphs}".encode()


def old_parser(p: ArchivedPage) -> ParsedRelease:
    """Reads the title and the first paragraph only (the bug the new parser fixes)."""
    html = p.html.decode()
    title = re.search(r"<h1>(.*?)</h1>", html).group(1)
    return ParsedRelease(p.source, p.url, title, _P.findall(html)[0], date(2025, 3, 1),
                         parser_version="test/1", raw_html=p.html)  # fmt: skip


def new_parser(p: ArchivedPage) -> ParsedRelease:
    """Every paragraph, and the place; for release 3 nothing differs but metadata."""
    item = old_parser(p)
    item.parser_version = "test/2"
    n = int(item.title.split()[-1])
    if n % 2 == 0:  # even releases: body and place fixed
        item.body = "\n\n".join(_P.findall(p.html.decode()))
        item.place = "VIENNA"
    elif n == 3:
        item.metadata = {"symbol": "T/3"}
    return item


def build(archive: Archive, n: int = 6) -> None:
    for i in range(n):
        html = page(i)
        item = old_parser(ArchivedPage(0, "osce", f"https://www.osce.org/r/{i}", html, FETCHED))
        item.fetched_at, item.etag = FETCHED, f'"e{i}"'
        archive.record(item)


def test_changed_readings_become_reparsed_versions_and_the_next_crawl_agrees(archive) -> None:
    build(archive)
    with archive.sessions() as s:
        before = s.execute(select(Release.id, Release.last_changed).order_by(Release.id)).all()
    report = reparse(archive.engine, new_parser, parsers="test/2", batch=4)
    assert report.total == 6
    assert (report.counts["read"], report.counts[REPARSED], report.counts["same"]) == (6, 4, 2)
    with archive.sessions() as s:
        events = s.execute(
            select(ChangeEvent.kind, Release.url, ChangeEvent.diff)
            .join(Release, Release.id == ChangeEvent.release_id)
            .where(ChangeEvent.kind != "new")
            .order_by(ChangeEvent.id)
        ).all()
        assert [(k, u.rsplit("/", 1)[1]) for k, u, _ in events] == [
            (REPARSED, "0"), (REPARSED, "2"), (REPARSED, "3"), (REPARSED, "4")
        ]  # fmt: skip
        assert events[0].diff["fields"] == ["place", "body"]
        assert events[0].diff["words_added"] > 0
        assert events[2].diff["fields"] == ["metadata"]
        v2 = s.scalars(select(ReleaseVersion).where(ReleaseVersion.number == 2)).all()
        assert len(v2) == 4 and {v.parser_version for v in v2} == {"test/2"}
        for v in v2:
            v1 = s.scalar(select(ReleaseVersion).where(ReleaseVersion.release_id == v.release_id,
                                                       ReleaseVersion.number == 1))  # fmt: skip
            assert (v.fetched_at, v.etag, v.raw_html) == (v1.fetched_at, v1.etag, v1.raw_html)
            assert v.release.current_version_id == v.id
        # A re-reading is no change of the site: last_changed (the revisit clock) stays.
        after = s.execute(select(Release.id, Release.last_changed).order_by(Release.id)).all()
        assert after == before
        assert s.scalar(select(func.count()).select_from(ReparseCursor)) == 0  # finished
    # The next crawl reads what today's parser reads: unchanged, for every release.
    for i in range(6):
        html = page(i)
        item = new_parser(ArchivedPage(0, "osce", f"https://www.osce.org/r/{i}", html, FETCHED))
        assert archive.record(item, run_id=archive.start_run("osce")).outcome is Outcome.UNCHANGED
    # A second reparse with the same parsers finds nothing to do.
    assert reparse(archive.engine, new_parser, parsers="test/2").counts[REPARSED] == 0


def _totals(archive: Archive) -> tuple[int, int]:
    with archive.sessions() as s:
        return (s.scalar(select(func.count(ReleaseVersion.id))),
                s.scalar(select(func.count(ChangeEvent.id))))  # fmt: skip


def test_dry_run_reports_the_differences_and_writes_nothing(archive) -> None:
    build(archive, 3)
    found = []
    report = reparse(archive.engine, new_parser, dry_run=True, on_reread=found.append)
    assert report.counts[REPARSED] == 2 and _totals(archive) == (3, 3)
    first = found[0]
    assert (first.old_number, first.new_number, first.fields) == (1, None, ["place", "body"])
    assert first.new["body"].startswith(first.old["body"]) and first.new["place"] == "VIENNA"
    with archive.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReparseCursor)) == 0


def test_a_cut_off_run_resumes_after_the_last_batch_done(archive) -> None:
    build(archive, 6)
    calls: list[str] = []

    def dies_on_the_fifth(p: ArchivedPage) -> ParsedRelease:
        calls.append(p.url)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return new_parser(p)

    with pytest.raises(KeyboardInterrupt):
        reparse(archive.engine, dies_on_the_fifth, parsers="test/2", batch=2)
    assert _totals(archive) == (9, 9)  # releases 0, 2 and 3 re-read; 4 not yet
    calls.clear()
    report = reparse(archive.engine, new_parser_logged(calls), parsers="test/2", batch=2)
    assert report.resumed_after is not None and report.total == 2
    assert [u.rsplit("/", 1)[1] for u in calls] == ["4", "5"]
    assert report.counts[REPARSED] == 1 and _totals(archive) == (10, 10)
    # Other parsers start over rather than resume.
    build_cursor = reparse(archive.engine, new_parser, parsers="test/3", dry_run=True)
    assert build_cursor.total == 6 and build_cursor.counts[REPARSED] == 0


def new_parser_logged(calls: list[str]):
    def parse(p: ArchivedPage) -> ParsedRelease:
        calls.append(p.url)
        return new_parser(p)

    return parse


def test_unreadable_and_crashing_pages_keep_their_version(archive) -> None:
    build(archive, 3)

    def flaky(p: ArchivedPage) -> ParsedRelease:
        if p.url.endswith("/0"):
            raise Unreadable("no article body found")
        if p.url.endswith("/2"):
            raise ValueError("bad markup")
        return new_parser(p)

    report = reparse(archive.engine, flaky)
    assert report.counts["unreadable"] == 2 and report.counts["same"] == 1
    assert [r for _, r in report.unreadable] == [
        "no article body found", "parser error: ValueError: bad markup"
    ]  # fmt: skip
    assert _totals(archive) == (3, 3)


def test_a_release_crawled_while_its_page_was_parsed_is_left_to_the_crawl(archive, db_url) -> None:
    build(archive, 1)
    other = Archive(archive.sessions)  # another writer, as a crawl running meanwhile

    def crawl_meanwhile(p: ArchivedPage) -> ParsedRelease:
        edited = old_parser(p)
        edited.body += " One more sentence from the site."
        assert other.record(edited).outcome is Outcome.CHANGED
        other.close()
        return new_parser(p)

    report = reparse(archive.engine, crawl_meanwhile)
    assert report.counts["moved on"] == 1 and report.counts[REPARSED] == 0
    with archive.sessions() as s:
        assert s.scalars(select(ChangeEvent.kind).order_by(ChangeEvent.id)).all() == [
            "new", "changed"
        ]  # fmt: skip


def test_reparsed_events_reach_only_targets_that_ask_for_them(archive, tmp_path) -> None:
    build(archive, 2)
    with archive.sessions.begin() as s:
        register_targets(s, ["default", "corrections"])
    reparse(archive.engine, new_parser)
    config = tmp_path / "presswatch.toml"
    config.write_text('[[notify.targets]]\ntype = "log"\nname = "c"\nkinds = ["reparsed"]\n')
    kinds = next(t.kinds for t in load_config(config).notify.targets)
    defaults = next(t.kinds for t in load_config(None).notify.targets)
    assert REPARSED in kinds and REPARSED not in defaults
    with archive.sessions() as s:
        targets = register_targets(s, ["default", "corrections"])
        assert pending_events(s, targets["default"], defaults, 10) == []
        assert [e.kind for e in pending_events(s, targets["corrections"], kinds, 10)] == [REPARSED]


def test_unknown_event_kinds_are_still_refused(tmp_path) -> None:
    config = tmp_path / "presswatch.toml"
    config.write_text('[[notify.targets]]\ntype = "log"\nkinds = ["edited"]\n')
    with pytest.raises(ConfigError, match="reparsed"):
        load_config(config)
