"""Retries that honour Retry-After and skip DNS failures; failures named in words a user can
act on (crawler.middlewares, crawler.failures). The fault drill (tests/test_faults.py) runs
the same paths end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.failures import failure_reason
from crawler.middlewares import (
    DELAY_KEY,
    BackoffRetryMiddleware,
    RedirectLoop,
    RobotsDenied,
    retry_after_seconds,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _middleware(**settings: object) -> BackoffRetryMiddleware:
    crawler = get_crawler(Spider, {"RETRY_BACKOFF_BASE": 1.0, **settings})
    crawler.spider = crawler._create_spider("test")
    return BackoffRetryMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"30", 30.0),
        (b"Sun, 01 Nov 2026 12:00:45 GMT", 45.0),
        (b"Sun, 01 Nov 2026 11:00:00 GMT", 0.0),  # a date in the past: at once
        (b"soon", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(value: bytes | None, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(("status", "after", "delay"), [(429, b"5", 5.0), (503, b"3600", 120.0)])
def test_retry_after_is_waited_up_to_the_cap(status: int, after: bytes, delay: float) -> None:
    middleware = _middleware()
    request = Request("https://www.osce.org/a")
    response = Response(request.url, status=status, headers={"Retry-After": after})
    retry = middleware.process_response(request, response)
    assert isinstance(retry, Request) and retry.meta[DELAY_KEY] == delay


def test_without_retry_after_the_backoff_decides() -> None:
    request = Request("https://www.osce.org/a")
    retry = _middleware().process_response(request, Response(request.url, status=503))
    assert isinstance(retry, Request) and retry.meta[DELAY_KEY] == 1.0


@pytest.mark.parametrize("error", [CannotResolveHostError("www.osce.org"), DNSLookupError()])
def test_dns_failures_are_not_retried(error: Exception) -> None:
    middleware = _middleware()
    request = Request("https://www.osce.org/a")
    assert middleware.process_exception(request, error) is None
    assert isinstance(middleware.process_exception(request, DownloadTimeoutError()), Request)


def _failure(error: Exception, **meta: object) -> Failure:
    failure = Failure(error)
    failure.request = Request("https://www.osce.org/a", meta=meta)  # type: ignore[attr-defined]
    return failure


@pytest.mark.parametrize(
    ("error", "meta", "reason"),
    [
        (ResponseDataLossError(), {}, "body shorter than its Content-Length (connection cut)"),
        (DownloadCancelledError(), {}, "page larger than the 10 MB limit (DOWNLOAD_MAXSIZE)"),
        (
            DownloadCancelledError(),
            {"download_maxsize": 512 * 1024},
            "page larger than the 0.5 MB limit (DOWNLOAD_MAXSIZE)",
        ),
        (RedirectLoop("redirect loop: a → b → a"), {}, "redirect loop: a → b → a"),
        (RobotsDenied("Forbidden by robots.txt"), {}, None),  # policy, not an error
    ],
)
def test_failures_are_named_in_words(error: Exception, meta: dict, reason: str | None) -> None:
    settings = get_crawler(Spider, {"DOWNLOAD_MAXSIZE": 10 * 1024 * 1024}).settings
    assert failure_reason(_failure(error, **meta), settings) == reason
