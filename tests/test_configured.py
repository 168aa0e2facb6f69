"""Configured sources read without a crawl: the definition, selectors, ignore rules, feeds.

Pages are the Northsea newsroom's (tests/configured_site.py): whole WordPress pages with
menus, sidebar widgets, a view counter, share buttons, a captioned figure and comments.
"""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from typing import Any

import pytest
from configured_site import EDIT, POSTS, SNAPSHOT, atom_feed, post_page, rss_feed

from crawler.feeds import NotAnIndex, read_feed, read_sitemap
from crawler.sites import read_with_eras
from crawler.sites.base import SelectorProblem, UnreadablePage
from crawler.sites.configured import KINDS, SiteSpec, configured_site, spec_from_dict
from crawler.spiders import site as site_spider
from presswatch.config import SITE_KINDS, ConfigError, parse_config
from scheduler import options
from storage.fingerprint import content_hash

KNOWN = ["osce", "sco", "unis", "unodc"]
BASE = {"url": "https://news.northsea-port.example/", "feed": "/feed/atom/"}
CSS = {
    "title": "h1.entry-title",
    "date": "time.entry-date::attr(datetime)",
    "body": "div.entry-content",
    "remove": [".sharedaddy", ".wp-caption", ".post-views"],
}
XPATH = {
    "title": "//h1[@class='entry-title']/text()",
    "date": "(//time[contains(@class, 'published')])[1]/@datetime",
    "body": "//div[@class='entry-content']/p",
}


def read(post_html: str, url: str, day: date | None = None, **table: Any):
    site = configured_site(spec_from_dict("ns", {**BASE, **table}))
    return read_with_eras(site, url, post_html, day)[0]


def page(i: int = 0, **changes: Any) -> tuple[str, str]:
    from dataclasses import replace

    post = replace(POSTS[i], **changes)
    return post_page(post, (None, None)), post.url


# --- the definition ----------------------------------------------------------------------


def test_a_configured_source_becomes_a_source_with_its_definition_as_a_setting() -> None:
    table = {**BASE, "name": "Northsea", "interval": "2h", "select": CSS,
             "ignore": {"patterns": [r"\d+ views"], "selectors": [".post-views"]},
             "revisit": {"budget": 10}, "politeness": {"DOWNLOAD_DELAY": 3}}  # fmt: skip
    config = parse_config({"sources": {"ns": table}}, KNOWN)
    assert list(config.sources) == [*KNOWN, "ns"]
    source = config.sources["ns"]
    assert source.schedule.interval == 7200 and source.site is not None
    settings = source.crawl_settings()
    assert settings["DOWNLOAD_DELAY"] == "3" and settings["PRESSWATCH_REVISIT_BUDGET"] == "10"
    spec = SiteSpec.from_json(settings[options.SITE_SETTING])
    assert spec == spec_from_dict("ns", table) == SiteSpec.from_data(source.site)
    assert spec.start == "https://news.northsea-port.example/feed/atom/" and spec.kind == "feed"
    assert spec.name == "Northsea" and spec.ignore_patterns == (r"\d+ views",)
    assert config.sources["osce"].site is None  # built-in sites carry no definition


def test_the_names_that_cross_layers_agree() -> None:
    """scheduler and presswatch keep copies (they import no crawler code at startup)."""
    assert SITE_KINDS == KINDS and options.SITE_SETTING == site_spider.SITE_SETTING


def test_a_configured_source_is_crawled_by_the_site_spider() -> None:
    from scheduler.runner import CrawlOptions

    config = parse_config({"sources": {"ns": BASE}}, KNOWN)
    settings = config.sources["ns"].crawl_settings()
    assert CrawlOptions(settings=settings).command("ns")[3:7] == [
        "crawl",
        "site",
        "-a",
        "source=ns",
    ]
    assert CrawlOptions().command("osce")[3:5] == ["crawl", "osce"]


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({"ns": {"url": BASE["url"], "feed": "/f", "sitemap": "/s"}},
         "sources.ns: give exactly one of feed, sitemap, listing (got feed and sitemap)"),
        ({"ns": {"feed": "/feed/"}}, "sources.ns.url: required"),
        ({"ns": {"url": "ftp://x.example/", "feed": "/f"}}, "sources.ns.url: expected an http(s)"),
        ({"ns": {"url": "https://x.example:99999/", "feed": "/f"}}, "sources.ns.url: 'https://x."),
        ({"ns": {"url": BASE["url"], "listing": "/news/"}}, "sources.ns.links: a listing needs"),
        ({"ns": {**BASE, "links": "a"}}, "sources.ns.links: only a listing takes links"),
        ({"ns": {"url": BASE["url"], "listing": "/n/", "links": "//a"}},
         "sources.ns.links: expected a CSS selector, got XPath"),
        ({"ns": {"url": BASE["url"], "listing": "/n/", "links": "a", "next": "a[rel="}},
         "sources.ns.next: 'a[rel=' is not a valid CSS selector"),
        ({"ns": {**BASE, "select": {"title": "h1::text::attr(x)"}}},
         "sources.ns.select.title: 'h1::text::attr(x)' is not a valid CSS selector"),
        ({"ns": {**BASE, "select": {"body": "//div[@class="}}},
         "sources.ns.select.body: '//div[@class=' is not a valid XPath"),
        ({"ns": {**BASE, "select": {"remove": ["p", "(//p"]}}},
         "sources.ns.select.remove[1]: '(//p' is not a valid XPath"),
        ({"ns": {**BASE, "select": {"headline": "h1"}}},
         "sources.ns.select.headline: unknown key (known: title, date, body, remove)"),
        ({"ns": {**BASE, "select": "h1"}}, "sources.ns.select: expected a table"),
        ({"ns": {**BASE, "ignore": {"patterns": ["[0-9"]}}},
         "sources.ns.ignore.patterns[0]: '[0-9' is not a regular expression"),
        ({"ns": {**BASE, "ignore": {"selectors": [3]}}},
         "sources.ns.ignore.selectors: expected a list of strings"),
        ({"ns": {**BASE, "release_pattern": "(20"}},
         "sources.ns.release_pattern: '(20' is not a regular expression"),
        ({"ns": {**BASE, "name": ""}}, "sources.ns.name: expected a non-empty string"),
        ({"ns": {**BASE, "intervall": "2h"}}, "sources.ns.intervall: unknown key"),
        ({"ns": {**BASE, "interval": "often"}}, "sources.ns.interval: 'often' is not a duration"),
        ({"Northsea": BASE}, "sources.Northsea: a source key is lower-case letters"),
        ({"osce": {"feed": "https://www.osce.org/feed"}},
         "sources.osce.feed: osce is a built-in source; a configured source needs a key"),
        ({"ns": {"url": BASE["url"]}}, "sources.ns: unknown source (known: osce, sco, unis, unodc)"),
    ],
)  # fmt: skip
def test_bad_definitions_name_the_key(sources: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": sources}, KNOWN)
    assert message in str(caught.value)


def test_a_watch_may_name_a_configured_source() -> None:
    target = {"type": "log", "name": "ns-log", "sources": ["ns"]}
    config = parse_config({"sources": {"ns": BASE}, "notify": {"targets": [target]}}, KNOWN)
    watch = config.notify.targets[0].watch
    assert watch is not None and watch.sources == frozenset({"ns"})


# --- reading pages -----------------------------------------------------------------------


@pytest.mark.parametrize("select", [{}, CSS, XPATH], ids=["fallback", "css", "xpath"])
@pytest.mark.parametrize("i", range(len(POSTS)))
def test_release_pages_read_as_the_post_without_the_theme(select: dict, i: int) -> None:
    post = POSTS[i]
    url = post.url
    html = (SNAPSHOT / f"{url.split('://')[1].rstrip('/')}.html").read_text("utf-8")
    fields = read(html, url, select=select)
    assert fields.body == post.body  # no menu, widget, caption, counter, share or comment
    assert fields.title == post.title and fields.published == post.published.date()
    assert fields.method == ("site" if "body" in select else "fallback")
    assert fields.parser_version.startswith("ns/config-")


def test_each_override_replaces_only_its_field() -> None:
    html, url = page(0)
    fields = read(html, url, select={"title": "p.site-description"})
    assert fields.title == "News, notices and statements from the Port Authority"
    assert fields.body == POSTS[0].body and fields.method == "fallback"  # body: the fallback's
    dated = read(html, url, select={"date": "//div[@class='comment-metadata']//time/@datetime"})
    assert dated.published == POSTS[0].published.date()


def test_remove_drops_nodes_from_a_selected_body() -> None:
    html, url = page(0)
    whole = read(html, url, select={"body": "div.entry-content"}).body
    assert "Post Views: 120" in whole and "Photo: NSPA" in whole and "Share this" in whole
    trimmed = read(html, url, select={"body": "div.entry-content", "remove": CSS["remove"]})
    assert trimmed.body == POSTS[0].body


def test_a_selector_that_matches_nothing_is_an_error_naming_it() -> None:
    html, url = page(0)
    with pytest.raises(SelectorProblem) as caught:
        read(html, url, select={"title": "h1.post-title"})
    assert caught.value.problem == "sources.ns.select.title matched nothing"
    with pytest.raises(SelectorProblem, match="sources.ns.select.date matched no date"):
        read(html, url, select={"date": "h1.entry-title"})
    with pytest.raises(SelectorProblem, match="select.body matched no text"):
        read(html, url, select={"body": "div.entry-content figure img"})


def test_future_dates_are_refused() -> None:
    future = datetime(2031, 5, 4, 9, tzinfo=UTC)
    html, url = page(0, published=future, modified=future)
    with pytest.raises(SelectorProblem) as caught:
        read(html, url, date(2026, 12, 2), select=CSS)
    assert str(caught.value) == "sources.ns.select.date matched a date in the future: 2031-05-04"
    fallback = read(html, url, date(2026, 12, 2))  # the fallback never takes one either
    assert fallback.published is None or fallback.published <= date(2026, 12, 2)
    assert read(html, url, date(2031, 5, 4), select=CSS).published == future.date()


@pytest.mark.parametrize(
    "ignore",
    [{"patterns": [r"Post Views: [\d,]+"]}, {"selectors": [".post-views"]}],
    ids=["pattern", "selector"],
)
def test_ignored_content_never_counts_as_a_change(ignore: dict) -> None:
    select = {"body": "div.entry-content", "remove": [".sharedaddy", ".wp-caption"]}

    def fingerprint(i: int = 0, rules: dict | None = None, **changes: Any) -> str:
        html, url = page(i, **changes)
        f = read(html, url, select=select, ignore=rules or {})
        return content_hash(f.title, f.published, f.body)

    assert fingerprint(views=120) != fingerprint(views=1_904)  # without rules: a change
    assert fingerprint(views=120, rules=ignore) == fingerprint(views=1_904, rules=ignore)
    edited = tuple(p.replace(*EDIT) for p in POSTS[1].paragraphs)
    assert fingerprint(1, ignore) != fingerprint(1, ignore, paragraphs=edited)  # a real edit


def test_a_body_left_empty_by_the_ignore_rules_is_unreadable() -> None:
    html, url = page(0)
    with pytest.raises(UnreadablePage, match="no article body left after the ignore rules"):
        read(html, url, ignore={"patterns": [r"(?s).+"]})


def test_listing_links_and_next_page_are_joined_to_the_page_url() -> None:
    from configured_site import listing_page, listing_url

    spec = spec_from_dict("ns", {"url": BASE["url"], "listing": "/category/press-releases/",
                                 "links": "h2.entry-title a", "next": "a.next.page-numbers"})  # fmt: skip
    parser = configured_site(spec).parser_for()
    html = listing_page(list(POSTS[:3]), 1, 2).replace(BASE["url"].rstrip("/"), "")  # relative
    listing = parser.parse_listing(listing_url(1), html)
    assert [e.url for e in listing.entries] == [p.url for p in POSTS[:3]]
    assert listing.entries[0].title == POSTS[0].title and listing.next_url == listing_url(2)
    last = parser.parse_listing(listing_url(2), listing_page(list(POSTS[3:]), 2, 2))
    assert [e.url for e in last.entries] == [POSTS[3].url] and last.next_url is None


def test_a_release_pattern_tells_releases_from_other_pages() -> None:
    site = configured_site(spec_from_dict("ns", {**BASE, "release_pattern": r"/20\d\d/\d\d/"}))
    assert site.is_release_url(POSTS[0].url) and not site.is_release_url(BASE["url"] + "about/")


# --- feeds and sitemaps ------------------------------------------------------------------


def test_atom_gives_updated_and_rss_only_the_publication_date() -> None:
    posts = list(POSTS)
    atom, rss = read_feed(atom_feed(posts).encode()), read_feed(rss_feed(posts).encode())
    assert [e.url for e in atom] == [e.url for e in rss] == [p.url for p in posts]
    assert atom[0].modified == posts[0].published and atom[0].published == date(2026, 11, 24)
    assert rss[0].modified is None and rss[0].published == date(2026, 11, 24)
    assert rss[0].title == posts[0].title


def test_relative_feed_links_are_read_against_the_feed() -> None:
    rss = rss_feed(list(POSTS[:1])).replace("https://news.northsea-port.example/2026", "/2026")
    assert "<link>/2026/" in rss
    entries = read_feed(rss.encode(), "https://news.northsea-port.example/feed/")
    assert [e.url for e in entries] == [POSTS[0].url]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><body><h1>Newsroom</h1></body></html>", "not an RSS or Atom"),
        (b"", "not an RSS or Atom feed"),
    ],
)
def test_a_feed_that_is_no_feed_says_so(body: bytes, reason: str) -> None:
    with pytest.raises(NotAnIndex, match=reason):
        read_feed(body)


def test_sitemaps_gzipped_or_not_and_their_lastmod() -> None:
    index = (SNAPSHOT / "news.northsea-port.example" / "wp-sitemap.xml").read_bytes()
    assert read_sitemap(index).is_index and len(read_sitemap(index).entries) == 2
    posts = (SNAPSHOT / "news.northsea-port.example" / "wp-sitemap-posts-post-1.xml").read_bytes()
    plain, zipped = read_sitemap(posts), read_sitemap(gzip.compress(posts))
    assert plain == zipped and not plain.is_index
    assert [e.url for e in plain.entries] == [p.url for p in POSTS]
    assert plain.entries[0].modified == POSTS[0].published
    day = read_sitemap(posts.replace(b"2026-11-24T09:30:00+00:00", b"2026-11-24"))
    assert day.entries[0].modified == datetime(2026, 11, 24, 23, 59, 59, 999999, UTC)
    for bad in (b"<html><body>Not found</body></html>", b"\x1f\x8bnot gzip", b"no xml"):
        with pytest.raises(NotAnIndex, match="not a"):
            read_sitemap(bad)


def test_feeds_and_sitemaps_are_kept_one_copy_per_url(db_url: str) -> None:
    from storage.db import open_archive
    from storage.documents import keep_document, kept_documents
    from storage.models import Source

    engine, sessions = open_archive(db_url)
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    feed = BASE["url"] + "feed/atom/"
    with sessions.begin() as session:
        session.add(Source(key="ns", name="Northsea", base_url=BASE["url"]))
    with sessions.begin() as session:
        keep_document(session, "ns", feed, '"a"', None, b"<feed>1</feed>", now)
        keep_document(session, "nasa", feed, '"a"', None, b"<feed/>", now)  # no such source
    with sessions.begin() as session:
        keep_document(
            session, "ns", feed, '"b"', "Wed, 02 Dec 2026 12:00:00 GMT", b"<feed>2</feed>", now
        )
    with sessions() as session:
        kept = kept_documents(session, "ns")
        assert list(kept) == [feed] and kept_documents(session, "nasa") == {}
    assert kept[feed].etag == '"b"' and kept[feed].body == b"<feed>2</feed>"
    assert kept[feed].last_modified == "Wed, 02 Dec 2026 12:00:00 GMT"
    engine.dispose()


def test_inspect_reads_a_page_as_its_configured_source(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from presswatch.cli import main

    config = tmp_path / "presswatch.toml"
    config.write_text(
        '[sources.harbour]\nname = "Northsea"\nurl = "https://news.northsea-port.example/"\n'
        'feed = "/feed/atom/"\n[sources.harbour.select]\nbody = "div.entry-content"\n'
        'remove = [".sharedaddy", ".wp-caption", ".post-views"]\n',
        encoding="utf-8",
    )
    post = POSTS[0]
    saved = tmp_path / "post.html"
    saved.write_text(post_page(post, (None, None)), encoding="utf-8")

    def inspect(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["inspect", str(saved), "--url", post.url, *args])
        return result.exit_code, result.output

    code, out = inspect("--config", str(config), "--json")  # guessed from the host
    assert code == 0, out
    data = json.loads(out)
    readings = {r["parser"]: r for r in data["readings"]}
    assert data["source"] == "harbour" and list(readings)[-1] == "crawl"
    assert readings["crawl"]["method"] == "site" and readings["crawl"]["chars"] == len(post.body)
    code, out = inspect("--config", str(config), "--source", "HARBOUR", "--json")
    assert code == 0 and json.loads(out)["source"] == "harbour"
    code, out = inspect("--source", "harbour")  # no config: no such source
    assert code == 1 and "unknown source 'harbour' (known: osce, sco, unis, unodc)" in out


def test_a_renamed_source_shows_its_new_name(db_url: str) -> None:
    from storage.archive import Archive
    from storage.db import open_archive
    from storage.models import Source

    engine, sessions = open_archive(db_url)
    archive = Archive(sessions)
    first = archive.ensure_source("ns", "Northsea", "https://news.northsea-port.example/")
    assert archive.ensure_source("ns", "Northsea Port Authority", "https://nspa.example/") == first
    assert archive.ensure_source("ns") == first  # record() passes no name: nothing changes
    with sessions() as session:
        source = session.get(Source, first)
        assert (source.name, source.base_url) == (
            "Northsea Port Authority",
            "https://nspa.example/",
        )
    engine.dispose()
