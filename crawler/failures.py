"""Why a request failed for good, in words a user can act on.

Scrapy's download errors often carry no message (``ResponseDataLossError: ``); the run's
error list should say what happened to the page instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.settings import BaseSettings
from twisted.internet.error import ConnectionDone, ConnectionLost, DNSLookupError
from twisted.python.failure import Failure

from crawler.middlewares import RedirectLoop, RobotsDenied

MB = 1024 * 1024


def failure_reason(failure: Failure, settings: BaseSettings) -> str | None:
    """The reason to record for a failed request; None for one skipped by policy (robots.txt)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    response = getattr(exc, "response", None)
    if isinstance(exc, RobotsDenied):
        return None
    if response is not None:
        return f"HTTP {response.status}"
    if isinstance(exc, RedirectLoop):
        return str(exc)
    if isinstance(exc, ResponseDataLossError):
        return "body shorter than its Content-Length (connection cut)"
    if isinstance(exc, DownloadCancelledError):
        limit = _limit(settings, request, "DOWNLOAD_MAXSIZE")
        return f"page larger than the {limit / MB:g} MB limit (DOWNLOAD_MAXSIZE)"
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        host = urlsplit(request.url).hostname if request is not None else "the site"
        return f"host {host} does not resolve (DNS lookup failed; offline?)"
    if isinstance(exc, DownloadFailedError | ConnectionLost | ConnectionDone):
        return "connection dropped by the site before the page arrived (reset or closed)"
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection refused: nothing listens at the site's address"
    if isinstance(exc, DownloadTimeoutError):
        timeout = _limit(settings, request, "DOWNLOAD_TIMEOUT")
        return f"no answer in time: the page took longer than the {timeout:g} s download timeout"
    message = failure.getErrorMessage() or "no details"
    return f"{type(exc).__name__}: {message}"


def _limit(settings: BaseSettings, request: Request | None, name: str) -> float:
    """A download limit as the request had it: its meta key (e.g. ``download_timeout``)
    overrides the setting."""
    default = settings.getfloat(name)
    return request.meta.get(name.lower(), default) if request is not None else default
