"""The one spider logic every site shares; each site's spider only names its site.

A run walks the listing pages newest first and fetches the releases it does not know. It
stops after ``PRESSWATCH_KNOWN_STOP_PAGES`` (default 1) listing pages on which every release
is already archived, unless a date floor is given: then it walks on until the listing is
older than the floor, so a release re-sorted onto a later page is not missed. Known
releases are fetched again only when the revisit policy (crawler.revisit) says so, with
If-None-Match / If-Modified-Since from their last version. Every page is read by the site
module (crawler.sites). Arguments (``scrapy crawl osce -a name=value``):

- ``max_pages``: listing pages to walk at most (default 3; 0 walks them all).
- ``full``: walk the whole listing (backfill), same as ``max_pages=0``, no early stop.
  With ``-s JOBDIR=…`` (as `presswatch crawl --full` does) an interrupted backfill resumes;
  crawler.jobdir locks the JOBDIR and deletes it when the backfill finishes.
- ``since``: ISO date floor; listing items published before it are not followed.
- ``kinds``: comma-separated listing content types to keep (default: the site's own set,
  e.g. OSCE's "Press release,Press statement"); ``kinds=all`` keeps every item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.extract import is_truncated
from crawler.failures import failure_reason
from crawler.items import PageError, PageGone, PageNotModified, Release
from crawler.pagecheck import error_page_reason, html_error_reason, release_page_problem
from crawler.revisit import RevisitPolicy
from crawler.sites import UnreadablePage, get_site, read_release
from crawler.sites.base import ListingEntry, ListingPage, SelectorProblem, Site
from storage.db import open_archive
from storage.queries import KnownRelease, known_releases
from storage.urls import canonical_url

HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "": none sent, the body decides
DEFAULT_MAX_PAGES = 3


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


class ReleaseSpider(scrapy.Spider):
    """Base spider: set ``name`` to a site key of crawler.sites (or pass the ``site``)."""

    def __init__(
        self, max_pages: int | str = DEFAULT_MAX_PAGES, full: bool | str = False,
        since: str | None = None, kinds: str | None = None, site: Site | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.site: Site = site or get_site(self.name)
        self.source = self.site.key  # what items, runs and the archive name it
        self.full = _flag(full)
        self.max_pages = 0 if self.full else int(max_pages)
        try:
            self.since: date | None = date.fromisoformat(since) if since else None
        except ValueError:
            raise ValueError(f"since={since!r} is not an ISO date (YYYY-MM-DD)") from None
        if kinds == "all":
            self.kinds = None
        elif kinds:
            self.kinds = frozenset(k.strip() for k in kinds.split(","))
        else:
            self.kinds = self.site.release_kinds
        self.pages_walked = 0
        self.known_pages_in_a_row = 0
        self.known: dict[str, KnownRelease] = {}
        self.due: set[str] = set()
        # Configured selectors that stopped fitting pages, with how often: the run's health
        # names them (crawler.pipelines).
        self.problems: Counter[str] = Counter()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        revisits = self.load_known()
        for url in self.site.start_urls:
            yield self.listing_request(url)
        for url in revisits:
            yield self.release_request(url)

    def load_known(self) -> list[str]:
        """Read what the archive knows of this source; the known releases due for a revisit."""
        settings = self.crawler.settings
        engine, sessions = open_archive(settings.get("PRESSWATCH_DATABASE_URL"))
        with sessions() as session:
            self.known = known_releases(session, self.source)
        engine.dispose()
        policy = RevisitPolicy.from_settings(settings)
        revisits = policy.due(self.known.values(), datetime.now(UTC))
        self.due = set(revisits)
        self.known_stop = settings.getint("PRESSWATCH_KNOWN_STOP_PAGES", 1)
        self.logger.info("%d releases known, %d due for a revisit", len(self.known), len(revisits))
        return revisits

    def listing_request(self, url: str) -> scrapy.Request:
        # Listings are never answered from a cache: they are how new releases are found.
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.failed,
            meta={"dont_cache": True, "page_kind": "listing"},
        )  # fmt: skip

    def release_request(self, url: str) -> scrapy.Request:
        headers = {}
        conditional = self.crawler.settings.getbool("PRESSWATCH_CONDITIONAL_REQUESTS", True)
        if conditional and (known := self.known.get(canonical_url(url))):
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url, callback=self.parse_release, errback=self.failed, headers=headers,
            meta={"handle_httpstatus_list": [304, 404, 410], "page_kind": "release"},
        )  # fmt: skip

    def wanted(self, entry: ListingEntry) -> bool:
        if self.kinds is not None and entry.kind is not None and entry.kind not in self.kinds:
            return False
        if self.since and entry.published and entry.published < self.since:
            return False
        return self.site.is_release_url(entry.url)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield PageError(
                self.source, response.url, f"listing page is not HTML: {_type(response)}", "listing"
            )
            return
        self.pages_walked += 1
        listing = self.site.parser_for().parse_listing(response.url, response.text)
        if not listing.entries:
            reason = html_error_reason(response.text)
            yield PageError(
                self.source, response.url,
                f"listing page is an error page: {reason}" if reason
                else "listing page has no release links",
                "listing",
            )  # fmt: skip
        all_known = True
        for entry in listing.entries:
            if not self.wanted(entry):
                self.crawler.stats.inc_value("presswatch/listing_items_skipped")
                continue
            all_known = all_known and canonical_url(entry.url) in self.known
            if self.fetch_due(entry.url):
                yield self.release_request(entry.url)
        self.known_pages_in_a_row = self.known_pages_in_a_row + 1 if all_known else 0
        if listing.next_url and self.walk_on(listing):
            yield self.listing_request(listing.next_url)

    def fetch_due(self, url: str, modified: datetime | None = None) -> bool:
        """Whether a listed release is fetched: a new one always; a known one when it is due
        for a revisit or, when the listing says when it last changed (``modified``: a feed's
        <updated>, a sitemap's <lastmod>), when that is after it was last fetched."""
        known = self.known.get(canonical_url(url))
        if known is None:
            return True
        if modified is None:
            due = known.url in self.due
        else:
            gone = known.missing_count > 0 or known.status == "removed"
            due = gone or modified > known.last_seen or self.revisit_all
        if not due:
            self.crawler.stats.inc_value("presswatch/known_not_due")
        return due

    @property
    def revisit_all(self) -> bool:
        return self.crawler.settings.getbool("PRESSWATCH_REVISIT_ALL")

    def walk_on(self, listing: ListingPage) -> bool:
        """Whether the listing page after this one is worth a request."""
        if self.max_pages and self.pages_walked >= self.max_pages:
            return False
        if self.since:  # the date floor decides, not what is known
            dates = [e.published for e in listing.entries if e.published]
            return not dates or max(dates) >= self.since
        return self.full or self.known_pages_in_a_row < self.known_stop

    def parse_release(self, response: Response) -> Iterator[Any]:
        if response.status in (404, 410):
            yield PageGone(self.source, response.url, response.status)
            return
        if response.status == 304:
            yield PageNotModified(self.source, response.url)
            return
        content_type = _type(response)
        if not isinstance(response, TextResponse) or content_type not in HTML_TYPES:
            self.crawler.stats.inc_value("presswatch/skipped_non_html")
            kind = content_type or "binary body without a Content-Type"
            yield PageError(self.source, response.url, f"not an HTML page: {kind}")
            return
        html = response.text
        if is_truncated(html):  # never archive half a page as an edit
            yield PageError(self.source, response.url, "truncated HTML document (no </html>)")
            return
        if problem := release_page_problem(self.site, response.url, html, response.status):
            yield PageError(self.source, response.url, problem)
            return
        fetched_at = datetime.now(UTC)
        try:
            fields = read_release(self.site, response.url, html, fetched_at.date())
        except UnreadablePage as exc:
            if isinstance(exc, SelectorProblem):
                self.problems[exc.problem] += 1
            yield PageError(self.source, response.url, str(exc))
            return
        if reason := error_page_reason(fields.title, fields.body):
            yield PageError(
                self.source,
                response.url,
                f"error page served with status {response.status}: {reason}",
            )
            return
        yield Release(
            source=self.source, url=response.url, fields=fields, fetched_at=fetched_at,
            raw_html=response.body, etag=header_value(response, b"ETag"),
            last_modified=header_value(response, b"Last-Modified"),
        )  # fmt: skip

    def failed(self, failure: Failure) -> Iterator[PageError]:
        """A request that failed for good (timeout, 5xx after retries, DNS): a run error.

        One robots.txt forbids is skipped by policy (counted by the middleware), no error.
        """
        request = failure.request  # type: ignore[attr-defined]
        if (reason := failure_reason(failure, self.crawler.settings)) is not None:
            url = asked_url(request)
            page = "listing" if request.meta.get("page_kind") == "listing" else "release"
            yield PageError(self.source, url, reason, page)


def asked_url(message: scrapy.Request | Response) -> str:
    """The URL that was asked for (before redirects): the one a next run asks for again."""
    return message.meta.get("redirect_urls", [message.url])[0]


def _type(response: Response) -> str:
    """The response's media type, lower case, without parameters ("" when none is sent)."""
    value = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return value.split(";")[0].strip().lower()


def header_value(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
