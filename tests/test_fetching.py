"""presswatch.fetching, what `discover` and `check` fetch with: the real URL through the
replay server (redirects too), robots.txt rules and Crawl-delay, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import presswatch.fetching as fetching
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from presswatch.fetching import Fetcher, FetchError

SITE = "https://www.slow-site.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    directory = tmp_path_factory.mktemp("site")
    write_snapshot(directory, [
        (SnapshotPage(url=f"{SITE}/robots.txt", file="robots.txt", content_type="text/plain"),
         "User-agent: *\nCrawl-delay: 4\nDisallow: /private/\n"),
        (SnapshotPage(url=f"{SITE}/a", file="a.html"), "<html><body>A</body></html>"),
        (SnapshotPage(url=f"{SITE}/old", status=301, location="/a"), None),
        (SnapshotPage(url=f"{SITE}/private/b", file="b.html"), "<html><body>B</body></html>"),
    ])  # fmt: skip
    with serve(directory) as running:
        yield running


def test_real_urls_through_the_replay_server(server: ReplayServer) -> None:
    with Fetcher(server.url) as fetcher:
        fetched = fetcher.get(f"{SITE}/old")
    assert fetched.url == f"{SITE}/a" and fetched.status == 200  # the redirect followed
    assert fetched.body == b"<html><body>A</body></html>" and fetched.content_type == "text/html"
    assert [hit.key for hit in server.requests.log[-2:]] == [
        "www.slow-site.example/old",
        "www.slow-site.example/a",
    ]


def test_robots_txt_rules_and_crawl_delay(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(fetching.time, "sleep", waits.append)
    with Fetcher(server.url) as fetcher:
        with pytest.raises(FetchError, match=r"/private/b: its site's robots.txt forbids it"):
            fetcher.page(f"{SITE}/private/b")
        fetcher.page(f"{SITE}/a")
        fetcher.page(f"{SITE}/a")
    assert len(waits) == 2 and all(3.5 < w <= 4 for w in waits)  # robots.txt read first: no wait


def test_errors_are_one_line(server: ReplayServer) -> None:
    with Fetcher(server.url) as fetcher, pytest.raises(FetchError, match=rf"^{SITE}/x: HTTP 404$"):
        fetcher.page(f"{SITE}/x")
    with Fetcher("http://127.0.0.1:9") as fetcher, pytest.raises(FetchError, match="cannot reach"):
        fetcher.get(f"{SITE}/a")
