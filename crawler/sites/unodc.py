"""UNODC (www.unodc.org): press releases under /unodc/en/press/releases/<YYYY>/<Month>/.

A release reads, in page order: "Press release", the title (h1), a date line, the body
opening with "Vienna (Austria), 26 June 2024 – ", "* * *", a contact block, then topics.
No saved copy of the real markup was at hand (2026): the selectors follow the site's
classic layout (#mainColumn between a left Press menu and a right column) with
alternatives per field; pages they miss go to the fallback reader.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract import (
    Dateline,
    block_text,
    date_in_url,
    first_text,
    node_text,
    node_texts,
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

BASE_URL = "https://www.unodc.org"
RELEASE_URL = re.compile(r"/unodc/[a-z]{2}/press/releases/\d{4}/[A-Za-z]+/[^/]+\.html$")
BODY_END = re.compile(r"^(?:\*[\s*]*|for further information\b.*|for more information\b.*)$", re.I)


class UnodcV1(SiteParser):
    """The classic layout: #mainColumn holding div.pressrelease (seen in public copies to 2026)."""

    version = "1"

    TITLE = (
        "#mainColumn .pressrelease h1",
        "#mainColumn h1",
        "meta[property='og:title']::attr(content)",
        "title",
    )
    DATE_MARKUP = (
        "#mainColumn .date-line time::attr(datetime)",
        "#mainColumn .pressrelease time::attr(datetime)",
    )
    DATE_TEXT = ("#mainColumn .date-line", "#mainColumn .pressrelease .date", "#mainColumn p.date")
    DATE_META = (
        "meta[name='DC.date.created']::attr(content)",
        "meta[property='article:published_time']::attr(content)",
        "meta[name=date]::attr(content)",
    )
    BODY = (
        "#mainColumn .pressrelease .pressrelease-body",
        "#mainColumn .pressrelease-body",
        "#mainColumn .pressrelease .text",
    )
    SKIP = (".contact", ".separator", ".share", ".topics", "script")
    CONTACT = ("#mainColumn .pressrelease .contact", "#mainColumn .contact")
    TOPICS = ("#mainColumn .topics ul.tags li a", "#mainColumn ul.tags li a")
    LISTING_ITEMS = ("div.pressreleases-list > div.list-item", "#mainColumn div.list-item")
    ITEM_LINK = ("h3 a", "a")
    ITEM_DATE = ("p.date", ".date")
    NEXT_PAGE = ("div.pager a.next::attr(href)", "a[rel=next]::attr(href)")

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        sel = Selector(text=html)
        node = select(sel, *self.BODY)
        paragraphs = self.body(node)
        year = url_date.year if (url_date := date_in_url(url)) else None
        dateline = parse_dateline(paragraphs[0], year) if paragraphs else None
        metadata: dict[str, str | list[str]] = {}
        if dateline and dateline.country:
            metadata["country"] = dateline.country
        if contact := self.contact(sel):
            metadata["contact"] = contact
        if topics := node_texts(sel, *self.TOPICS):
            metadata["topics"] = topics
        return ReleaseFields(
            title=self.title(sel) or "",
            body="\n\n".join(paragraphs),
            published=self.published(sel, url, dateline),
            place=dateline.place if dateline else None,
            metadata=metadata,
        )

    def title(self, sel: Selector) -> str | None:
        title = first_text(sel, *self.TITLE)
        return re.sub(r"\s*[|–-]\s*UNODC$", "", title) if title else None

    def published(self, sel: Selector, url: str, dateline: Dateline | None) -> date | None:
        """Date markup, the date line, meta tags, the body's dateline, then /YYYY/Month/ (day 1)."""
        url_date = date_in_url(url)
        return (
            parse_date(first_text(sel, *self.DATE_MARKUP))
            or parse_date(first_text(sel, *self.DATE_TEXT), url_date.year if url_date else None)
            or parse_date(first_text(sel, *self.DATE_META))
            or (dateline.published if dateline else None)
            or url_date
        )

    def body(self, node: Selector | None) -> list[str]:
        """Paragraphs up to the "* * *" line or the contact heading."""
        paragraphs = paragraphs_of(block_text(node, skip=self.SKIP))
        for i, paragraph in enumerate(paragraphs):
            if BODY_END.match(paragraph):
                return paragraphs[:i]
        return paragraphs

    def contact(self, sel: Selector) -> str | None:
        node = select(sel, *self.CONTACT)
        if node is None:
            return None
        lines = [line for line in text_lines(node) if not BODY_END.match(line)]
        return "\n".join(lines) or None

    def parse_listing(self, url: str, html: str) -> ListingPage:
        sel = Selector(text=html)
        entries = []
        for item, link, href in linked_items(sel, self.LISTING_ITEMS, self.ITEM_LINK):
            entries.append(
                ListingEntry(
                    url=urljoin(url, href),
                    title=node_text(link),
                    published=parse_date(first_text(item, *self.ITEM_DATE)),
                    kind="Press release",
                )
            )
        next_href = first_text(sel, *self.NEXT_PAGE)
        return ListingPage(entries=entries, next_url=urljoin(url, next_href) if next_href else None)


SITE = Site(
    key="unodc",
    name="United Nations Office on Drugs and Crime",
    base_url=BASE_URL,
    start_urls=(f"{BASE_URL}/unodc/en/press/releases.html",),
    parsers=(UnodcV1,),
    expected_coverage={"title": 1.0, "body": 1.0, "published": 1.0, "place": 0.8},
    is_release_url=lambda url: bool(RELEASE_URL.search(url.split("?")[0])),
)
