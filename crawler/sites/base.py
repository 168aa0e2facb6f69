"""What a site module provides: parsers for listing and release pages, and the site's facts.

Site modules are pure: ``(url, html) -> fields``. They import parsel, the standard library
and ``crawler.extract`` only, so each one can be tested on a saved file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from parsel import Selector

Metadata = dict[str, str | list[str]]


@dataclass(frozen=True)
class ListingEntry:
    """One item of a listing page: a link to a release, with what the listing says of it."""

    url: str
    title: str | None = None
    published: date | None = None
    kind: str | None = None  # the site's content type label, e.g. "Press release"


@dataclass(frozen=True)
class ListingPage:
    entries: list[ListingEntry]
    next_url: str | None = None


class UnreadablePage(Exception):
    """Neither the site parser nor the fallback found a release in the page."""


class SelectorProblem(UnreadablePage):
    """A configured selector does not fit a page; ``problem`` names it without the page's
    details ("sources.esn.select.title matched nothing"), so a run can count the pages."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem


@dataclass
class ReleaseFields:
    """What a parser read from one release page."""

    title: str
    body: str  # paragraphs separated by one blank line
    published: date | None = None
    place: str | None = None
    external_id: str | None = None  # the site's own identifier, e.g. UNIS/CP/1051
    metadata: Metadata = field(default_factory=dict)
    method: str = "site"  # "site" or "fallback"
    parser_version: str = ""


class SiteParser:
    """Reads one markup era of one site. Subclass per era; override only what differs.

    ``valid_from``/``valid_until`` bound the crawl dates this era's markup was seen on, so
    archived HTML is re-read by the parser that was current when it was fetched.
    """

    version: ClassVar[str] = "1"
    valid_from: ClassVar[date | None] = None
    valid_until: ClassVar[date | None] = None

    def parse_listing(self, url: str, html: str) -> ListingPage:
        raise NotImplementedError

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        """Fields of a release page; ``body`` is "" when the site selectors find none, and
        what can be read without it (title, dates, identifiers, contacts) is kept."""
        raise NotImplementedError

    @classmethod
    def valid_on(cls, day: date) -> bool:
        return (cls.valid_from is None or cls.valid_from <= day) and (
            cls.valid_until is None or day < cls.valid_until
        )


@dataclass(frozen=True)
class Site:
    """A source presswatch knows: its key, where its listings start, and its parser eras."""

    key: str
    name: str
    base_url: str
    start_urls: tuple[str, ...]
    parsers: tuple[type[SiteParser], ...]  # oldest first
    # Listing kinds kept by default (None keeps every item); configurable per crawl.
    release_kinds: frozenset[str] | None = None
    # Expected share of items carrying each field; a crawl below it is unhealthy.
    expected_coverage: dict[str, float] = field(default_factory=dict)
    # URL patterns of release pages, to tell them from other links.
    is_release_url: Callable[[str], bool] = lambda url: True
    # Reads a release page (url, html, fetch day) by itself, instead of the parser eras with
    # the fallback behind them: configured sources (crawler.sites.configured).
    reader: Callable[[str, str, date | None], ReleaseFields] | None = None
    # Whether the fallback reads most pages by design (a configured source without a body
    # selector): then a run mostly read by the fallback is no sign of a broken parser.
    fallback_expected: bool = False

    def parser_for(self, day: date | None = None) -> SiteParser:
        """The parser of the markup era current on ``day`` (today's by default)."""
        return self.eras(day)[0]()

    def eras(self, day: date | None = None) -> list[type[SiteParser]]:
        """Every parser era, the one current on ``day`` (today's by default) first, then the
        others newest first: sites keep serving old pages in old markup after a redesign."""
        newest_first = list(reversed(self.parsers))
        current = next((p for p in newest_first if day and p.valid_on(day)), newest_first[0])
        return [current, *(p for p in newest_first if p is not current)]


def select(sel: Selector, *queries: str) -> Selector | None:
    """The first node matched by the first CSS query that matches anything."""
    for query in queries:
        found = sel.css(query)
        if found:
            return found[0]
    return None


def linked_items(
    sel: Selector, items: tuple[str, ...], links: tuple[str, ...]
) -> Iterator[tuple[Selector, Selector, str]]:
    """Listing items of the first ``items`` query that matches, each with its link and href.

    Items whose first ``links`` match has no href (or that have no link) are skipped.
    """
    found = next((nodes for query in items if (nodes := sel.css(query))), [])
    for item in found:
        link = select(item, *links)
        href = link.attrib.get("href") if link is not None else None
        if href:
            yield item, link, href
