"""Retries that back off: a site that answers 503 is given more time before each retry."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware

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
