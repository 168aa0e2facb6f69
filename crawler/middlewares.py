"""Downloader middlewares: retries that back off, robots.txt obeyed by every request,
redirect loops reported, and pages read in the encoding they are really in.

A site that answers 503 is given more time before each retry (its ``Retry-After`` when it
sends one, up to a cap); a host name that does not resolve is not retried; every request
that waits for a site's robots.txt gets its rules, not only the first two (a Scrapy 2.13+
bug), and a request robots.txt refuses is counted as skipped by policy, not as an error.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.robotstxt import RobotParser
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.charset import corrected_encoding

logger = logging.getLogger(__name__)
DELAY_KEY = "presswatch_retry_delay"
RETRY_AFTER_STATUSES = (429, 503)
DNS_ERRORS = (CannotResolveHostError, DNSLookupError)


class RobotsDenied(IgnoreRequest):
    """robots.txt forbids the request: skipped by policy, never an error of the run."""


class RedirectLoop(IgnoreRequest):
    """A redirect leads back to a URL of its own chain."""


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, with each retry held back ``base * 2**(n-1)`` seconds.

    ``RETRY_BACKOFF_BASE`` (seconds, default 2) and ``RETRY_BACKOFF_MAX`` (default 60) set
    the delays; a base of 0 retries at once, as Scrapy does. A 429 or 503 with
    ``Retry-After`` waits what the site asks, up to ``RETRY_AFTER_MAX`` (default 120).
    A DNS lookup failure is not retried: a host that does not resolve now will not resolve
    a second later, and an offline crawl should end in seconds.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.after_cap = crawler.settings.getfloat("RETRY_AFTER_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def _retry(self, request: Request, reason: Any) -> Request | None:  # type: ignore[override]
        retry = super()._retry(request, reason)
        if retry is not None and self.base > 0:
            times = retry.meta.get("retry_times", 1)
            retry.meta[DELAY_KEY] = min(self.cap, self.base * 2 ** (times - 1))
        return retry

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request) and response.status in RETRY_AFTER_STATUSES:
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                result.meta[DELAY_KEY] = max(
                    result.meta.get(DELAY_KEY, 0), min(self.after_cap, asked)
                )
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        if isinstance(exception, DNS_ERRORS):  # DNSLookupError is a ConnectError, retried
            return None
        return super().process_exception(request, exception)  # type: ignore[return-value]

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(DELAY_KEY, 0)
        if delay:
            await asyncio.sleep(delay)


class FanOutRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with the parsed rules handed to every waiting request.

    Scrapy 2.19 awaits the one pending Deferred of a site from each request that arrives
    while its robots.txt downloads; the first await consumes the result and later ones get
    None, which means "no rules": those requests are sent even when robots.txt forbids them
    (scrapy/scrapy#6802 dropped the relay the older code had). Here each waiter gets a
    Deferred of its own, fed from the pending one, which passes the rules on.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):  # first request of the site, or rules known
            return await super().robot_parser(request)
        own: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            own.callback(parser)
            return parser

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            self.crawler.stats.inc_value("presswatch/skipped_robots")
            raise RobotsDenied("Forbidden by robots.txt") from None


class LoopReportingRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirect middleware, failing a redirect back into its own chain.

    Scrapy hands a looping redirect to the scheduler, whose duplicate filter drops it
    without a word; here it fails the original request, so the run records an error.
    """

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            hops = " → ".join([*chain, redirected.url])
            raise RedirectLoop(f"redirect loop: {hops}")
        return super()._redirect(redirected, request, reason)


class CharsetMiddleware:
    """Reads a page in the encoding the page itself shows when its header contradicts it
    (crawler.charset), so site parsers never see mojibake."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        fix = corrected_encoding(content_type, response.body)
        if fix is None:
            return response
        encoding, why = fix
        self.stats.inc_value("presswatch/charset_corrected")
        logger.info("%s: read as %s (%s)", response.url, encoding, why)
        return response.replace(encoding=encoding)
