"""Recrawls over the replay server with the site changing between runs (UNIS structure).

Each run is a real `scrapy crawl unis` process (scheduler.runner). After each run the
archive's events and the run's counts must be exactly the expected ones: no missed change,
no false one, and the requests must stay few.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.replay.builders import unis
from crawler.replay.builders.base import DemoRelease
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, url_key, write_snapshot
from scheduler.runner import CrawlOptions, run_crawl
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, Release

PER_PAGE = 4
SETTINGS = {"RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0"}


class Site:
    """The UNIS snapshot under test: releases, with per-URL changes to pages and answers."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.releases = sorted(unis.demo_releases(), key=lambda r: r.published, reverse=True)
        self.page_edits: dict[str, tuple[str, str]] = {}  # url -> (old, new) in the HTML
        self.answers: dict[str, dict] = {}  # url -> SnapshotPage fields (status, script)
        self.write()

    def write(self) -> None:
        pages: list[tuple[SnapshotPage, str | None]] = []
        for page, html in unis.snapshot_pages(self.releases, per_page=PER_PAGE):
            if page.url in self.page_edits:
                old, new = self.page_edits[page.url]
                assert old in html, f"{old!r} not in {page.url}"
                html = html.replace(old, new, 1)
            answer = self.answers.get(page.url, {})
            page = replace(page, **answer)
            pages.append((page, None if page.status == 404 else html))
        write_snapshot(self.directory, pages, name="recrawl")

    def edit(self, i: int, **changes) -> DemoRelease:
        self.releases[i] = replace(self.releases[i], **changes)
        return self.releases[i]


@pytest.fixture
def world(tmp_path: Path):
    site = Site(tmp_path / "snapshot")
    with serve(site.directory) as server:
        yield site, server, f"sqlite:///{tmp_path / 'archive.db'}", tmp_path


def crawl(
    server: ReplayServer, db: str, tmp_path: Path, run: int
) -> tuple[CrawlRun, list[tuple[str, str]]]:
    server.requests.clear()
    options = CrawlOptions(replay=server.url, db=db, settings=SETTINGS)
    result = run_crawl("unis", options, tmp_path / f"run{run}.log", timeout=120)
    assert result.ok, (tmp_path / f"run{run}.log").read_text()[-3000:]
    _, sessions = open_archive(db)
    with sessions() as s:
        last = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        _ = last.errors  # loaded before the session closes
        events = s.execute(
            select(ChangeEvent.kind, Release.url)
            .join(Release, Release.id == ChangeEvent.release_id)
            .where(ChangeEvent.run_id == last.id)
        ).all()
        s.expunge_all()
    return last, sorted((kind, url) for kind, url in events)


def test_recrawls_see_every_change_and_nothing_else(world) -> None:
    site, server, db, tmp = world
    urls = [r.url for r in site.releases]

    first, events = crawl(server, db, tmp, 1)
    assert events == sorted(("new", u) for u in urls)
    assert first.status == "ok" and first.counts["new"] == 10

    # Run 2: one release added on page 1 (pushing one to page 2), an edited paragraph, a
    # corrected title, a menu-only change, a re-wrapped paragraph, a 404 and a 500.
    added = DemoRelease(
        url="https://unis.unvienna.org/unis/en/pressrels/2026/uniscp1210.html",
        title="UNODC opens regional office for synthetic drug monitoring",
        published=date(2026, 11, 20),
        paragraphs=[
            "VIENNA, 20 November 2026 (UN Information Service) - " + "A new office opened. " * 20
        ],
        external_id="UNIS/CP/1210",
        metadata={"symbol": "UNIS/CP/1210"},
    )
    site.releases.insert(0, added)
    edited = site.releases[2]
    paragraph = edited.paragraphs[1]
    word = paragraph.split()[3]
    site.edit(
        2,
        paragraphs=[
            edited.paragraphs[0],
            paragraph.replace(word, "reportedly", 1),
            *edited.paragraphs[2:],
        ],
    )
    retitled = site.edit(3, title=site.releases[3].title + " (corrected)")
    menu_only, rewrapped, gone, failing = (site.releases[i] for i in (4, 5, 6, 7))
    site.page_edits[menu_only.url] = (
        '<aside class="col-md-4 sidebar">',
        '<aside class="col-md-4 sidebar"><p>Views: 4711</p><a href="/x?utm_source=nl">Newsletter</a>',
    )
    first_words = " ".join(rewrapped.paragraphs[0].split()[:6])
    site.page_edits[rewrapped.url] = (first_words, first_words.replace(" ", "\n      ", 3))
    site.answers[gone.url] = {"status": 404, "file": None}
    site.answers[failing.url] = {"script": [500, 500]}
    site.write()

    second, events = crawl(server, db, tmp, 2)
    assert events == sorted(
        [("new", added.url), ("changed", edited.url), ("changed", retitled.url)]
    )
    counts = second.counts
    assert counts["new"] == 1 and counts["changed"] == 2 and counts["missing"] == 1
    assert counts["errors"] == 1 and [e.url for e in second.errors] == [failing.url]
    assert counts["not_modified"] >= 4  # the untouched pages answered 304 to If-None-Match
    listing_keys = [k for k in server.requests.keys() if "press-releases" in k]  # noqa: SIM118
    assert listing_keys == [
        url_key(unis.listing_url(0)),
        url_key(unis.listing_url(1)),
    ]  # page 3 not needed

    _, sessions = open_archive(db)
    with sessions() as s:
        diff = s.scalar(
            select(ChangeEvent.diff)
            .join(Release)
            .where(Release.url == edited.url, ChangeEvent.kind == "changed")
        )
        assert diff["added"] == ["reportedly"] and diff["removed"] == [word]

    # Run 3: the 404 again (second strike: removed); the 500 page is back and unchanged.
    site.answers.pop(failing.url)
    site.write()
    third, events = crawl(server, db, tmp, 3)
    assert events == [("removed", gone.url)]
    assert third.counts.get("errors", 0) == 0

    # Run 4: the removed release is back, as it was.
    site.answers.pop(gone.url)
    site.write()
    fourth, events = crawl(server, db, tmp, 4)
    assert events == [("restored", gone.url)]
    assert fourth.counts.get("new", 0) == 0 and fourth.counts.get("changed", 0) == 0
