"""`presswatch discover`: sites that announce their feed in <link> tags, their sitemap in
robots.txt only, and neither; the printed block is valid config; errors are one line."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.replay.demo import DEMO_SNAPSHOT
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from crawler.sites import registry
from presswatch.cli import main
from presswatch.config import parse_config
from presswatch.demo_command import DEMO_CONFIG
from presswatch.discover import source_key

BLOG = "https://www.europesecuritynews.com"
MINISTRY = "https://www.interior-ministry.example"  # sitemap in robots.txt, no feed
AGENCY = "https://news.border-agency.example"  # neither: a listing page only
ARTICLE = (
    "<p>{title}. The ministers agreed on the plan at their meeting in the capital, and the "
    "officials will report on its progress to the parliament before the end of the year.</p>"
    "<p>The plan covers training, the exchange of information between the services and "
    "new equipment for the border crossings, financed from the budget of the ministry.</p>"
)


def _page(title: str, main: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Site</title>{head}</head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/about/'>About</a> "
        "<a href='/contact/'>Contact</a></nav></header>"
        f"<main>{main}</main><footer><p>© 2026 The Site</p></footer></body></html>"
    )


def _release(host: str, path: str, title: str, day: str) -> tuple[SnapshotPage, str]:
    head = f'<meta property="article:published_time" content="{day}T09:00:00Z">'
    main = f"<article><h1>{title}</h1>{ARTICLE.format(title=title)}</article>"
    return SnapshotPage(url=f"{host}{path}", file=f"{path.strip('/')}.html"), _page(
        title, main, head
    )


def _pages() -> list[tuple[SnapshotPage, str]]:
    pages: list[tuple[SnapshotPage, str]] = []
    news = [
        (f"/press/2026/{n}-release", f"Release number {n}", f"2026-10-{n:02d}") for n in range(1, 5)
    ]
    pages += [_release(MINISTRY, *item) for item in news]
    links = "".join(f'<p><a href="{p}">{t}</a></p>' for p, t, _ in news)
    pages.append((SnapshotPage(url=f"{MINISTRY}/", file="ministry.html"), _page("Home", links)))
    robots = "User-agent: *\nDisallow: /search/\nSitemap: " + f"{MINISTRY}/sitemaps/index.xml\n"
    pages.append((SnapshotPage(url=f"{MINISTRY}/robots.txt", file="robots.txt",
                               content_type="text/plain"), robots))  # fmt: skip
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{MINISTRY}/sitemaps/pages.xml</loc><lastmod>2025-01-01</lastmod></sitemap>"
        f"<sitemap><loc>{MINISTRY}/sitemaps/press.xml</loc><lastmod>2026-10-04</lastmod></sitemap>"
        "</sitemapindex>"
    )
    urls = "".join(f"<url><loc>{MINISTRY}{p}</loc><lastmod>{d}</lastmod></url>" for p, _, d in news)
    press = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    for name, body in (("index", index), ("press", press)):
        pages.append((SnapshotPage(url=f"{MINISTRY}/sitemaps/{name}.xml", file=f"{name}.xml",
                                   content_type="application/xml"), body))  # fmt: skip
    items = [(f"/en/news/{n}", f"Border agency news {n}", f"2026-09-{n:02d}") for n in range(1, 6)]
    pages += [_release(AGENCY, *item) for item in items]
    listing = (
        '<ul class="news-list">'
        + "".join(f'<li><a href="{p}">{t}</a> <span>{d}</span></li>' for p, t, d in items)
        + '</ul><div class="pager"><a class="pager-next" href="/en/news?page=2">Next ›</a></div>'
    )
    pages.append(
        (SnapshotPage(url=f"{AGENCY}/en/news", file="agency.html"), _page("News", listing))
    )
    pages.append((SnapshotPage(url=f"{AGENCY}/report.pdf", file="report.pdf",
                               content_type="application/pdf"), "%PDF-1.4"))  # fmt: skip
    return pages


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    directory = tmp_path_factory.mktemp("sites")
    write_snapshot(directory, _pages())
    with serve(directory) as server:
        yield server


@pytest.fixture(scope="module")
def demo() -> Iterator[ReplayServer]:
    with serve(DEMO_SNAPSHOT) as server:
        yield server


def _discover(server: ReplayServer, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["discover", *args, "--replay", server.url])
    assert result.exit_code == code, result.output
    return result.output


def _source(block: str, key: str) -> dict:
    """The source table of a printed block, after the config's own checks."""
    data = tomllib.loads(block)
    assert parse_config(data, sorted(registry())).sources[key].site is not None
    return data["sources"][key]


def test_a_feed_announced_in_link_tags(demo: ReplayServer) -> None:
    out = _discover(demo, BLOG)
    source = _source(out, "europesecuritynews")
    assert source == {"name": "Europe Security News", "url": BLOG, "feed": f"{BLOG}/feed/"}
    assert f"# feed: {BLOG}/feed/ (<link>): 4 items, 4 dated, newest 2012-01-09, 2012-01-08" in out
    assert f"# sitemap: {BLOG}/sitemap_index.xml (robots.txt): 4 URLs" in out
    assert "#   title: UNODC and European OSCE´s joint action" in out
    assert "#   date: 2012-01-09" in out
    assert "#   body (2612 characters): Before Christmas, the Executive Director" in out
    assert "comments/feed" not in out  # the comment feed comes after the posts' feed


def test_the_demo_watches_the_blog_with_the_block_discover_prints(demo: ReplayServer) -> None:
    printed = tomllib.loads(_discover(demo, BLOG))
    assert printed == tomllib.loads(DEMO_CONFIG)


def test_the_worked_example_in_the_docs_is_what_discover_prints(demo: ReplayServer) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    example = doc.split("## Worked example", 1)[1]
    block = re.search(r"```toml\n(# presswatch discover.*?)```", example, re.S)
    assert block is not None and block.group(1) == _discover(demo, BLOG)


def test_a_sitemap_in_robots_txt_only(sites: ReplayServer) -> None:
    out = _discover(sites, MINISTRY, "--key", "ministry")
    source = _source(out, "ministry")
    assert source["sitemap"] == f"{MINISTRY}/sitemaps/index.xml"
    assert "feed" not in source
    assert "4 URLs, 4 dated, newest 2026-10-04, 2026-10-03, 2026-10-02" in out
    assert f"# sample release: {MINISTRY}/press/2026/4-release" in out
    assert "#   date: 2026-10-04" in out
    assert "/search/" not in "".join(sites.requests.keys(404))  # robots.txt obeyed


def test_neither_gives_a_listing_with_guessed_selectors(sites: ReplayServer) -> None:
    out = _discover(sites, f"{AGENCY}/en/news", "--json")
    found = json.loads(out)
    assert found["kind"] == "listing" and found["key"] == "border-agency"
    assert found["links"] == "ul.news-list li a" and found["next"] == "a.pager-next"
    assert all(not c["ok"] for c in found["feeds"] + found["sitemaps"])
    assert found["sample"]["title"] == "Border agency news 1"
    source = _source(found["toml"], "border-agency")
    assert source["listing"] == f"{AGENCY}/en/news" and source["links"] == "ul.news-list li a"


def test_a_built_in_sites_key_is_not_reused(demo: ReplayServer) -> None:
    out = _discover(demo, "https://www.osce.org/press-releases")
    assert "# osce is a built-in source: try `presswatch check osce`" in out
    source = _source(out, "osce-site")  # the config refuses a built-in key for its own source
    assert source["listing"] == "https://www.osce.org/press-releases"
    assert source["next"] == "li.pager-next a"


def test_json_has_the_documented_keys(demo: ReplayServer) -> None:
    from test_json_shapes import documented, same_shape

    same_shape(json.loads(_discover(demo, BLOG, "--json")), documented("`presswatch discover"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"{AGENCY}/report.pdf",
            f"Error: {AGENCY}/report.pdf: not an HTML page (application/pdf): "
            "give the site's home page or the page listing its releases",
        ),
        (f"{AGENCY}/gone", f"Error: {AGENCY}/gone: HTTP 404"),
        ("ftp://x.example/", "Error: ftp://x.example/: not an http(s) URL"),
    ],
)
def test_errors_are_one_line(sites: ReplayServer, url: str, message: str) -> None:
    assert _discover(sites, url, code=1) == message + "\n"


def test_an_unreachable_site_is_one_line() -> None:
    result = CliRunner().invoke(main, ["discover", "http://127.0.0.1:9/"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: http://127.0.0.1:9/: cannot reach it (")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.europesecuritynews.com/x", "europesecuritynews"),
        ("https://eng.sectsco.org/", "sectsco"),
        ("https://news.example.co.uk/", "example"),
        ("https://123.example/", "s-123"),
    ],
)
def test_source_key(url: str, key: str) -> None:
    assert source_key(url) == key
