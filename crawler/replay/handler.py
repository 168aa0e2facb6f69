"""A Scrapy download handler that fetches http(s) URLs from the replay server when told to.

With ``PRESSWATCH_REPLAY = "http://127.0.0.1:N"`` every http/https request is sent to
``<replay>/<host><path>?<query>`` and the response comes back under the ORIGINAL URL, so
spiders, robots.txt, redirects, cookies and the archive see the real canonical URLs. Without
the setting it is Scrapy's own HTTP handler. Registered for both schemes::

    DOWNLOAD_HANDLERS = {"http": "crawler.replay.handler.ReplayDownloadHandler",
                         "https": "crawler.replay.handler.ReplayDownloadHandler"}

It wraps the handler rather than raising NotConfigured without the setting, because Scrapy
marks a scheme whose handler raised NotConfigured as unsupported instead of falling back to
the default. The wrapped handler is ``PRESSWATCH_HTTP_HANDLER`` when set, else Scrapy's
default for https (``DOWNLOAD_HANDLERS_BASE``), built the way Scrapy's S3 handler builds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.replay.snapshot import url_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

SETTING = "PRESSWATCH_REPLAY"
INNER_SETTING = "PRESSWATCH_HTTP_HANDLER"
FLAG = "replay"  # shown in Scrapy's "Crawled (200) <GET url> ['replay']" log lines


def replay_base(value: str | None) -> str | None:
    """The replay server's base URL without a trailing slash; ValueError when not http(s)."""
    if not value:
        return None
    base = value.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{SETTING} must be the replay server's URL, like http://127.0.0.1:8700")
    return base


def _with_original_url(exc: Exception, replayed: str, original: str) -> Exception:
    """The same error naming the real URL ("Getting https://... took longer than 30 seconds")."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str) and replayed in exc.args[0]:
        try:
            return type(exc)(exc.args[0].replace(replayed, original))
        except Exception:  # an exception class with another signature: keep it as it is
            return exc
    return exc


class ReplayDownloadHandler(BaseDownloadHandler):
    """Scrapy's HTTP handler, sending requests to the replay server when PRESSWATCH_REPLAY says."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.replay = replay_base(settings.get(SETTING))
        path = settings.get(INNER_SETTING) or settings.getdict("DOWNLOAD_HANDLERS_BASE")["https"]
        inner_cls = load_object(path)
        if issubclass(inner_cls, ReplayDownloadHandler):
            raise ValueError(f"{INNER_SETTING} must name Scrapy's HTTP handler, not this one")
        self._inner: BaseDownloadHandler = build_from_crawler(inner_cls, crawler)

    def replay_url(self, url: str) -> str:
        """Where the replay server answers ``url``."""
        assert self.replay is not None
        return f"{self.replay}/{url_key(url)}"

    async def download_request(self, request: Request) -> Response:
        if self.replay is None or urlsplit(request.url).scheme not in ("http", "https"):
            return await self._inner.download_request(request)
        # A proxy (HttpProxyMiddleware, from the environment) was chosen for the real host;
        # the replay server is local, so the request goes to it directly.
        meta = {k: v for k, v in request.meta.items() if k != "proxy"}
        replayed = request.replace(url=self.replay_url(request.url), meta=meta)
        replayed.headers.pop(b"Proxy-Authorization", None)
        try:
            response = await self._inner.download_request(replayed)
        except Exception as exc:
            renamed = _with_original_url(exc, replayed.url, request.url)
            if renamed is exc:
                raise
            raise renamed from exc
        for key, value in replayed.meta.items():  # download_latency and the like
            if key not in meta or meta[key] is not value:
                request.meta[key] = value
        return response.replace(url=request.url, flags=[*response.flags, FLAG])

    async def close(self) -> None:
        await self._inner.close()
