"""Fetching a few pages outside a crawl (`discover`, `check`): httpx, honest and bounded.

The requests say who sends them (the crawls' user agent, with the operator's contact),
time out, follow at most a few redirects, and refuse a body larger than a crawl would
download. With a replay server (``--replay``) every request goes to
``<replay>/<host><path>?<query>`` and the response comes back under the real URL, as
crawls see it (crawler.replay.handler does the same for Scrapy).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from crawler.contact import ENV as CONTACT_ENV
from crawler.contact import contact_problem
from crawler.replay.snapshot import url_key
from crawler.settings import DOWNLOAD_MAXSIZE, USER_AGENT

TIMEOUT = httpx.Timeout(20.0, connect=10.0)  # seconds
MAX_REDIRECTS = 5


def user_agent() -> str:
    """presswatch's user agent, with the operator's contact as crawls send it."""
    contact = os.environ.get(CONTACT_ENV, "").strip()
    return f"{USER_AGENT} (+{contact})" if contact and not contact_problem(contact) else USER_AGENT


class FetchError(Exception):
    """A page could not be fetched: the message names the URL and the reason, in one line."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects (the real one, also through a replay server)
    status: int
    content_type: str  # lower case, without parameters ("text/html")
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status == 200


class ReplayTransport(httpx.BaseTransport):
    """Sends every request to the replay server at ``base``; httpx keeps the real URL."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = httpx.Request(
            request.method,
            f"{self.base}/{url_key(str(request.url))}",
            headers=[(k, v) for k, v in request.headers.raw if k.lower() != b"host"],
            content=request.read(),
            extensions=request.extensions,
        )
        return self.inner.handle_request(local)

    def close(self) -> None:
        self.inner.close()


class Fetcher:
    """One httpx client for a command's requests; ``get`` raises FetchError in one line."""

    def __init__(self, replay: str | None = None) -> None:
        self.requests = 0
        self.client = httpx.Client(
            timeout=TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": user_agent()},
            transport=ReplayTransport(replay) if replay else None,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.client.close()

    def get(self, url: str) -> Fetched:
        """The answer at ``url`` whatever its status; FetchError when there is none."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"{url}: not an http(s) URL")
        try:
            with self.client.stream("GET", url) as response:
                self.requests += 1 + len(response.history)
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > DOWNLOAD_MAXSIZE:
                        raise FetchError(f"{url}: larger than {DOWNLOAD_MAXSIZE} bytes")
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException:
            raise FetchError(f"{url}: no answer within {TIMEOUT.read:.0f} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: cannot reach it ({exc or type(exc).__name__})") from None
        if body[:2] == b"\x1f\x8b":  # a gzipped sitemap (.xml.gz) served as a file
            body = _gunzip(url, body)
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(str(response.url), response.status_code, kind, body)


def _gunzip(url: str, data: bytes) -> bytes:
    """``data`` decompressed, at most DOWNLOAD_MAXSIZE bytes of it."""
    try:
        body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, DOWNLOAD_MAXSIZE + 1)
    except zlib.error as exc:
        raise FetchError(f"{url}: broken gzip data ({exc})") from None
    if len(body) > DOWNLOAD_MAXSIZE:
        raise FetchError(f"{url}: larger than {DOWNLOAD_MAXSIZE} bytes once decompressed")
    return body
