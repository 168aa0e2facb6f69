"""`presswatch check KEY`: every kind of bad source is named with its config key, a good
one (configured or built in) passes; exit status 1 with problems, 0 without."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.replay.demo import DEMO_SNAPSHOT
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from presswatch.cli import main

BLOG = "https://www.europesecuritynews.com"
SEED = f"{BLOG}/2012/01/unodc-and-european-osces-joint-action-against-organized-crime-and-illicit-drugs/"
ODD = "https://www.odd-news.example"
CONFIG = f"""
[sources.europesecuritynews]
name = "Europe Security News"
url = "{BLOG}"
feed = "{BLOG}/feed/"

[sources.esn-listing]
name = "ESN by category"
url = "{BLOG}"
listing = "/category/organized-crime/"
links = "h2.entry-title a"
next = ".navigation .alignleft a"
[sources.esn-listing.select]
title = "h1.entry-title"
date = "abbr.published::attr(title)"
body = "div.entry > p"

[sources.esn-sitemap]
name = "ESN by sitemap"
url = "{BLOG}"
sitemap = "/sitemap_index.xml"

[sources.esn-robots]
name = "ESN by the sitemaps of its robots.txt"
url = "{BLOG}"
sitemap = "/robots.txt"

[sources.pattern]
name = "A release pattern that excludes every post"
url = "{BLOG}"
feed = "/feed/"
release_pattern = "/press-releases/"

[sources.no-links]
name = "Links that match nothing"
url = "{BLOG}"
listing = "/category/organized-crime/"
links = "h3.headline a"

[sources.no-body]
name = "A body selector that matches nothing"
url = "{BLOG}"
feed = "/feed/"
[sources.no-body.select]
body = "div.article-body"

[sources.not-a-feed]
name = "A feed that is a page"
url = "{BLOG}"
feed = "/category/organized-crime/"

[sources.not-a-sitemap]
name = "A sitemap that is a feed"
url = "{BLOG}"
sitemap = "/feed/"

[sources.unreachable]
name = "A feed that is not there"
url = "{BLOG}"
feed = "/rss/news.xml"

[sources.odd-pages]
name = "Pages no reader can take"
url = "{ODD}"
listing = "/news/"
links = "ul.news a"

[sources.future]
name = "Dates in the future"
url = "{ODD}"
feed = "/future.xml"

[sources.future-date]
name = "A date selector reading a date in the future"
url = "{ODD}"
listing = "/later/"
links = "ul.news a"
[sources.future-date.select]
date = "p.date"
"""


def _html(title: str, main: str) -> str:
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><nav><a href='/'>"
            f"Home</a></nav><main>{main}</main><footer>© Odd News</footer></body></html>")  # fmt: skip


def _odd_pages() -> list[tuple[SnapshotPage, str]]:
    links = (
        '<a href="/news/soft-404">One</a></li><li><a href="/news/empty">Two</a></li>'
        '<li><a href="/private/three">Three</a>'
    )
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Odd</title>'
        f"<item><title>Ahead</title><link>{ODD}/news/soft-404</link>"
        "<pubDate>Mon, 01 Jan 2099 10:00:00 +0000</pubDate></item></channel></rss>"
    )
    return [
        (SnapshotPage(url=f"{ODD}/robots.txt", file="robots.txt", content_type="text/plain"),
         "User-agent: *\nDisallow: /private/\n"),
        (SnapshotPage(url=f"{ODD}/news/", file="news.html"),
         _html("News", f'<ul class="news"><li>{links}</li></ul>')),
        (SnapshotPage(url=f"{ODD}/news/soft-404", file="soft-404.html"),
         _html("Page not found | Odd News", "<h1>Page not found</h1><p>Sorry.</p>")),
        (SnapshotPage(url=f"{ODD}/news/empty", file="empty.html"),
         _html("Photo gallery", "<h1>Photo gallery</h1><img src='/a.jpg'>")),
        (SnapshotPage(url=f"{ODD}/later/", file="later.html"),
         _html("Later", '<ul class="news"><li><a href="/news/ahead">Ahead</a></li></ul>')),
        (SnapshotPage(url=f"{ODD}/news/ahead", file="ahead.html"),
         _html("Ahead | Odd News", f"<article><h1>Ahead</h1><p class='date'>1 January 2099</p>"
               f"<p>{'A paragraph of the release that is long enough to read. ' * 6}</p>"
               f"<p>{'Another paragraph, just as long as the first one was. ' * 6}</p></article>")),
        (SnapshotPage(url=f"{ODD}/future.xml", file="future.xml",
                      content_type="application/rss+xml"), rss),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    """The demo snapshot (the seed 000 blog) and the odd site, served together."""
    directory = tmp_path_factory.mktemp("snapshot")
    manifest = json.loads((DEMO_SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))
    blog = [SnapshotPage(**p) for p in manifest["pages"] if p["url"].startswith(BLOG)]
    for page in blog:
        target = directory / page.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((DEMO_SNAPSHOT / page.file).read_bytes())
    write_snapshot(directory, [*((p, None) for p in blog), *_odd_pages()])
    with serve(directory) as server:
        yield server


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "presswatch.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _check(replay: ReplayServer, config: Path, key: str, *args: str, code: int) -> str:
    result = CliRunner().invoke(
        main, ["check", key, "--config", str(config), "--replay", replay.url, *args]
    )
    assert result.exit_code == code, result.output
    return result.output


def _problems(replay: ReplayServer, config: Path, key: str) -> list[str]:
    report = json.loads(_check(replay, config, key, "--json", code=1))
    assert report["ok"] is False and report["source"] == key
    return report["problems"]


@pytest.mark.parametrize("key", ["europesecuritynews", "esn-listing", "esn-sitemap", "esn-robots"])
def test_a_good_configured_source(replay: ReplayServer, config: Path, key: str) -> None:
    out = _check(replay, config, key, code=0)
    assert f"{key}: no problems" in out
    assert f"✓ {SEED}  2012-01-09  UNODC and European OSCE´s joint action" in out


def test_a_built_in_source_is_checked_too(config: Path) -> None:
    with serve(DEMO_SNAPSHOT) as demo:
        report = json.loads(_check(demo, config, "unis", "--json", "-n", "2", code=0))
    assert report["kind"] == "listing" and report["links"] >= 2
    assert [r["method"] for r in report["releases"]] == ["site", "site"]


def test_the_reading_is_the_crawls(replay: ReplayServer, config: Path) -> None:
    report = json.loads(_check(replay, config, "esn-listing", "--json", "-n", "1", code=0))
    (release,) = report["releases"]
    assert release["method"] == "site" and release["parser_version"].startswith("esn-listing/")
    assert release["chars"] == 2612  # the seed's body, as the selectors read it


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("no-links", f"sources.no-links.links matched nothing on {BLOG}/category/organized-crime/"),
        ("no-body", f"sources.no-body.select.body matched nothing on {SEED}"),
        ("not-a-feed", f"sources.not-a-feed.feed: {BLOG}/category/organized-crime/ is not an RSS or Atom feed"),
        ("not-a-sitemap", f"sources.not-a-sitemap.sitemap: {BLOG}/feed/ is not a sitemap (root element <rss>)"),
        ("pattern", f"sources.pattern.release_pattern matched none of the 4 links of {BLOG}/feed/"),
        ("unreachable", f"sources.unreachable.feed: {BLOG}/rss/news.xml: HTTP 404"),
        ("odd-pages", f"{ODD}/news/soft-404: error page served with status 200: page not found"),
        ("odd-pages", f"{ODD}/news/empty: no article body found"),
        ("odd-pages", f"{ODD}/private/three: its site's robots.txt forbids it"),
        ("future", f"sources.future.feed: 1 items dated in the future (2099-01-01 for {ODD}/news/soft-404)"),
        ("future-date", f"sources.future-date.select.date matched a date in the future on {ODD}/news/ahead (2099-01-01)"),
    ],
)  # fmt: skip
def test_each_bad_source_is_named(
    replay: ReplayServer, config: Path, key: str, problem: str
) -> None:
    problems = _problems(replay, config, key)
    assert any(p.startswith(problem) for p in problems), problems


def test_problems_are_listed_with_the_source_name(replay: ReplayServer, config: Path) -> None:
    out = _check(replay, config, "no-body", code=1)
    assert "A body selector that matches nothing (no-body): 3 problems" in out
    assert "Traceback" not in out


def test_an_unreachable_site(config: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["check", "europesecuritynews", "--config", str(config), "--replay", "http://127.0.0.1:9"],
    )
    assert result.exit_code == 1
    assert f"sources.europesecuritynews.feed: {BLOG}/feed/: cannot reach it (" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "Error: unknown source 'nosuch' (known: "),
        (
            ["x", "--config", "/nonexistent.toml"],
            "Error: config: /nonexistent.toml: no such config file",
        ),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code == 1 and result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_json_has_the_documented_keys(replay: ReplayServer, config: Path) -> None:
    from test_json_shapes import documented, same_shape

    report = json.loads(_check(replay, config, "europesecuritynews", "--json", code=0))
    same_shape(report, documented("`presswatch check"))
