"""UN Information Service Vienna (unis.unvienna.org): press releases and media advisories.

A release reads, in page order: symbol (UNIS/CP/1051), date, title, the body opening with
"LYON/VIENNA, 6 June 2018 (UN Information Service) - ", "* *** *", then a contact block.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract import (
    Dateline,
    block_text,
    first_text,
    node_text,
    paragraphs_of,
    parse_date,
    parse_dateline,
    text_lines,
)
from crawler.sites.base import (
    ListingEntry,
    ListingPage,
    ReleaseFields,
    Site,
    SiteParser,
    linked_items,
    select,
)

BASE_URL = "https://unis.unvienna.org"
SYMBOL = re.compile(r"\bUNIS/([A-Z]{2,4})/(\d+)\b")
FILE_SYMBOL = re.compile(r"/unis([a-z]+?)(\d+)\.html?$", re.I)
URL_YEAR = re.compile(r"/pressrels/((?:19|20)\d{2})/")
RELEASE_URL = re.compile(r"/unis/(?:[a-z]{2}/)?pressrels/\d{4}/unis[a-z]+\d+\.html?$", re.I)
CLOSING = re.compile(r"^(?:\*\s*\*\*\*\s*\*|for further information\b.*)$", re.I)
# Header lines, and the lone "***" media advisories put before the closing (seen 2023).
NOT_BODY = re.compile(r"^(?:for information only\b.*|\*+)$", re.I)


class UnisV1(SiteParser):
    """Static pages of the old site (until 2021): one #content column, <br>-separated contacts."""

    version = "1"
    valid_until = date(2021, 1, 1)

    TITLE = ("#content h1", "td.title", "h1")
    SYMBOL_NODE = ("#content td.symbol", "#content p.symbol", ".symbol")
    DATE_NODE = ("#content td.date", "#content p.date", ".date")
    DATE_META = ("meta[name=creation-date]::attr(content)",)
    POSTING_META = ("meta[name=posting-date]::attr(content)",)
    BODY = ("#content",)
    CONTACT = ("#content .contact", "#content p.contact")
    SKIP = (".contact", "table.pressrel-head", "h1", "p.print", ".sg-quotes", ".news-teasers")
    LISTING_ITEMS = ("div.archive__container > div.arch__item", "div.arch__item")
    LISTING_LINK = ("div.item__title > a", ".item__title a")
    LISTING_DATE = ("div.item__date > span.std-item-date", ".item__date")
    NEXT_PAGE = ("a.pagination__next::attr(href)", "a[rel=next]::attr(href)")

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        sel = Selector(text=html)
        node = select(sel, *self.BODY)
        paragraphs = paragraphs_of(block_text(node, skip=self.SKIP))
        year = self.url_year(url)
        start = self.body_start(paragraphs, year)
        body = self.body(paragraphs[start:])
        dateline = parse_dateline(body[0], year) if body else None
        symbol = self.symbol(sel, url)
        metadata = {"symbol": symbol, "series": symbol.split("/")[1]} if symbol else {}
        if contact := self.contact(sel):
            metadata["contact"] = contact
        return ReleaseFields(
            title=self.title(sel),
            body="\n\n".join(body),
            published=self.published(sel, dateline, year),
            place=dateline.place if dateline else None,
            external_id=symbol,
            metadata=metadata,
            parser_version=f"unis/{self.version}",
        )

    def title(self, sel: Selector) -> str:
        return first_text(sel, *self.TITLE) or ""

    def body_start(self, paragraphs: list[str], year: int | None) -> int:
        """The dateline paragraph; without one, the first that is not a header line."""
        for i, text in enumerate(paragraphs[:8]):
            if parse_dateline(text, year):
                return i
        return next((i for i, t in enumerate(paragraphs) if not NOT_BODY.match(t)), 0)

    def body(self, paragraphs: list[str]) -> list[str]:
        """Paragraphs up to "* *** *" (or the contact), without lone "***" lines."""
        kept = []
        for text in paragraphs:
            if CLOSING.match(text):
                break
            if not NOT_BODY.match(text):
                kept.append(text)
        return kept

    def symbol(self, sel: Selector, url: str) -> str | None:
        """The symbol printed on the page, else the one the file name spells (uniscp1051)."""
        for text in (first_text(sel, *self.SYMBOL_NODE), first_text(sel, "title")):
            if text and (m := SYMBOL.search(text)):
                return m[0]
        m = FILE_SYMBOL.search(url.split("?")[0])
        return f"UNIS/{m[1].upper()}/{m[2]}" if m else None

    def published(self, sel: Selector, dateline: Dateline | None, year: int | None) -> date | None:
        """Creation-date meta and the printed date first, then the dateline."""
        for text in (
            first_text(sel, *self.DATE_META),
            first_text(sel, *self.DATE_NODE),
            first_text(sel, *self.POSTING_META),
        ):
            if found := parse_date(text, year):
                return found
        return dateline.published if dateline else None

    def contact(self, sel: Selector) -> str | None:
        node = select(sel, *self.CONTACT)
        if node is None:
            return None
        lines = [t for t in text_lines(node) if not t.lower().startswith("for further information")]
        return "\n".join(lines) or None

    @staticmethod
    def url_year(url: str) -> int | None:
        m = URL_YEAR.search(url)
        return int(m[1]) if m else None

    def parse_listing(self, url: str, html: str) -> ListingPage:
        sel = Selector(text=html)
        entries = []
        for item, link, href in linked_items(sel, self.LISTING_ITEMS, self.LISTING_LINK):
            # data-iso-date is exact; the shown date is day first ("10/06/2026", seen 2026)
            published = parse_date(item.attrib.get("data-iso-date")) or parse_date(
                first_text(item, *self.LISTING_DATE)
            )
            entries.append(ListingEntry(urljoin(url, href), node_text(link), published))
        next_href = first_text(sel, *self.NEXT_PAGE)
        return ListingPage(entries, urljoin(url, next_href) if next_href else None)


class UnisV2(UnisV1):
    """AEM pages (2021 on): article.pressrelease with its own text, contact and date nodes.

    2023 pages follow the contact with rotating Secretary-General quotations and news teasers.
    """

    version = "2"
    valid_from = date(2021, 1, 1)
    valid_until = None

    TITLE = ("article.pressrelease h1.pressrelease__title", "article h1", "main h1", "h1")
    SYMBOL_NODE = (".pressrelease__symbol", ".symbol")
    DATE_NODE = (".pressrelease__date time::attr(datetime)", ".pressrelease__date")
    BODY = ("article.pressrelease div.pressrelease__text", "div.pressrelease__text")
    CONTACT = (".pressrelease__contact", ".contact")
    SKIP = (".pressrelease__contact", ".sg-quotes", ".news-teasers", ".share-bar")


SITE = Site(
    key="unis",
    name="UN Information Service Vienna",
    base_url=BASE_URL,
    start_urls=(f"{BASE_URL}/unis/en/pr/press-releases.html",),
    parsers=(UnisV1, UnisV2),
    expected_coverage={
        "title": 1.0,
        "body": 1.0,
        "published": 1.0,
        "external_id": 1.0,
        "place": 0.9,
    },
    is_release_url=lambda url: bool(RELEASE_URL.search(url.split("?")[0])),
)
