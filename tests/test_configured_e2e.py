"""Configured sources crawled end to end: feed-, sitemap- and listing-driven, no Python.

The Northsea newsroom (tests/configured_site.py) is served by the replay server, moved from
state to state between runs (post 2 edited after the first two runs); each crawl is a real `scrapy crawl site -a source=KEY` process started the way the
daemon starts it (scheduler.runner with the source's crawl_settings()). Five runs per
source: the first crawl, an unchanged recrawl, a day of edits (a new post, one edited body,
every view counter up), and a post taken down (missing, then removed after two 404s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from configured_site import BASE_URL, EDIT, NEW_POST, POSTS, write_northsea
from daemon_support import PRESSWATCH, DaemonProcess
from sqlalchemy import select

from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import manifest_name, url_key
from presswatch.config import parse_config
from scheduler.runner import CrawlOptions, run_crawl
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, Release, Source

pytestmark = pytest.mark.slow
KNOWN = ["osce", "sco", "unis", "unodc"]
SETTINGS = {"RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0", "LOG_LEVEL": "INFO"}
CONTENT = (".sharedaddy", ".wp-caption")
SOURCES: dict[str, dict[str, Any]] = {
    # The fallback reads everything; the Atom feed's <updated> tells what changed.
    "ns_feed": {"name": "Northsea Port Authority", "url": BASE_URL, "feed": "/feed/atom/"},
    # robots.txt names the sitemap index; CSS selectors; a view counter ignored by pattern.
    "ns_map": {
        "url": BASE_URL, "sitemap": "/robots.txt", "release_pattern": r"/20\d\d/\d\d/\d\d/",
        "select": {"title": "h1.entry-title", "date": "time.entry-date::attr(datetime)",
                   "body": "div.entry-content", "remove": list(CONTENT)},
        "ignore": {"patterns": [r"Post Views: [\d,]+"]},
    },
    # The category listing and its pages; XPath selectors; the counter ignored by selector.
    "ns_list": {
        "url": BASE_URL, "listing": "/category/press-releases/", "links": "h2.entry-title a",
        "next": "a.next.page-numbers",
        "select": {"title": "//h1[@class='entry-title']", "body": "//div[@class='entry-content']",
                   "remove": ["//div[contains(@class, 'sharedaddy')]", "//figure"]},
        "ignore": {"selectors": [".post-views"]},
    },
}  # fmt: skip


def archived(url: str) -> str:
    """A post's URL as the archive keeps it (storage.urls: no trailing slash)."""
    return url.rstrip("/")


FIRST = sorted(("new", archived(p.url)) for p in POSTS)
EDITED = sorted([("new", archived(NEW_POST.url)), ("changed", archived(POSTS[1].url))])
GONE = archived(POSTS[2].url)


class Newsroom:
    """The snapshot in a folder of its own, served; ``show(state)`` moves the site on."""

    def __init__(self, directory: Path) -> None:
        self.directory = write_northsea(directory)

    def show(self, state: str) -> None:
        if state == "edited":  # edited now: after the runs so far, as a real edit would be
            write_northsea(self.directory, edited_at=datetime.now(UTC))
        shutil.copy(self.directory / manifest_name(state), self.directory / manifest_name())


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Newsroom, ReplayServer]]:
    newsroom = Newsroom(tmp_path / "snapshot")
    with serve(newsroom.directory) as server:
        yield newsroom, server


class Run(NamedTuple):
    run: CrawlRun
    events: list[tuple[str, str]]  # (kind, url)
    fetched: list[str]  # the release pages requested (replay URL keys)
    not_modified: list[str]  # what the server answered 304


def crawl(
    key: str, server: ReplayServer, db: str, logs: Path, table: dict[str, Any] | None = None
) -> Run:
    """One run of ``key`` (defined by ``table``, else SOURCES)."""
    server.requests.clear()
    logs.mkdir(exist_ok=True)
    source = parse_config({"sources": {key: table or SOURCES[key]}}, KNOWN).sources[key]
    options = CrawlOptions(
        replay=server.url, db=db, settings={**source.crawl_settings(), **SETTINGS}
    )
    assert options.command(key)[3:7] == ["crawl", "site", "-a", f"source={key}"]
    log = logs / f"{key}-{len(list(logs.iterdir()))}.log"
    result = run_crawl(key, options, log, timeout=120)
    assert result.returncode == 0, log.read_text()[-3000:]
    _, sessions = open_archive(db)
    with sessions() as s:
        run = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        _ = run.errors
        events = s.execute(
            select(ChangeEvent.kind, Release.url)
            .join(Release, Release.id == ChangeEvent.release_id)
            .where(ChangeEvent.run_id == run.id)
        ).all()
        s.expunge_all()
    posts = {url_key(archived(p.url)) for p in (*POSTS, NEW_POST)}
    fetched = [k for k in server.requests.keys() if k.rstrip("/") in posts]  # noqa: SIM118
    return Run(run, sorted((k, u) for k, u in events), fetched, server.requests.keys(304))


def run_all(key: str, site: tuple[Newsroom, ReplayServer], db: str, logs: Path) -> list:
    """The five runs; every one must be ok. Returns (run, events, fetched) of each."""
    newsroom, server = site
    runs = []
    for state in (None, None, "edited", "removed", "removed"):
        if state:
            newsroom.show(state)
        runs.append(crawl(key, server, db, logs))
    for run, *_ in runs:
        assert run.status == "ok", (run.health, [(e.url, e.reason) for e in run.errors])
    return runs


def bodies(db: str, key: str) -> dict[str, str]:
    _, sessions = open_archive(db)
    with sessions() as s:
        source = s.scalar(select(Source).where(Source.key == key))
        assert source is not None and source.base_url == BASE_URL
        assert source.name == SOURCES[key].get("name", key)
        return {r.url: r.current.body for r in s.scalars(select(Release))}


def check_history(runs: list, db: str, key: str) -> None:
    (first, events1, *_), (second, events2, *_), (_, events3, *_), (_, events4, *_), last = runs
    assert events1 == FIRST and first.counts["new"] == 4
    assert events2 == [] and not second.counts.get("changed")
    assert events3 == EDITED  # the view counters went up everywhere: no change
    assert events4 == [] and runs[3][0].counts["missing"] == 1
    assert last.events == [("removed", GONE)]
    found = bodies(db, key)
    edited = archived(POSTS[1].url)
    assert EDIT[1] in found[edited] and EDIT[0] not in found[edited]
    for post in POSTS[:1] + POSTS[3:]:
        assert found[archived(post.url)] == post.body  # nothing of the theme


def test_feed_driven_source(site, db_url: str, tmp_path: Path) -> None:
    """The unchanged recrawl fetches the feed only; the edit fetches the two that moved."""
    runs = run_all("ns_feed", site, db_url, tmp_path / "logs")
    check_history(runs, db_url, "ns_feed")
    fetched = [r.fetched for r in runs]
    assert len(fetched[0]) == 4 and fetched[1] == []
    feed = url_key(f"{BASE_URL}/feed/atom/")
    assert runs[1].not_modified == [feed]  # asked with the kept copy's ETag
    assert sorted(fetched[2]) == sorted(url_key(p.url) for p in (NEW_POST, POSTS[1]))
    assert fetched[3] == fetched[4] == [url_key(GONE)]  # not listed, so revisited


def test_sitemap_driven_source(site, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    runs = run_all("ns_map", site, db, tmp_path / "logs")
    check_history(runs, db, "ns_map")
    fetched = [r.fetched for r in runs]
    assert len(fetched[0]) == 4 and fetched[1] == [] and len(fetched[2]) == 2
    assert len(runs[1].not_modified) == 3  # the index and its two sitemaps, unchanged
    assert runs[0][0].counts["listing_pages"] == 3  # the index and both of its sitemaps


def test_listing_driven_source(site, tmp_path: Path) -> None:
    """Without dates in the listing every known post is due (revisit policy): 304s while
    nothing moved, and the view counter ignored once the pages change."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    runs = run_all("ns_list", site, db, tmp_path / "logs")
    check_history(runs, db, "ns_list")
    first, second, edited = (r[0] for r in runs[:3])
    assert first.counts["listing_pages"] == 2  # page 2 followed through "next"
    assert second.counts["not_modified"] == 4 and second.counts["listing_pages"] == 1
    assert edited.counts["unchanged"] == 3  # 3 counters up, 3 unchanged versions


# --- a source that breaks later ----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "reason", "error"),
    [
        ({"feed": "/feed/rss2/"}, "failed", "listing page failed: ", "/feed/rss2/"),
        ({"feed": "/category/press-releases/"}, "failed",
         "listing page failed: feed not an RSS or Atom feed", "/category/press-releases/"),
        ({"select": {"title": "h1.post-title"}}, "failed",
         "sources.ns_broken.select.title matched nothing on 4 pages", "/2026/11/"),
        ({"select": {"body": "div.entry-content", "date": "time.entry-date::attr(datetime)"},
          "ignore": {"selectors": ["time.entry-date"]}}, "failed",
         "sources.ns_broken.select.date matched nothing on 4 pages", "/2026/11/"),
    ],
    ids=["feed-gone", "not-a-feed", "title-selector", "date-selector"],
)  # fmt: skip
def test_a_source_that_breaks_is_a_bad_run_naming_what_broke(
    site, tmp_path: Path, change: dict, status: str, reason: str, error: str
) -> None:
    _, server = site
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    table = {**SOURCES["ns_feed"], **change}
    run, events, *_ = crawl("ns_broken", server, db, tmp_path / "logs", table)
    assert events == [] and run.status == status
    assert reason in (run.health or "")
    assert run.errors and all(error in e.url for e in run.errors)


# --- by hand, from the CLI, from the daemon ----------------------------------------------


def config_file(directory: Path, server: ReplayServer, db: str) -> Path:
    """presswatch.toml with the feed-driven source; the daemon crawls it from the replay server."""
    path = directory / "presswatch.toml"
    path.write_text(
        f'''database = "{db}"
[daemon]
replay = "{server.url}"
log_dir = "{directory / "logs"}"
[defaults]
enabled = false
[sources.ns_feed]
enabled = true
name = "Northsea Port Authority"
url = "{BASE_URL}"
feed = "/feed/atom/"
interval = "1h"
jitter = 0
''',
        encoding="utf-8",
    )
    return path


def archived_urls(db: str) -> list[str]:
    _, sessions = open_archive(db)
    with sessions() as s:
        return sorted(s.scalars(select(Release.url)))


def test_scrapy_crawl_site_reads_presswatch_toml_of_the_working_directory(
    site, tmp_path: Path
) -> None:
    _, server = site
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    config_file(tmp_path, server, db)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings",
           "PRESSWATCH_DATABASE_URL": db}  # fmt: skip
    env.pop("PRESSWATCH_CONFIG", None)
    fast = ["-s", f"PRESSWATCH_REPLAY={server.url}", "-s", "DOWNLOAD_DELAY=0",
            "-s", "AUTOTHROTTLE_ENABLED=0"]  # fmt: skip

    def scrapy(source: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"source={source}", *fast]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    done = scrapy("ns_feed")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ns_feed run 1 ok" in done.stderr
    assert archived_urls(db) == sorted(archived(p.url) for p in POSTS)
    unknown = scrapy("nasa")
    assert unknown.returncode != 0
    assert "presswatch.toml: no [sources.nasa] table (configured: ns_feed)" in unknown.stderr


def test_the_daemon_and_presswatch_crawl_crawl_a_configured_source(site, tmp_path: Path) -> None:
    _, server = site
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    config = config_file(tmp_path, server, db)
    daemon = DaemonProcess(config, once=True)
    assert daemon.proc.wait(timeout=120) == 0, daemon.output()
    assert "due now: ns_feed" in daemon.output()
    assert archived_urls(db) == sorted(archived(p.url) for p in POSTS)
    status = subprocess.run([str(PRESSWATCH), "status", "--config", str(config), "--json"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    source = next(s for s in json.loads(status.stdout)["sources"] if s["key"] == "ns_feed")
    assert source["last_run"]["status"] == "ok" and source["last_run"]["counts"]["new"] == 4
    assert source["schedule"]["text"] == "every 1h"

    server.requests.clear()
    cmd = [str(PRESSWATCH), "--db", db, "crawl", "NS_FEED", "--config", str(config),
           "--replay", server.url, "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ns_feed" in done.stdout and "2 requests — nothing new" in done.stdout
    keys = server.requests.keys()
    assert len(keys) == 2 and url_key(f"{BASE_URL}/feed/atom/") in keys  # robots.txt, feed
    unknown = subprocess.run(cmd[:4] + ["nasa", *cmd[5:]], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)  # fmt: skip
    assert unknown.returncode == 1 and "unknown source 'nasa' (known: osce" in unknown.stderr

    reparse = [str(PRESSWATCH), "--db", db, "reparse", "--source", "ns_feed"]
    same = subprocess.run([*reparse, "--config", str(config)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)  # fmt: skip
    assert same.returncode == 0, same.stdout + same.stderr
    assert "re-read 4 page(s): recorded 0 re-reading(s), 4 unchanged, 0 unreadable" in same.stdout
    elsewhere = tmp_path / "elsewhere"  # no presswatch.toml here: the source is not configured
    elsewhere.mkdir()
    gone = subprocess.run(reparse, capture_output=True, text=True, timeout=60, cwd=elsewhere)
    assert gone.returncode == 1 and "unknown source 'ns_feed'" in gone.stderr
