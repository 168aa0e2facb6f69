"""Downloader middlewares: retries that back off, and robots.txt obeyed by every request.

A site that answers 503 is given more time before each retry; and every request that waits
for a site's robots.txt gets its rules, not only the first two (a Scrapy 2.13+ bug).
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

DELAY_KEY = "presswatch_retry_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, with each retry held back ``base * 2**(n-1)`` seconds.

    ``RETRY_BACKOFF_BASE`` (seconds, default 2) and ``RETRY_BACKOFF_MAX`` (default 60) set
    the delays; a base of 0 retries at once, as Scrapy does.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def _retry(self, request: Request, reason: Any) -> Request | None:  # type: ignore[override]
        retry = super()._retry(request, reason)
        if retry is not None and self.base > 0:
            times = retry.meta.get("retry_times", 1)
            retry.meta[DELAY_KEY] = min(self.cap, self.base * 2 ** (times - 1))
        return retry

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
