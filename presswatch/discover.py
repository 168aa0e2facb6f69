"""`presswatch discover URL`: how a site lists its releases, as a ready ``[sources.KEY]`` block.

Where a site announces its feeds (``<link rel="alternate">``) and sitemaps (robots.txt
``Sitemap:`` lines) they are tried first; the common paths (``/feed/``, ``/rss.xml``,
``/sitemap.xml``…) only when nothing announced works, so a site answers a handful of
requests, each allowed by its robots.txt. A feed with dated items is the best way to follow
a site (a few requests per run, newest first); a sitemap comes next (all the history, its
``<lastmod>`` saying what changed); with neither, a listing page whose release links and
next page are guessed from the page, to be checked with `presswatch check`. The newest
release is read by the source the printed block defines, with the crawl's own code (no
selectors yet: the generic reader), so the sample is what the archive would record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

import click
from parsel import Selector

from crawler.extract import as_text, clean_text, node_text
from crawler.pagecheck import release_page_problem
from crawler.sites import read_with_eras, registry
from crawler.sites.base import Site, UnreadablePage
from crawler.sites.configured import configured_site, link_target, spec_from_dict
from presswatch.context import Context, console, pass_context
from presswatch.crawl_commands import check_replay
from presswatch.fetching import HTML_TYPES, Fetcher, FetchError, site_root
from presswatch.release_links import (
    IndexEntry,
    NotAnIndex,
    entry_day,
    feed_entries,
    newest_first,
    sitemap_entries,
)

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
FEED_PATHS = ("/feed/", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/?feed=rss2")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml")
NEWEST_SHOWN = 3  # dates shown in the block's comments
SAMPLE_WORDS = 25  # of the sample release's body
MIN_LISTING_LINKS = 3  # links of one kind that make a guessed listing
_NEXT_TEXT = re.compile(r"^(?:next|older|more|weiter|suivant)\b|^[›»→>]+$|[›»→]$", re.I)
_CSS_CLASS = re.compile(r"-?[A-Za-z_][\w-]*")
_CHROME = "nav, header, footer, aside, script, style, noscript, form"
_SECOND_LEVEL = {"co", "com", "gov", "ac", "org", "net", "edu", "or", "go"}  # gov.uk, co.jp


@dataclass
class Candidate:
    """A feed or sitemap tried, and what it held."""

    url: str
    found_in: str  # "<link>", "robots.txt" or "common path"
    ok: bool = False
    error: str | None = None
    title: str | None = None
    items: int = 0
    dated: int = 0
    newest: list[str] = field(default_factory=list)  # ISO dates, newest first
    links: list[str] = field(default_factory=list)  # release URLs, newest first

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["links"]
        return data


@dataclass
class Sample:
    url: str
    title: str | None = None
    published: str | None = None
    body_start: str | None = None
    chars: int = 0
    error: str | None = None


@dataclass
class Discovery:
    url: str
    key: str
    name: str
    kind: str | None = None  # feed | sitemap | listing; None: nothing usable
    start: str | None = None
    links: str | None = None  # listing: the guessed CSS selectors
    next: str | None = None
    feeds: list[Candidate] = field(default_factory=list)
    sitemaps: list[Candidate] = field(default_factory=list)
    sample: Sample | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        """A feed with dated items or a sitemap with URLs was found: no common path is tried."""
        return any(c.dated for c in self.feeds) or any(c.ok for c in self.sitemaps)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url, "key": self.key, "name": self.name, "kind": self.kind,
            "start": self.start, "links": self.links, "next": self.next,
            "feeds": [c.to_json() for c in self.feeds],
            "sitemaps": [c.to_json() for c in self.sitemaps],
            "sample": asdict(self.sample) if self.sample else None,
            "notes": self.notes, "toml": config_block(self),
        }  # fmt: skip


# --- reading what was fetched --------------------------------------------------------------


def source_key(url: str) -> str:
    """A config key from the host's name: ``www.europesecuritynews.com`` and
    ``news.europesecuritynews.co.uk`` give ``europesecuritynews``."""
    labels = (urlsplit(url).hostname or "site").lower().split(".")[:-1] or ["site"]
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    key = re.sub(r"[^a-z0-9_-]+", "-", labels[-1]).strip("-")
    return (key if key[:1].isalpha() else f"s-{key}")[:40]


def feed_links(url: str, sel: Selector) -> list[tuple[str, str]]:
    """The feeds a page announces: (URL, title), comment feeds last."""
    found = []
    for link in sel.css("link[rel~=alternate i][href]"):
        if (link.attrib.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES:
            found.append((urljoin(url, link.attrib["href"].strip()), link.attrib.get("title", "")))
    return sorted(found, key=lambda f: "comment" in (f[0] + f[1]).lower())


def site_name(sel: Selector, url: str) -> str:
    """og:site_name, else the <title>'s last part ("Post | Site"), else the host."""
    if name := sel.css("meta[property='og:site_name']::attr(content)").get():
        return clean_text(name)
    title = clean_text(sel.css("title::text").get() or "")
    parts = re.split(r"\s+[|–—-]\s+", title)
    return parts[-1] if title else (urlsplit(url).hostname or url).removeprefix("www.")


def _summarise(candidate: Candidate, entries: list[IndexEntry]) -> Candidate:
    """Counts, newest dates and release links (newest first) of a feed's or sitemap's entries."""
    today = datetime.now(UTC).date()
    ordered = newest_first(entries)
    dated = [d for e in ordered if (d := entry_day(e)) and d <= today]
    candidate.items, candidate.dated = len(entries), len(dated)
    candidate.newest = [d.isoformat() for d in dated[:NEWEST_SHOWN]]
    candidate.links = [e.url for e in ordered]
    candidate.ok = bool(entries)
    if not entries:
        candidate.error = "no items"
    return candidate


def guess_listing(url: str, sel: Selector) -> tuple[str | None, str | None, int]:
    """CSS selectors for a listing's release links and next-page link, guessed from the
    page's most repeated kind of link to another page of the site; and how many it found."""
    page = Selector(text=sel.get())
    for chrome in page.css(_CHROME):
        chrome.drop()
    host = urlsplit(url).hostname
    groups: dict[str, set[str]] = {}
    for link in page.css("body a[href]"):
        href = urljoin(url, link.attrib["href"])
        parts = urlsplit(href)
        if parts.hostname != host or parts.path.rstrip("/") in ("", urlsplit(url).path.rstrip("/")):
            continue
        if _NEXT_TEXT.search(node_text(link) or ""):
            continue
        groups.setdefault(_link_selector(link), set()).add(href.split("#")[0])
    best = max(groups.items(), key=lambda g: len(g[1]), default=(None, set()))
    links = best[0] if len(best[1]) >= MIN_LISTING_LINKS else None
    return links, _next_selector(page), len(best[1]) if links else 0


def _element_selector(node: Selector) -> str:
    """``tag.class`` with the first class a CSS identifier can name ("w-1/2" cannot)."""
    classes = [c for c in (node.attrib.get("class") or "").split() if _CSS_CLASS.fullmatch(c)]
    return node.root.tag + (f".{classes[0]}" if classes else "")


def _link_selector(link: Selector) -> str:
    parent = link.xpath("..")[0]
    if parent.attrib.get("class") or parent.root.tag in ("h1", "h2", "h3", "h4"):
        return f"{_element_selector(parent)} a"
    grand = parent.xpath("..")[0]
    return f"{_element_selector(grand)} {parent.root.tag} a"


def _next_selector(page: Selector) -> str | None:
    if page.css("a[rel~=next i][href]"):
        return "a[rel~=next]"
    for link in page.css("body a[href]"):
        if not _NEXT_TEXT.search(node_text(link) or ""):
            continue
        classes = (link.attrib.get("class") or "").split()
        parent = link.xpath("..")[0]
        query = f"a.{classes[0]}" if classes else f"{_element_selector(parent)} a"
        if page.css(query) and page.css(query)[0].root is link.root:
            return query
    return None


# --- discovering ---------------------------------------------------------------------------


class Discoverer:
    """The requests of one discovery: robots.txt obeyed, each failure kept as a reason."""

    def __init__(self, fetcher: Fetcher, url: str) -> None:
        self.root = site_root(url)
        self.fetcher = fetcher
        self.fetch = fetcher.page
        self.allowed = fetcher.allowed
        self.sitemaps: list[str] = list(fetcher.robots(url).sitemaps)

    def feed(self, url: str, found_in: str) -> Candidate:
        return self._candidate(url, found_in, feed_entries)

    def sitemap(self, url: str, found_in: str) -> Candidate:
        return self._candidate(url, found_in, partial(sitemap_entries, by_name=True))

    def _candidate(
        self, url: str, found_in: str, read: Callable[[Fetcher, str], list[IndexEntry]]
    ) -> Candidate:
        candidate = Candidate(url, found_in)
        try:
            return _summarise(candidate, read(self.fetcher, url))
        except (FetchError, NotAnIndex) as exc:
            candidate.error = str(exc).removeprefix(f"{url}: ")
            return candidate

    def sample(self, url: str, site: Site) -> Sample:
        """The release at ``url`` read as a crawl of the printed block will read it: the
        crawler's own checks and reading (no selectors: the generic reader)."""
        sample = Sample(url)
        try:
            fetched = self.fetch(url)
            html = as_text(fetched.body)
            if problem := release_page_problem(site, fetched.url, html):
                raise UnreadablePage(problem)
            fields, _ = read_with_eras(site, fetched.url, html, datetime.now(UTC).date())
        except (FetchError, UnreadablePage) as exc:
            sample.error = str(exc).removeprefix(f"{url}: ")
            return sample
        words = fields.body.split()
        sample.title = fields.title or None
        sample.published = fields.published.isoformat() if fields.published else None
        sample.body_start = " ".join(words[:SAMPLE_WORDS]) + (
            " …" if len(words) > SAMPLE_WORDS else ""
        )
        sample.chars = len(fields.body)
        return sample


def discover(fetcher: Fetcher, url: str, key: str | None = None) -> Discovery:
    """Find how the site at ``url`` lists its releases; FetchError when its page cannot be
    read (unreachable, not HTML, forbidden by robots.txt)."""
    found = Discoverer(fetcher, url)
    page = found.fetch(url)
    if page.content_type not in HTML_TYPES and not page.body.lstrip()[:200].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        raise FetchError(f"{url}: not an HTML page ({page.content_type or 'no content type'}): "
                         "give the site's home page or the page listing its releases")  # fmt: skip
    sel = Selector(text=as_text(page.body))
    result = Discovery(page.url, key or source_key(page.url), site_name(sel, page.url))
    if result.key in registry():  # a configured source needs a key of its own
        result.notes.append(
            f"{result.key} is a built-in source: try `presswatch check {result.key}`"
        )
        result.key = f"{result.key}-site"
    announced = feed_links(page.url, sel)
    for feed_url, _title in announced:
        result.feeds.append(found.feed(feed_url, "<link>"))
        if result.feeds[-1].dated:
            break
    for sitemap_url in found.sitemaps:
        result.sitemaps.append(found.sitemap(sitemap_url, "robots.txt"))
        if result.sitemaps[-1].ok:
            break
    if not result.settled:
        tried = {c.url for c in result.feeds}
        for path in FEED_PATHS:
            if (feed_url := urljoin(found.root, path)) not in tried and found.allowed(feed_url):
                result.feeds.append(found.feed(feed_url, "common path"))
                if result.feeds[-1].dated:
                    break
    if not result.settled:
        for path in SITEMAP_PATHS:
            if found.allowed(sitemap_url := urljoin(found.root, path)):
                result.sitemaps.append(found.sitemap(sitemap_url, "common path"))
                if result.sitemaps[-1].ok:
                    break
    _choose(result, found, page.url, sel)
    return result


def _choose(result: Discovery, found: Discoverer, url: str, sel: Selector) -> None:
    """The best way found: a feed with dated items, a sitemap, else a guessed listing; and
    the newest release read by the source the block defines."""
    feed = next((c for c in result.feeds if c.dated), None)
    sitemap = next((c for c in result.sitemaps if c.ok), None)
    chosen = feed or sitemap or next((c for c in result.feeds if c.ok), None)
    if chosen is not None:
        result.kind, result.start = ("feed" if chosen in result.feeds else "sitemap"), chosen.url
        newest = chosen.links[0] if chosen.links else None
    else:
        result.kind, result.start = "listing", url
        result.links, result.next, n = guess_listing(url, sel)
        newest = None
        if result.links:
            result.notes.append(
                f"guessed from {n} links on the page: check it with presswatch check"
            )
            href = link_target(sel.css(result.links)[0])
            newest = urljoin(url, href) if href else None
        else:
            result.notes.append("no release links recognised: write the links selector yourself")
    if newest is not None:
        site = configured_site(spec_from_dict(result.key, source_table(result)))
        result.sample = found.sample(newest, site)


# --- the config block ----------------------------------------------------------------------


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _comment(text: str) -> str:
    return "# " + re.sub(r"\s*\n\s*", " ", text.rstrip())


def _describe(c: Candidate, unit: str) -> str:
    if not c.ok:
        return f"{c.url} ({c.found_in}): {c.error}"
    newest = f", newest {', '.join(c.newest)}" if c.newest else ", no dates"
    return f"{c.url} ({c.found_in}): {c.items} {unit}, {c.dated} dated{newest}"


def source_table(d: Discovery) -> dict[str, str]:
    """The keys of the ``[sources.KEY]`` table that discovery could fill in."""
    table = {"name": d.name, "url": site_root(d.url), d.kind or "listing": d.start or d.url}
    if d.links:
        table["links"] = d.links
    if d.next:
        table["next"] = d.next
    return table


def config_block(d: Discovery) -> str:
    """The ``[sources.KEY]`` block for presswatch.toml, its findings as comments."""
    lines = [_comment(f"presswatch discover {d.url}")]
    lines += [_comment("feed: " + _describe(c, "items")) for c in d.feeds]
    lines += [_comment("sitemap: " + _describe(c, "URLs")) for c in d.sitemaps]
    if d.kind == "listing" and not d.feeds and not d.sitemaps:
        lines.append(_comment("no feed or sitemap found"))
    elif d.kind == "listing":
        lines.append(_comment("no feed with items and no sitemap with URLs: a listing page"))
    if s := d.sample:
        lines.append(_comment(f"sample release: {s.url}"))
        if s.error:
            lines.append(_comment(f"  not readable: {s.error}"))
        else:
            lines.append(_comment(f"  title: {s.title or '(none)'}"))
            lines.append(_comment(f"  date: {s.published or '(none found)'}"))
            lines.append(_comment(f"  body ({s.chars} characters): {s.body_start}"))
    lines += [_comment(note) for note in d.notes]
    lines.append(f"[sources.{d.key}]")
    lines += [f"{name} = {_toml(value)}" for name, value in source_table(d).items()]
    if d.kind == "listing":
        lines += [] if d.links else ['# links = "…"  # CSS of the release links: write it']
        lines += [] if d.next else ['# next = "…"  # CSS of the next page link']
    sitemap = next((c for c in d.sitemaps if c.ok), None)
    if d.kind == "feed" and sitemap:
        lines.append(f"# sitemap = {_toml(sitemap.url)}  # instead: all {sitemap.items} "
                     "URLs, <lastmod> saying which changed")  # fmt: skip
    lines.append('# release_pattern = "…"  # a regex: only URLs matching it are releases')
    lines.append(f"# [sources.{d.key}.select]  # CSS or XPath where the generic reading misses")
    lines.append('# body = "…"')
    return "\n".join(lines) + "\n"


@click.command("discover")
@click.argument("url")
@click.option("--key", help="The source's key in presswatch.toml (default: from the host).")
@click.option("--replay", metavar="URL", help="Fetch through this replay server.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def discover_command(obj: Context, url: str, key: str | None, replay: str | None,
                     as_json: bool) -> None:  # fmt: skip
    """Find a site's feeds and sitemaps and print a ready [sources.KEY] block for it.

    URL is the site's home page or the page that lists its releases. The block's comments
    say what was found: items, newest dates, a release read with the generic reader.
    """
    if "://" not in url:
        url = f"https://{url}"
    check_replay(replay)
    try:
        with Fetcher(replay) as fetcher:
            result = discover(fetcher, url, key)
    except FetchError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        obj.emit_json(result.to_json())
        return
    console.print(config_block(result), end="", markup=False, highlight=False, soft_wrap=True)
