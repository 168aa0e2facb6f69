"""Fetching a few pages outside a crawl (`discover`, `check`): httpx, honest and bounded.

The requests say who sends them (the crawls' user agent, with the operator's contact),
obey robots.txt (its rules and its Crawl-delay), time out, follow at most a few redirects,
and refuse a body larger than a crawl would download. With a replay server (``--replay``) every request goes to
``<replay>/<host><path>?<query>`` and the response comes back under the real URL, as
crawls see it (crawler.replay.handler does the same for Scrapy).
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

import httpx

from crawler.contact import ENV as CONTACT_ENV
from crawler.contact import contact_problem
from crawler.extract import as_text
from crawler.replay.snapshot import url_key
from crawler.settings import DOWNLOAD_MAXSIZE, USER_AGENT

if TYPE_CHECKING:
    from protego import Protego

TIMEOUT = httpx.Timeout(20.0, connect=10.0)  # seconds
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 10.0  # seconds: a longer Crawl-delay is waited this long
HTML_TYPES = ("text/html", "application/xhtml+xml")  # Fetched.content_type of a web page


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
    """One httpx client for a command's requests, obeying each host's robots.txt as crawls
    do; ``get`` and ``page`` raise FetchError in one line."""

    def __init__(self, replay: str | None = None) -> None:
        self.agent = user_agent()
        self._robots: dict[str, Protego] = {}
        self._last: dict[str, float] = {}  # when each host was last asked (time.monotonic)
        self.client = httpx.Client(
            timeout=TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": self.agent},
            transport=ReplayTransport(replay) if replay else None,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.client.close()

    def robots(self, url: str) -> Protego:
        """The robots.txt of ``url``'s host (empty, allowing all, when it has none)."""
        from protego import Protego  # Scrapy's robots.txt parser

        root = site_root(url)
        if root not in self._robots:
            try:
                found = self.get(f"{root}/robots.txt")
                text = as_text(found.body) if found.ok else ""
            except FetchError:
                text = ""
            self._robots[root] = Protego.parse(text)
        return self._robots[root]

    def _pause(self, url: str) -> None:
        """Wait out the Crawl-delay of the host's robots.txt (at most MAX_CRAWL_DELAY)."""
        root = site_root(url)
        robots = self._robots.get(root)
        delay = min(float(robots.crawl_delay(self.agent) or 0), MAX_CRAWL_DELAY) if robots else 0
        if root in self._last and (wait := delay - (time.monotonic() - self._last[root])) > 0:
            time.sleep(wait)
        self._last[root] = time.monotonic()

    def allowed(self, url: str) -> bool:
        return bool(self.robots(url).can_fetch(url, self.agent))

    def page(self, url: str) -> Fetched:
        """The page at ``url``; FetchError when robots.txt forbids it or it is no 200."""
        if not self.allowed(url):
            raise FetchError(f"{url}: its site's robots.txt forbids it")
        fetched = self.get(url)
        if not fetched.ok:
            raise FetchError(f"{url}: HTTP {fetched.status}")
        return fetched

    def get(self, url: str) -> Fetched:
        """The answer at ``url`` whatever its status; FetchError when there is none."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"{url}: not an http(s) URL")
        self._pause(url)
        try:
            with self.client.stream("GET", url) as response:
                received = bytearray()  # not bytes: appending to those copies them each time
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) > DOWNLOAD_MAXSIZE:
                        raise FetchError(f"{url}: larger than {DOWNLOAD_MAXSIZE} bytes")
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException:
            raise FetchError(f"{url}: no answer within {TIMEOUT.read:.0f} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: cannot reach it ({exc or type(exc).__name__})") from None
        body = bytes(received)
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


def site_root(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
