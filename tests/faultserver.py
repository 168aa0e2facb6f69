"""A fault server for drills: a local HTTP server in front of a replay server.

It speaks the replay server's URL scheme (``/<host><path>?<query>``), so a crawl pointed at
it with ``PRESSWATCH_REPLAY`` sees the real URLs. Every request is passed to the replay
server unless ``faults`` names its URL key: then the fault answers instead, the way broken
sites do (storms of 5xx, 429 with Retry-After, connection resets, hangs, slow-drip and
truncated bodies, huge pages, wrong charset headers, redirect loops, other pages served
with 200). Faults can be swapped between two crawls while the server runs.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.replay.snapshot import url_key

FORWARDED = ("If-None-Match", "If-Modified-Since", "Accept-Encoding", "User-Agent")
HOP_BY_HOP = ("transfer-encoding", "connection", "keep-alive")
Fault = Callable[["FaultHandler"], None]


@dataclass
class Hit:
    key: str
    at: float  # time.monotonic()
    fault: bool


@dataclass
class Upstream:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class FaultHandler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the drill reads ``hits``."""

    def do_GET(self) -> None:  # noqa: N802
        key = self.path.lstrip("/")
        fault = self.server.faults.get(key)
        self.server.hits.append(Hit(key, time.monotonic(), fault is not None))
        if fault is not None:
            self.close_connection = True
            fault(self)
        else:
            self.relay(self.upstream(conditional=True))

    def upstream(self, conditional: bool = False, key: str | None = None) -> Upstream:
        """The replay server's answer for this request's URL (or ``key``'s)."""
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=10)
        names = FORWARDED if conditional else FORWARDED[2:]
        headers = {n: v for n in names if (v := self.headers.get(n))}
        try:
            conn.request("GET", "/" + (key or self.path.lstrip("/")), headers=headers)
            answer = conn.getresponse()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
            return Upstream(answer.status, kept, answer.read())
        finally:
            conn.close()

    def relay(self, answer: Upstream) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def write_slowly(self, body: bytes, chunk: int, pause: float) -> None:
        """Send ``body`` in pieces until done, the client leaves, or the server stops."""
        try:
            for start in range(0, len(body), chunk):
                if self.server.stopping.wait(pause):
                    return
                self.wfile.write(body[start : start + chunk])
                self.wfile.flush()
        except OSError:  # the client gave up (timeout, size limit)
            return


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: dict[str, Fault] = {}
        self.hits: list[Hit] = []
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hits_of(self, url: str) -> list[Hit]:
        return [h for h in self.hits if h.key == url_key(url)]

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up on a fault is the point of the drill, not an error."""


@contextmanager
def fault_server(upstream: str) -> Iterator[FaultServer]:
    server = FaultServer(upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- faults ------------------------------------------------------------------------------


def status(code: int, headers: dict[str, str] | None = None, times: int | None = None) -> Fault:
    """Answer ``code`` (with ``headers``); after ``times`` answers, pass requests on."""
    served = 0

    def fault(h: FaultHandler) -> None:
        nonlocal served
        if times is not None and served >= times:
            h.relay(h.upstream())
            return
        served += 1
        body = f"<html><body><h1>{code}</h1></body></html>".encode()
        h.head(
            code, {"Content-Type": "text/html", "Content-Length": str(len(body)), **(headers or {})}
        )
        h.wfile.write(body)

    return fault


def reset(h: FaultHandler) -> None:
    """Cut the connection with a TCP reset before any answer."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()


def hang(h: FaultHandler) -> None:
    """Accept the request and never answer (until the server stops)."""
    h.server.stopping.wait(60)


def slow_drip(h: FaultHandler) -> None:
    """The real page, a few bytes at a time: slower than any download timeout."""
    page = h.upstream()
    h.head(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(page.body))})
    h.write_slowly(page.body, chunk=64, pause=0.5)


def truncated(h: FaultHandler) -> None:
    """The first half of the real page, then the connection closes: short of Content-Length."""
    page = h.upstream()
    h.head(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(page.body))})
    h.wfile.write(page.body[: len(page.body) // 2])
    h.wfile.flush()


def huge(size: int, declared: bool = True) -> Fault:
    """A page of ``size`` bytes, with its Content-Length or (``declared=False``) without."""

    def fault(h: FaultHandler) -> None:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if declared:
            headers["Content-Length"] = str(size)
        h.head(200, headers)
        h.write_slowly(b"<p>" + b"x" * (size - 3), chunk=256 * 1024, pause=0)

    return fault


def body(content: bytes, content_type: str) -> Fault:
    """Answer 200 with ``content`` as ``content_type``."""

    def fault(h: FaultHandler) -> None:
        h.head(200, {"Content-Type": content_type, "Content-Length": str(len(content))})
        h.wfile.write(content)

    return fault


def charset(name: str) -> Fault:
    """The real page (never a 304) under a Content-Type that declares charset ``name``."""

    def fault(h: FaultHandler) -> None:
        page = h.upstream()
        h.head(
            200,
            {"Content-Type": f"text/html; charset={name}", "Content-Length": str(len(page.body))},
        )
        h.wfile.write(page.body)

    return fault


def other_page(url: str) -> Fault:
    """Another page of the snapshot (e.g. the listing), served with 200 at this URL."""

    def fault(h: FaultHandler) -> None:
        page = h.upstream(key=url_key(url))
        h.head(
            200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(page.body))}
        )
        h.wfile.write(page.body)

    return fault


def redirect(location: str) -> Fault:
    """301 to ``location`` (two of them pointing at each other make a loop)."""

    def fault(h: FaultHandler) -> None:
        h.head(301, {"Location": location, "Content-Length": "0"})

    return fault


@dataclass
class Drill:
    """What one fault is, and how the drill expects the crawl to record it."""

    name: str
    fault: Fault
    reason: str | None  # a substring of the recorded error; None: no error (it recovers)
    extra: dict[str, Fault] = field(default_factory=dict)  # faults at other URL keys
