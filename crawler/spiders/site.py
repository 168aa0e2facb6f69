"""Every configured source (presswatch.toml ``[sources.KEY]`` with a feed, sitemap or listing).

``scrapy crawl site -a source=KEY`` (plus the arguments of crawler.spiders.base). The
definition comes from the PRESSWATCH_SITE setting (JSON, set by presswatch for its crawls
and Scrapyd jobs) or, when that is absent, from ``[sources.KEY]`` of the file named by
PRESSWATCH_CONFIG or ./presswatch.toml. Items carry ``source=KEY``: runs, archive, health
and notifications are those of a built-in site.

A feed, sitemap or listing names the releases; a known one is fetched again only when the
feed or sitemap says it changed after its last fetch (<updated>, <lastmod>), or, when it
gives no such date, when the revisit policy says it is due. Known releases not named are
revisited when due (that is how a removal is seen), once what lists them was read.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import sitemap_urls_from_robots
from sqlalchemy.exc import SQLAlchemyError

from crawler.feeds import IndexEntry, NotAnIndex, last_changed, read_feed, read_sitemap
from crawler.items import PageError
from crawler.sites.base import ListingEntry
from crawler.sites.configured import SiteSpec, configured_site, spec_from_dict
from crawler.spiders.base import ReleaseSpider, asked_url, header_value
from storage.db import open_archive
from storage.documents import KeptDocument, keep_document, kept_documents
from storage.urls import canonical_url

SITE_SETTING = "PRESSWATCH_SITE"  # scheduler.options.SITE_SETTING (tested)
CONFIG_ENV = "PRESSWATCH_CONFIG"
CONFIG_NAME = "presswatch.toml"


class SourceNotConfigured(ValueError):
    """No definition of the source asked for (or a bad one): the crawl cannot start."""


def load_spec(source: str | None, settings: BaseSettings) -> SiteSpec:
    """The definition of ``source``: PRESSWATCH_SITE, else the config file's table."""
    if not source:
        raise SourceNotConfigured("the site spider needs -a source=KEY (a configured source)")
    if text := settings.get(SITE_SETTING):
        spec = SiteSpec.from_json(text)
        if spec.key != source.lower():
            raise SourceNotConfigured(f"{SITE_SETTING} defines {spec.key!r}, not {source!r}")
        return spec
    path = Path(os.environ.get(CONFIG_ENV) or CONFIG_NAME)
    try:
        sources = tomllib.loads(path.read_text(encoding="utf-8")).get("sources", {})
    except FileNotFoundError:
        raise SourceNotConfigured(
            f"source {source!r}: no {SITE_SETTING} setting and no config file {path}"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceNotConfigured(f"{path}: cannot read ({exc})") from None
    key = source.lower()
    if not isinstance(sources, dict) or not isinstance(sources.get(key), dict):
        known = ", ".join(sorted(sources)) if isinstance(sources, dict) else ""
        raise SourceNotConfigured(
            f"{path}: no [sources.{key}] table (configured: {known or 'none'})"
        )
    try:
        return spec_from_dict(key, sources[key])
    except ValueError as exc:
        raise SourceNotConfigured(f"{path}: {exc}") from None


class SiteSpider(ReleaseSpider):
    """A configured source. Arguments: ``source=KEY``, then those of crawler.spiders.base."""

    name = "site"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spec = load_spec(kwargs.pop("source", None), crawler.settings)
        spider = super().from_crawler(crawler, *args, site=configured_site(spec), **kwargs)
        spider.spec = spec
        crawler.signals.connect(spider.send_revisits, signal=signals.spider_idle)
        return spider

    spec: SiteSpec
    kept: dict[str, KeptDocument]  # feeds and sitemaps of the last run, by URL
    fresh: dict[str, Response]  # those downloaded and read this run, to keep
    revisits: list[str]
    listed: set[str]  # canonical URLs the feed or sitemap decided on
    revisits_sent = False

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.revisits, self.listed = self.load_known(), set()
        self.kept, self.fresh = self.kept_documents(), {}
        for url in self.site.start_urls:
            yield self.listing_request(url)

    def kept_documents(self) -> dict[str, KeptDocument]:
        engine, sessions = open_archive(self.crawler.settings.get("PRESSWATCH_DATABASE_URL"))
        with sessions() as session:
            kept = kept_documents(session, self.source)
        engine.dispose()
        return kept

    def listing_request(self, url: str) -> scrapy.Request:
        """A listing page as the base spider asks for it; a feed or sitemap conditionally,
        with the validators of the copy kept from the last run (storage.documents)."""
        request = super().listing_request(url)
        if self.spec.kind == "listing":
            return request
        if url.endswith("/robots.txt") and self.spec.kind == "sitemap":
            return request.replace(callback=self.parse_robots)
        callback = {"feed": self.parse_feed, "sitemap": self.parse_sitemap}[self.spec.kind]
        headers = {}
        conditional = self.crawler.settings.getbool("PRESSWATCH_CONDITIONAL_REQUESTS", True)
        if conditional and (kept := self.kept.get(url)):
            if kept.etag:
                headers["If-None-Match"] = kept.etag
            if kept.last_modified:
                headers["If-Modified-Since"] = kept.last_modified
        meta = {**request.meta, "handle_httpstatus_list": [304]}
        return request.replace(callback=callback, headers=headers, meta=meta)

    def document(self, response: Response) -> bytes:
        """A feed's or sitemap's body: the kept copy when the site answered 304."""
        if response.status != 304:
            return response.body
        if kept := self.kept.get(asked_url(response)):
            self.crawler.stats.inc_value("presswatch/listing_not_modified")
            return kept.body
        raise NotAnIndex("answered 304 Not Modified to a request without validators")

    def keep(self, response: Response) -> None:
        """Keep a feed or sitemap that was downloaded and read, when the run closes."""
        if response.status == 200:
            self.fresh[asked_url(response)] = response

    def closed(self, reason: str) -> None:
        """Keep the feeds and sitemaps read this run (their validators), for the next one."""
        if not self.fresh:
            return
        engine, sessions = open_archive(self.crawler.settings.get("PRESSWATCH_DATABASE_URL"))
        try:
            with sessions.begin() as session:
                for url, response in self.fresh.items():
                    keep_document(
                        session, self.source, url, header_value(response, b"ETag"),
                        header_value(response, b"Last-Modified"), response.body,
                        datetime.now(UTC),
                    )  # fmt: skip
        except SQLAlchemyError as exc:  # the next run downloads them again: nothing lost
            self.logger.warning("feeds and sitemaps not kept: %s", exc)
        finally:
            engine.dispose()

    def parse_feed(self, response: Response) -> Iterator[Any]:
        self.pages_walked += 1
        try:
            entries = read_feed(self.document(response), response.url)
        except NotAnIndex as exc:
            yield PageError(self.source, response.url, f"feed {exc}", "listing")
            return
        self.keep(response)
        if not entries:
            yield PageError(self.source, response.url, "feed has no items", "listing")
        yield from self.follow(entries)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        text = response.body.decode("utf-8", "replace")  # robots.txt is UTF-8 (RFC 9309)
        urls = list(sitemap_urls_from_robots(text, base_url=response.url))
        if not urls:
            yield PageError(self.source, response.url, "robots.txt names no sitemap", "listing")
        for url in urls:
            yield self.listing_request(url)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        self.pages_walked += 1
        try:
            document = read_sitemap(self.document(response))
        except NotAnIndex as exc:
            yield PageError(self.source, response.url, f"sitemap {exc}", "listing")
            return
        self.keep(response)
        if not document.entries:
            yield PageError(self.source, response.url, "sitemap lists no pages", "listing")
        if not document.is_index:
            yield from self.follow(document.entries)
            return
        # Newest sitemaps first; an incremental run reads at most max_pages of them.
        children = sorted(document.entries, key=last_changed, reverse=True)
        for child in children[: self.max_pages or None]:
            yield self.listing_request(child.url)

    def follow(self, entries: list[IndexEntry]) -> Iterator[scrapy.Request]:
        """Requests for the listed releases that are new, changed since, or due."""
        for entry in entries:
            if not self.wanted(ListingEntry(entry.url, entry.title, entry.published)):
                self.crawler.stats.inc_value("presswatch/listing_items_skipped")
                continue
            if self.fetch_due(entry.url, entry.modified):
                yield self.release_request(entry.url)

    def fetch_due(self, url: str, modified: datetime | None = None) -> bool:
        self.listed.add(canonical_url(url))
        return super().fetch_due(url, modified)

    def send_revisits(self) -> None:
        """Once the listing, feed or sitemap is read: the due releases it did not name.

        After it, not beside it: a listed release is fetched at the URL the site links
        (``/slug/``), not at its canonical form (``/slug``), and only when due or changed.
        """
        if self.revisits_sent:
            return
        self.revisits_sent = True
        waiting = [url for url in self.revisits if url not in self.listed]
        for url in waiting:
            self.crawler.engine.crawl(self.release_request(url))
        if waiting:
            raise DontCloseSpider
