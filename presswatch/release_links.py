"""The release links of a feed or sitemap, fetched outside a crawl (`discover`, `check`).

Documents are read by crawler.feeds, as crawls read them; a sitemap index is followed one
level down, a child that cannot be read left out.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin, urlsplit

from crawler.feeds import IndexEntry, NotAnIndex, last_changed, read_feed, read_sitemap
from presswatch.fetching import Fetcher, FetchError

MAX_CHILD_SITEMAPS = 3  # as many as an incremental crawl reads (its max_pages default)
_RELEASE_HINTS = re.compile(r"post|news|press|article|release", re.I)

__all__ = [
    "IndexEntry", "NotAnIndex", "entry_day", "feed_entries", "newest_first", "sitemap_entries",
]  # fmt: skip


def feed_entries(fetcher: Fetcher, url: str) -> list[IndexEntry]:
    """A feed's items; FetchError, or NotAnIndex when it is no feed."""
    fetched = fetcher.page(url)
    entries = read_feed(fetched.body)
    return [_absolute(fetched.url, e) for e in entries]


def sitemap_entries(fetcher: Fetcher, url: str, by_name: bool = False) -> list[IndexEntry]:
    """The URLs of a sitemap, of an index's children, or of the sitemaps a robots.txt names;
    FetchError, or NotAnIndex when it is none of these.

    An index's children are read as a crawl reads them, newest ``<lastmod>`` first, at most
    MAX_CHILD_SITEMAPS; ``by_name`` puts children named for posts, news, press… first (what
    discovery looks for in an index that also lists pages and categories).
    """
    if urlsplit(url).path == "/robots.txt":
        named = list(fetcher.robots(url).sitemaps)
        if not named:
            raise NotAnIndex("a robots.txt that names no sitemap")
        return [e for sitemap in named for e in sitemap_entries(fetcher, sitemap, by_name)]
    fetched = fetcher.page(url)
    document = read_sitemap(fetched.body)
    if not document.is_index:
        return [_absolute(fetched.url, e) for e in document.entries]
    children = sorted(
        document.entries,
        key=lambda e: (by_name and bool(_RELEASE_HINTS.search(e.url)), last_changed(e)),
        reverse=True,
    )
    entries: list[IndexEntry] = []
    for child in children[:MAX_CHILD_SITEMAPS]:
        child_url = urljoin(fetched.url, child.url)
        try:
            found = read_sitemap(fetcher.page(child_url).body)
        except (FetchError, NotAnIndex):
            continue
        if not found.is_index:
            entries += [_absolute(child_url, e) for e in found.entries]
    return entries


def _absolute(base: str, entry: IndexEntry) -> IndexEntry:
    url = urljoin(base, entry.url)
    return (
        entry if url == entry.url else IndexEntry(url, entry.title, entry.published, entry.modified)
    )


def entry_day(entry: IndexEntry) -> date | None:
    """The day an entry was published, else last changed (a sitemap's <lastmod>)."""
    return entry.published or (entry.modified.date() if entry.modified else None)


def newest_first(entries: list[IndexEntry]) -> list[IndexEntry]:
    """Dated entries newest first, then the undated ones in their order."""
    dated = [e for e in entries if entry_day(e)]
    dated.sort(key=lambda e: entry_day(e) or date.min, reverse=True)
    return dated + [e for e in entries if not entry_day(e)]
