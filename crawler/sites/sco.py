"""Shanghai Cooperation Organisation (eng.sectsco.org): news of the SCO Secretariat.

URLs carry the publication day (/news/20190711/565213.html, later /20240117/1238128.html).
The site cuts its own <title> short ("…fight drug threa", seen 2019), so the title is read
from the page heading. Russian and Chinese editions may be served in windows-1251 or GBK.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

from parsel import Selector

from crawler.extract import (
    block_text,
    clean_text,
    date_in_url,
    first_text,
    node_text,
    node_texts,
    paragraphs_of,
    parse_date,
    parse_dateline,
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

BASE_URL = "https://eng.sectsco.org"
RELEASE_URL = re.compile(r"sectsco\.org/(?:news/)?(?:19|20)\d{6}/\d+\.html$")
ARTICLE_ID = re.compile(r"/(\d+)\.html$")  # the site's own article id: /20190711/565213.html


class ScoV1(SiteParser):
    """The 2019-2021 site: div.news-detail with a dd.mm.yyyy date above the heading."""

    version = "1"
    valid_until = date(2022, 1, 1)

    TITLE = ("div.news-detail h1.news-detail__title", "div.news-detail h1", "#content h1")
    DATE = (".news-detail__date", ".news-date")
    DATE_META = ("meta[property='article:published_time']::attr(content)",)
    BODY = ("div.news-detail div.news-detail__text", "div.news-detail__text")
    SKIP = (".photo-caption", "figure", ".share", "script")
    TAGS = (".news-detail__tags a",)
    LISTING_ITEMS = ("div.news-list div.news-list__item",)
    LISTING_LINK = ("a.news-list__title",)
    LISTING_DATE = (".news-list__date",)
    NEXT_PAGE = (".pagination a.pagination__next::attr(href)", "a[rel=next]::attr(href)")

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        sel = Selector(text=html)
        node = select(sel, *self.BODY)
        body = block_text(node, skip=self.SKIP)
        paragraphs = paragraphs_of(body)
        published = self.published(sel, url)
        return ReleaseFields(
            title=first_text(sel, *self.TITLE) or "",
            body=body,
            published=published,
            place=self.place(paragraphs, published),
            external_id=self.external_id(url),
            metadata=self.metadata(sel),
            parser_version=f"sco/{self.version}",
        )

    def published(self, sel: Selector, url: str) -> date | None:
        """The page's own date first: news of an evening event carry the next day in the URL."""
        for text in (first_text(sel, *self.DATE), first_text(sel, *self.DATE_META)):
            if found := parse_date(text):
                return found
        return date_in_url(url)

    @staticmethod
    def external_id(url: str) -> str | None:
        m = ARTICLE_ID.search(url.split("?")[0])
        return m[1] if m else None

    @staticmethod
    def place(paragraphs: list[str], published: date | None) -> str | None:
        """A dateline's place, only when it carries a date too ("UNODC, the SCO…" is none)."""
        if not paragraphs:
            return None
        dateline = parse_dateline(paragraphs[0], published.year if published else None)
        return dateline.place if dateline and dateline.published else None

    def metadata(self, sel: Selector) -> dict[str, str | list[str]]:
        metadata: dict[str, str | list[str]] = {}
        if language := clean_text(sel.xpath("/html/@lang").get() or ""):
            metadata["language"] = language
        if tags := node_texts(sel, *self.TAGS):
            metadata["tags"] = tags
        return metadata

    def parse_listing(self, url: str, html: str) -> ListingPage:
        sel = Selector(text=html)
        entries = []
        for item, link, href in linked_items(sel, self.LISTING_ITEMS, self.LISTING_LINK):
            target = urljoin(url, href)
            published = parse_date(first_text(item, *self.LISTING_DATE)) or date_in_url(target)
            entries.append(ListingEntry(target, node_text(link), published))
        next_href = first_text(sel, *self.NEXT_PAGE)
        return ListingPage(entries, urljoin(url, next_href) if next_href else None)


class ScoV2(ScoV1):
    """The site since 2022: article blocks (text, media, quote) under div.article__body."""

    version = "2"
    valid_from = date(2022, 1, 1)
    valid_until = None

    TITLE = ("div.article h1.article__title", ".article__title", "div.news-detail h1")
    DATE = (".article__info-date a", ".article__info-date", ".news-detail__date")
    BODY = ("div.article div.article__body", "div.article__body", "div.news-detail__text")
    SKIP = (
        ".article__block[data-type=media]",
        ".article__block[data-type=banner]",
        ".article__share",
        ".article__tags",
        "figure",
    )
    TAGS = (".article__tags a.article__tags-item", ".article__tags a")
    LISTING_ITEMS = ("div.list div.list-item", "div.list-item")
    LISTING_LINK = ("a.list-item__title", ".list-item__content a")
    LISTING_DATE = (".list-item__date",)


SITE = Site(
    key="sco",
    name="Shanghai Cooperation Organisation",
    base_url=BASE_URL,
    start_urls=(f"{BASE_URL}/news/",),
    parsers=(ScoV1, ScoV2),
    expected_coverage={"title": 1.0, "body": 1.0, "published": 1.0},
    is_release_url=lambda url: bool(RELEASE_URL.search(url.split("?")[0])),
)
