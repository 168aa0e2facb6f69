"""Feeds and sitemaps as lists of release links, with the dates that let a crawl skip them.

RSS and Atom are read by feedparser; sitemaps and sitemap indexes by Scrapy's own
``scrapy.utils.sitemap`` (as its SitemapSpider reads them). A document that is neither
raises NotAnIndex with the reason, so a feed that turned into an HTML page is a run error.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

GZIP_MAGIC = b"\x1f\x8b"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file
_OLDEST = datetime.min.replace(tzinfo=UTC)


class NotAnIndex(Exception):
    """A document given as a feed or sitemap that is not one."""


@dataclass(frozen=True)
class IndexEntry:
    """One link of a feed or sitemap: a release, or (in a sitemap index) another sitemap."""

    url: str
    title: str | None = None
    published: date | None = None
    # When the document says the page last changed (Atom <updated>, sitemap <lastmod>);
    # None when it does not say (RSS has only the publication date).
    modified: datetime | None = None


def read_feed(body: bytes, url: str = "") -> list[IndexEntry]:
    """The items of an RSS or Atom feed, in the feed's order, their links read against the
    feed's ``url`` (and its xml:base); NotAnIndex for anything else."""
    import feedparser  # late: only feed-driven sources need it

    parsed = feedparser.parse(body, response_headers={"content-location": url} if url else None)
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise NotAnIndex(f"not an RSS or Atom feed ({reason})")
    entries = []
    for item in parsed.entries:
        link = item.get("link")
        if not link:
            continue
        # feedparser answers "updated" with the publication date when there is none: ask
        # only when the item really has one.
        updated = dict.get(item, "updated_parsed")
        published = item.get("published_parsed") or updated
        entries.append(
            IndexEntry(
                url=urljoin(url, link.strip()),
                title=item.get("title") or None,
                published=_moment(published).date() if published else None,
                modified=_moment(updated) if updated else None,
            )
        )
    return entries


def last_changed(entry: IndexEntry) -> datetime:
    """An entry's ``modified`` as a sort key: one that does not say sorts as the oldest."""
    return entry.modified or _OLDEST


def _moment(parsed: tuple[int, ...]) -> datetime:
    """feedparser's UTC struct_time as an aware datetime."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


@dataclass(frozen=True)
class SitemapDocument:
    is_index: bool  # a sitemap index: its entries are sitemaps
    entries: list[IndexEntry]


def read_sitemap(body: bytes) -> SitemapDocument:
    """A sitemap (``urlset``) or sitemap index, gzipped or not; NotAnIndex for anything else."""
    if body.startswith(GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except (OSError, ValueError) as exc:
            raise NotAnIndex(f"not a readable gzipped sitemap ({exc})") from None
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, StopIteration) as exc:
        raise NotAnIndex(f"not a sitemap (not XML{f': {exc}' if str(exc) else ''})") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise NotAnIndex(f"not a sitemap (root element <{sitemap.type}>)")
    entries = [
        IndexEntry(url=item["loc"].strip(), modified=_lastmod(item.get("lastmod")))
        for item in sitemap
        if item.get("loc")
    ]
    return SitemapDocument(sitemap.type == "sitemapindex", entries)


def _lastmod(text: str | None) -> datetime | None:
    """A W3C datetime; a bare date is read as the end of that day (UTC), so a page changed
    later on the day it was fetched is fetched again."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if len(text.strip()) == 10:  # YYYY-MM-DD
        return datetime.combine(moment.date(), time.max, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
