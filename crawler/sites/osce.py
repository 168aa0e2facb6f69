"""OSCE (www.osce.org, Drupal): the press-release listing and release pages.

Listings mix content types (Press release, Press statement, News, Spot report…); the
parser returns every item with its kind and the spider keeps ``release_kinds``.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract import (
    block_text,
    clean_text,
    first_text,
    node_text,
    parse_date,
    parse_dateline,
)
from crawler.sites.base import ListingEntry, ListingPage, Metadata, ReleaseFields, Site, SiteParser
from crawler.sites.base import select as first

BASE_URL = "https://www.osce.org"

# Release pages: selectors seen in 2023 (title, date, body pane) and 2024 (a plain pane).
TITLE = ("div.content--header>h1", "div.content--content>h1", "h1.page-title", "main h1", "h1")
OG_TITLE = 'meta[property="og:title"]::attr(content)'
DATE = ("span.date-display-single", ".date-display-start", "time[datetime]")
DATE_META = (
    'meta[property="article:published_time"]::attr(content)',
    'meta[name="dcterms.date"]::attr(content)',
)
BODY = (
    "div.content--content>div.pane-node-body>div.pane-content",
    "div.content--content>div>div.pane-content",
    "div.node-content>div.pane-content",
    "div.field-name-body .field-item",
)
# Panes that may hold the body when the strict selectors miss (a pane wrapped in one more
# div), and panes that never do, by their class.
BODY_PANES = ("div.content--content .pane-content", "div.node-content .pane-content")
NOT_BODY_PANE = re.compile(r"related|image|photo|gallery|caption|share|download|newsletter|tags")
BODY_SKIP = (".osce-share", ".osce-download-links", "figure", ".field-name-field-image")
KIND = (".content--header .content-type-label", ".content--header .content--type")
METADATA = ("div.content--metadata", ".node-metadata", "main")
PLACE = "Place:"
NODE_TYPE = re.compile(r"\bnode-type-([a-z-]+)")

# Listing pages: 2019 items, and the 2023–2024 search view.
ITEMS_2019 = (".search-result-news",)
LINKS_2019 = (".search-title a",)
ITEMS = (".view-content .views-row", ".search-results .search-result")
LINKS = (
    "dt.search-title>h3>a",
    ".osce-figure-content>a",
    "span.field-content>a",
    ".search-image > a",
    ".search-title a",
)
PAGER_NEXT = ("li.pager-next>a", "li.pager__item--next>a", "a[rel=next]")
ITEM_LABELS = ("Publishing date:", "Content type:", "Where we are:", "What we do:")


RELEASE_URL = re.compile(r"^https?://(?:www\.|d6\.web\.)?osce\.org/(?:[a-z0-9-]+/)+\d+/?(?:\?|$)")


def is_release_url(url: str) -> bool:
    """``/<section>/<node id>`` on www.osce.org (or its d6 mirror); files are not pages."""
    return "download=true" not in url and bool(RELEASE_URL.match(url))


def _labelled(node: Selector, label: str) -> str | None:
    """The text after ``label``: in the element holding it, its next sibling or its parent."""
    for held in node.xpath(f".//*[text()[contains(., '{label}')]]"):
        for scope in ("self::*", "following-sibling::*[1]", ".."):
            text = node_text(held.xpath(scope)) or ""
            text = text.partition(label)[2] if label in text else text
            for other in ITEM_LABELS:  # the value ends where the next label starts
                text = text.split(other, 1)[0]
            if text := clean_text(text):
                return text
    return None


def _value_node(block: Selector, label: str) -> Selector | None:
    """The element after a metadata label such as "Source:" (2023: a list of links).

    Labels may be written with a no-break space ("Source:&nbsp;"), which normalize-space()
    keeps: it is turned into a space first.
    """
    text = "normalize-space(translate(text(), '\u00a0', ' '))"
    found = block.xpath(f".//*[{text}='{label}']/following-sibling::*[1]")
    return found[0] if found else None


def _pane_is_body(pane: Selector) -> bool:
    """Whether a pane may hold the release: not a related-content, image or share pane."""
    classes = " ".join(pane.xpath("ancestor-or-self::*[position() <= 2]/@class").getall())
    return not NOT_BODY_PANE.search(classes)


def _body_node(sel: Selector) -> Selector | None:
    """The pane holding the release: among the panes the body selectors match (strict ones
    first, then any pane of the content column), the one opening with a dateline, else the
    one with the most paragraph text. Related-content, image and share panes are skipped."""
    panes = [p for q in (*BODY, *BODY_PANES) for p in sel.css(q) if _pane_is_body(p)]
    if not panes:
        return None

    def rank(pane: Selector) -> tuple[bool, int]:
        paragraphs = [t for t in (node_text(p) for p in pane.css("p")) if t]
        opens = bool(paragraphs) and parse_dateline(paragraphs[0]) is not None
        return opens, sum(map(len, paragraphs))

    return max(panes, key=rank)  # the first of equals: strict selectors come first


def _values(block: Selector, label: str) -> list[str]:
    """The values of a metadata line: its links, else its text split at commas."""
    node = _value_node(block, label)
    if node is None:
        return []
    links = [t for a in node.css("a") if (t := node_text(a))]
    return links or [v for v in map(clean_text, (node_text(node) or "").split(",")) if v]


class OsceParser2019(SiteParser):
    """Listing items ``.search-result-news`` (2019); release pages as read today."""

    version = "2019.1"
    # The switch date is a guess: the 2023 markup is the earliest copy of the new one we know.
    valid_until = date(2022, 1, 1)
    items: tuple[str, ...] = ITEMS_2019
    links: tuple[str, ...] = LINKS_2019

    def parse_listing(self, url: str, html: str) -> ListingPage:
        sel = Selector(text=html)
        entries: dict[str, ListingEntry] = {}
        for item in sel.css(", ".join(self.items)):
            entry = self._entry(url, item)
            if entry and entry.url not in entries:
                entries[entry.url] = entry
        nxt = first(sel, *PAGER_NEXT)
        href = nxt.attrib.get("href") if nxt is not None else None
        return ListingPage(list(entries.values()), urljoin(url, href) if href else None)

    def _entry(self, url: str, item: Selector) -> ListingEntry | None:
        link = first(item, *self.links)
        href = link.attrib.get("href", "").strip() if link is not None else ""
        if not href or "download=true" in href:  # a file (PDF), not a page
            return None
        published = parse_date(_labelled(item, "Publishing date:"))
        kind = _labelled(item, "Content type:")
        return ListingEntry(urljoin(url, href), node_text(link), published, kind)

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        sel = Selector(text=html)
        body = block_text(_body_node(sel), skip=BODY_SKIP)
        marked, meta_date = self._published(sel), self._meta(sel)
        year = (marked or meta_date).year if (marked or meta_date) else None
        dateline = parse_dateline(body.split("\n\n", 1)[0], year)
        block = first(sel, *METADATA) or sel
        place = node_text(_value_node(block, PLACE))  # one place, even "VALLETTA, VIENNA"
        return ReleaseFields(
            title=self._title(sel),
            body=body,
            published=marked or (dateline.published if dateline else None) or meta_date,
            place=place or (dateline.place if dateline else None),
            metadata=self._metadata(sel, block),
            parser_version=f"osce/{self.version}",
        )

    def _title(self, sel: Selector) -> str:
        title = node_text(first(sel, *TITLE)) or first_text(sel, OG_TITLE) or ""
        return title.removesuffix(" | OSCE")

    def _published(self, sel: Selector) -> date | None:
        node = first(sel, *DATE)
        if node is None:
            return None
        return parse_date(node.attrib.get("content") or node.attrib.get("datetime")) or (
            parse_date(node_text(node))
        )

    def _meta(self, sel: Selector) -> date | None:
        return next((d for q in DATE_META if (d := parse_date(sel.css(q).get()))), None)

    def _metadata(self, sel: Selector, block: Selector) -> Metadata:
        meta: Metadata = {}
        if sources := _values(block, "Source:"):
            meta["source"] = sources if len(sources) > 1 else sources[0]
        if fields := _values(block, "Fields of work:"):
            meta["fields_of_work"] = fields
        if kind := node_text(first(sel, *KIND)) or self._node_type(sel):
            meta["content_type"] = kind
        return meta

    def _node_type(self, sel: Selector) -> str | None:
        found = NODE_TYPE.search(sel.css("body::attr(class)").get() or "")
        return found[1].replace("-", " ").capitalize() if found else None


class OsceParser2023(OsceParser2019):
    """The 2023–2024 search view: ``dt.search-title>h3>a`` items, Drupal pager."""

    version = "2024.1"
    valid_from = date(2022, 1, 1)
    valid_until = None
    items = ITEMS
    links = LINKS


SITE = Site(
    key="osce",
    name="OSCE",
    base_url=BASE_URL,
    start_urls=(f"{BASE_URL}/press-releases",),
    parsers=(OsceParser2019, OsceParser2023),
    release_kinds=frozenset({"Press release", "Press statement"}),
    expected_coverage={"title": 1.0, "body": 1.0, "published": 0.98, "place": 0.9},
    is_release_url=is_release_url,
)
