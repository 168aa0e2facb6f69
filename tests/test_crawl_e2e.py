"""End to end: the replay server, `presswatch crawl` (scrapy in subprocesses), the archive.

The demo snapshot is served on 127.0.0.1; every release of it that a site keeps must land
in the archive exactly once, all new, and a second crawl must find them all unchanged.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.replay.builders import unodc
from crawler.replay.builders.base import html_page, robots_page
from crawler.replay.demo import DEMO_SNAPSHOT, builder
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import write_snapshot
from crawler.sites import SITE_MODULES, get_site
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlError, CrawlRun, Release, ReleaseVersion, Source
from storage.urls import canonical_url

ROOT = Path(__file__).resolve().parents[1]
PRESSWATCH = [sys.executable, "-c", "from presswatch.cli import main; main()"]
CRAWL_TIMEOUT = 120


def expected_urls(key: str) -> set[str]:
    """The canonical URLs of the demo releases that ``key``'s site keeps by default."""
    kinds = get_site(key).release_kinds
    return {
        canonical_url(r.url)
        for r in builder(key).demo_releases()
        if kinds is None or str(r.metadata.get("content_type") or r.kind) in kinds
    }


def quiet_env(tmp_path: Path) -> dict[str, str]:
    """The user's data and log directories moved into tmp_path: a test leaves no trace."""
    return {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def presswatch(
    tmp_path: Path, db: str, *args: str, code: int = 0
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*PRESSWATCH, "--db", db, *args], capture_output=True, text=True, cwd=ROOT,
        env=quiet_env(tmp_path), timeout=CRAWL_TIMEOUT,
    )  # fmt: skip
    if result.returncode != code:
        logs = sorted((tmp_path / "state").rglob("*.log"))
        tails = "".join(f"\n--- {p.name}\n{p.read_text()[-2000:]}" for p in logs)
        pytest.fail(f"presswatch {' '.join(args)} failed:\n{result.stdout}{result.stderr}{tails}")
    return result


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with serve(DEMO_SNAPSHOT) as running:
        yield running


class ArchiveView:
    """What a test reads back from the archive after a crawl."""

    def __init__(self, db: str) -> None:
        self.engine, self.sessions = open_archive(db)

    def urls(self, source: str) -> list[str]:
        with self.sessions() as s:
            query = select(Release.url).join(Source).where(Source.key == source)
            return list(s.scalars(query))

    def count(self, model: type, **where: str) -> int:
        with self.sessions() as s:
            query = select(func.count()).select_from(model)
            if "kind" in where:
                query = query.where(ChangeEvent.kind == where["kind"])
            return s.scalar(query) or 0

    def runs(self, source: str) -> list[CrawlRun]:
        with self.sessions() as s:
            query = select(CrawlRun).join(Source).where(Source.key == source).order_by(CrawlRun.id)
            runs = list(s.scalars(query))
            s.expunge_all()
            return runs

    def errors(self) -> list[tuple[str, str]]:
        with self.sessions() as s:
            return [(e.url, e.reason) for e in s.scalars(select(CrawlError))]

    def close(self) -> None:
        self.engine.dispose()


def check_first_crawl(view: ArchiveView, sources: tuple[str, ...]) -> None:
    for key in sources:
        urls = view.urls(key)
        assert len(urls) == len(set(urls))
        assert set(urls) == expected_urls(key), key
        (run,) = view.runs(key)
        n = len(expected_urls(key))
        assert run.status == "ok", (key, run.health)
        assert run.finished_at is not None
        assert run.counts["new"] == n and run.counts["items"] == n, (key, run.counts)
        assert not run.counts.get("errors") and not run.counts.get("changed"), (key, run.counts)
        assert run.counts["requests"] >= n
    total = sum(len(expected_urls(k)) for k in sources)
    assert view.count(ReleaseVersion) == total
    assert view.count(ChangeEvent) == view.count(ChangeEvent, kind="new") == total
    assert view.errors() == []


def check_second_crawl(view: ArchiveView, sources: tuple[str, ...], versions: int) -> None:
    for key in sources:
        first, second = view.runs(key)
        n = len(expected_urls(key))
        assert second.status == "ok", (key, second.health)
        assert second.counts.get("unchanged") == n, (key, second.counts)
        for outcome in ("new", "changed", "restored", "removed", "errors"):
            assert not second.counts.get(outcome), (key, outcome, second.counts)
    assert view.count(ReleaseVersion) == versions
    assert view.count(ChangeEvent) == versions  # one "new" event per release, nothing since


def test_crawl_all_four_sites_twice(server: ReplayServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    server.requests.clear()
    first = presswatch(tmp_path, db, "crawl", *SITE_MODULES, "--replay", server.url, "--full")
    for key in SITE_MODULES:
        n = len(expected_urls(key))
        assert f"✓ {key}" in first.stdout and f"{n} new" in first.stdout.split(f"✓ {key}")[1]
    assert server.requests[404] == 0, server.requests.keys(404)  # every link was saved
    view = ArchiveView(db)
    try:
        check_first_crawl(view, SITE_MODULES)
        second = presswatch(tmp_path, db, "crawl", *SITE_MODULES, "--replay", server.url, "--full")
        assert not re.search(r"\d+ (new|changed|restored|errors)\b", second.stdout), second.stdout
        for key in SITE_MODULES:
            assert f"{len(expected_urls(key))} unchanged" in second.stdout.split(f"✓ {key}")[1]
        check_second_crawl(view, SITE_MODULES, view.count(ReleaseVersion))
    finally:
        view.close()


def test_crawl_into_postgresql(server: ReplayServer, tmp_path: Path, pg_url: str) -> None:
    sources = ("unis",)
    presswatch(tmp_path, pg_url, "crawl", *sources, "--replay", server.url, "--full")
    view = ArchiveView(pg_url)
    try:
        check_first_crawl(view, sources)
        presswatch(tmp_path, pg_url, "crawl", *sources, "--replay", server.url, "--full")
        check_second_crawl(view, sources, len(expected_urls("unis")))
    finally:
        view.close()


def test_scrapy_crawl_from_the_repo_root(server: ReplayServer, tmp_path: Path) -> None:
    """`scrapy crawl osce -s PRESSWATCH_REPLAY=…` finds crawler.settings through scrapy.cfg."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    env = quiet_env(tmp_path)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    scrapy = [sys.executable, "-m", "scrapy"]
    delays_off = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
    server.requests.clear()
    result = subprocess.run(
        [*scrapy, "crawl", "osce", "-s", f"PRESSWATCH_REPLAY={server.url}",
         "-s", f"PRESSWATCH_DATABASE_URL={db}", *delays_off],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=CRAWL_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert server.requests[200] and all(
        k.startswith("www.osce.org/")
        for k in server.requests.keys()  # noqa: SIM118
    )
    view = ArchiveView(db)
    try:
        assert set(view.urls("osce")) == expected_urls("osce")
        assert all(url.startswith("https://www.osce.org/") for url in view.urls("osce"))
    finally:
        view.close()


def test_summary_names_an_unhealthy_run_and_its_errors(tmp_path: Path) -> None:
    """A listing that links nothing: the run failed, the summary says why and lists the error."""
    write_snapshot(
        tmp_path / "snapshot",
        [
            robots_page(unodc.BASE_URL),
            html_page(unodc.listing_url(0), unodc.listing_html([], 0, 1)),
        ],
        name="empty-listing",
    )
    with serve(tmp_path / "snapshot") as empty:
        db = f"sqlite:///{tmp_path / 'archive.db'}"
        out = presswatch(tmp_path, db, "crawl", "unodc", "--replay", empty.url, code=1).stdout
    summary = next(line for line in out.splitlines() if "unodc:" in line)
    assert summary.startswith("✗ unodc:") and "failed: listing page failed" in out, out
    assert f"{canonical_url(unodc.listing_url(0))}: listing page has no release links\n" in out, out
