"""The replay server: answers saved snapshot pages on 127.0.0.1 the way the real site would.

``GET /www.osce.org/press-releases?page=0`` answers the manifest entry whose URL key
(``snapshot.url_key``) is ``www.osce.org/press-releases?page=0``, with the status, headers,
validators and conditional answers (304) of a real server. The manifest is re-read when it
changes on disk, so a test can edit a snapshot between two crawls while the server runs.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from crawler.replay.snapshot import SnapshotPage, load_manifest, manifest_name, url_key

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 1024 * 1024  # request bodies above this are refused (413) unread
IDLE_TIMEOUT = 60.0  # seconds a keep-alive connection may sit idle before it is closed
_QUIET_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class ReplayError(Exception):
    """A snapshot that cannot be served or a port that cannot be bound; the message says which."""


class Hit(NamedTuple):
    method: str
    key: str
    status: int
    bytes: int


class RequestLog:
    """What the server answered: a count per status and one Hit per request, thread safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_status: Counter[int] = Counter()
        self.log: list[Hit] = []

    def add(self, hit: Hit) -> None:
        with self._lock:
            self.by_status[hit.status] += 1
            self.log.append(hit)

    def __getitem__(self, status: int) -> int:
        return self.by_status[status]

    def __len__(self) -> int:
        return len(self.log)

    def keys(self, status: int | None = None) -> list[str]:
        """The URL keys requested, in order, optionally only those answered with ``status``."""
        with self._lock:
            return [h.key for h in self.log if status is None or h.status == status]

    def clear(self) -> None:
        with self._lock:
            self.by_status.clear()
            self.log.clear()


@dataclass(frozen=True)
class Body:
    data: bytes
    etag: str  # quoted strong ETag over the file bytes
    mtime: float


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Snapshot:
    """One snapshot directory: its manifest (re-read on change), scripts and file bodies."""

    def __init__(self, directory: Path, state: str | None = None) -> None:
        self.directory = directory.resolve()
        self.state = state
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._pages: dict[str, SnapshotPage] = {}
        self._unquoted: dict[str, str] = {}
        self._script_pos: dict[str, int] = {}
        self._bodies: dict[Path, tuple[tuple[int, int], Body]] = {}
        self.pages()  # fail now, not on the first request

    def pages(self) -> dict[str, SnapshotPage]:
        """The manifest's pages, re-read when the file's mtime, size or inode changed."""
        manifest = self.directory / manifest_name(self.state)
        try:
            st = manifest.stat()
        except FileNotFoundError as exc:
            raise ReplayError(f"{self.directory} is not a snapshot: no {manifest.name}") from exc
        signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if signature != self._signature:
                try:
                    self._load(signature)
                except ReplayError:
                    time.sleep(0.05)  # perhaps caught half-written: one more read decides
                    self._load(signature)
            return self._pages

    def _load(self, signature: tuple[int, int, int]) -> None:
        try:
            pages = load_manifest(self.directory, self.state)
        except ValueError as exc:
            raise ReplayError(str(exc)) from exc
        for page in pages.values():
            self._check_file(page)
        self._pages = pages
        self._unquoted = {unquote(key): key for key in pages}
        self._script_pos = {}  # a changed manifest starts every script again
        self._signature = signature
        log.debug("replay: loaded %d pages from %s", len(pages), self.directory)

    def _check_file(self, page: SnapshotPage) -> None:
        if page.file is None:
            return
        path = (self.directory / page.file).resolve()
        if not path.is_relative_to(self.directory):
            raise ReplayError(f"{page.url}: file {page.file!r} is outside the snapshot")
        if not path.is_file():
            raise ReplayError(f"{page.url}: file {page.file!r} is missing from the snapshot")

    def find(self, key: str) -> SnapshotPage | None:
        pages = self.pages()
        page = pages.get(key)
        if page is None and (original := self._unquoted.get(unquote(key))):
            page = pages.get(original)
        return page

    def next_scripted(self, key: str, page: SnapshotPage) -> int | None:
        """The next scripted status for this URL, consumed, or None once the script is done."""
        if not page.script:
            return None
        with self._lock:
            pos = self._script_pos.get(key, 0)
            if pos >= len(page.script):
                return None
            self._script_pos[key] = pos + 1
            return page.script[pos]

    def body(self, page: SnapshotPage) -> Body:
        """The page's file bytes and strong ETag, cached until the file changes."""
        assert page.file is not None
        path = self.directory / page.file
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise ReplayError(f"{page.url}: file {page.file!r} is missing") from exc
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._bodies.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        data = path.read_bytes()
        body = Body(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', st.st_mtime)
        self._bodies[path] = (stamp, body)
        return body


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def last_modified(page: SnapshotPage, body: Body) -> datetime:
    """The entry's ISO date (UTC when naive), else the file's mtime; whole seconds."""
    if page.last_modified:
        moment = datetime.fromisoformat(page.last_modified)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(body.mtime, UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def etag_matches(header: str, etags: list[str]) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored (RFC 9110 13.1.2)."""
    wanted = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in wanted or any(tag in wanted for tag in etags)


def modified_since(header: str, moment: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return True  # an unparsable date is ignored, as RFC 9110 13.1.3 says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return moment > since


def status_page(status: int, detail: str = "") -> bytes:
    """The small HTML body of an error or redirect answer."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Status"
    text = f"<h1>{status} {escape(phrase)}</h1>" + (f"<p>{escape(detail)}</p>" if detail else "")
    return (
        f"<!DOCTYPE html><html><head><title>{status} {escape(phrase)}</title></head>"
        f"<body>{text}</body></html>\n".encode()
    )


def index_page(snapshot: Snapshot) -> bytes:
    """``GET /``: the saved URLs as links, for a person looking at the server."""
    items = "".join(
        f'<li>{page.status} <a href="/{escape(key)}">{escape(page.url)}</a></li>'
        for key, page in sorted(snapshot.pages().items())
    )
    title = f"Snapshot {escape(snapshot.directory.name)}"
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><ul>{items}</ul></body></html>\n".encode()
    )


HTML = "text/html; charset=utf-8"
_NOT_ALLOWED = Answer(405, [("Content-Type", HTML), ("Allow", "GET, HEAD")], status_page(405))


def _bad_request(detail: str) -> Answer:
    return Answer(400, [("Content-Type", HTML)], status_page(400, detail))


class ReplayRequestHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD from the server's snapshot; HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT  # an abandoned keep-alive connection must not hold a thread forever
    server: ReplayHTTPServer

    def version_string(self) -> str:
        return "presswatch-replay/1"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("replay: " + format, *args)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._reply(head=True)

    def do_POST(self) -> None:  # noqa: N802
        self._reply(head=False)

    do_PUT = do_PATCH = do_DELETE = do_POST  # noqa: N815

    def _key(self) -> str:
        """The URL key from ``/<host><path>?<query>`` (or an absolute URL, as a proxy gets)."""
        target = self.path
        if "://" not in target.split("?", 1)[0]:
            target = "http://" + target.lstrip("/")
        return url_key(target)

    def _reply(self, head: bool) -> None:
        key = self.path
        try:
            answer = self._skip_body()
            if answer is None:
                key = self._key()
                answer = self._answer(key) if self.command in ("GET", "HEAD") else _NOT_ALLOWED
        except ReplayError as exc:
            log.error("replay: %s", exc)
            answer = Answer(500, [("Content-Type", HTML)], status_page(500, str(exc)))
        except ValueError as exc:  # a target url_key cannot read ("/[::1", a bad port)
            answer = _bad_request(f"bad request target: {exc}")
        self._send(answer, head, key)

    def _skip_body(self) -> Answer | None:
        """Read past a request body unkept; an Answer (connection closed) when it cannot be."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return Answer(411, [("Content-Type", HTML)], status_page(411, "send Content-Length"))
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return None
        if len(set(values)) > 1 or not values[0].strip().isdigit() or not values[0].isascii():
            self.close_connection = True
            return _bad_request(f"malformed Content-Length: {', '.join(values)!r}")
        length = int(values[0])
        if length > MAX_BODY:
            self.close_connection = True
            detail = f"request body of {length} bytes exceeds the {MAX_BODY}-byte limit"
            return Answer(413, [("Content-Type", HTML)], status_page(413, detail))
        while length > 0:
            chunk = self.rfile.read(min(length, 64 * 1024))
            if not chunk:
                self.close_connection = True
                break
            length -= len(chunk)
        return None

    def _answer(self, key: str) -> Answer:
        snapshot = self.server.snapshot
        if key == "/":
            return Answer(200, [("Content-Type", HTML)], index_page(snapshot))
        page = snapshot.find(key)
        if page is None:
            return Answer(404, [("Content-Type", HTML)], status_page(404, f"{key} is not saved"))
        if page.delay:
            time.sleep(page.delay)
        scripted = snapshot.next_scripted(key, page)
        if scripted is not None:
            return Answer(scripted, [("Content-Type", HTML)], b"")
        extra = list(page.headers.items())
        if page.location:
            extra.append(("Location", page.location))
        if page.file is None:
            return Answer(page.status, [("Content-Type", HTML), *extra], status_page(page.status))
        return self._page_answer(page, snapshot.body(page), extra)

    def _page_answer(self, page: SnapshotPage, body: Body, extra: list[tuple[str, str]]) -> Answer:
        modified = last_modified(page, body)
        data, etag, headers = body.data, body.etag, [("Last-Modified", http_date(modified))]
        encoding: list[tuple[str, str]] = []
        if page.gzip:
            headers.append(("Vary", "Accept-Encoding"))
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                data, etag = gzip.compress(data, mtime=0), body.etag[:-1] + '-gzip"'
                encoding.append(("Content-Encoding", "gzip"))
        if page.etag:
            headers.append(("ETag", etag))
        if page.status == 200 and self._not_modified(page, [body.etag, etag], modified):
            return Answer(304, headers + extra, b"")
        content = [("Content-Type", page.content_type), *encoding]
        return Answer(page.status, content + headers + extra, data)

    def _not_modified(self, page: SnapshotPage, etags: list[str], modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # takes precedence over If-Modified-Since
            return page.etag and etag_matches(if_none_match, etags)
        if_modified_since = self.headers.get("If-Modified-Since")
        return if_modified_since is not None and not modified_since(if_modified_since, modified)

    def _send(self, answer: Answer, head: bool, key: str) -> None:
        # Logged before the answer goes out, so a client that has it finds it in the log.
        sent = 0 if head or answer.status == 304 else len(answer.body)
        self.server.requests.add(Hit(self.command, key, answer.status, sent))
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.status != 304:
            self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and answer.status != 304:
            self.wfile.write(answer.body)


class ReplayHTTPServer(ThreadingHTTPServer):
    """A threading server bound to one Snapshot, closing its open connections on close.

    The listen backlog is the system's maximum, not socketserver's 5: a crawl opens a burst
    of connections at once, and a full accept queue makes the kernel drop the handshake's
    last step; such a connection completes only when a retransmission, backed off 1, 2, 4,
    8, 16 s, finds room, so requests hung for seconds, then past Scrapy's download timeout.
    """

    daemon_threads = True
    allow_reuse_port = False
    request_queue_size = socket.SOMAXCONN

    def __init__(self, port: int, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.requests = RequestLog()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((HOST, port), ReplayRequestHandler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._connections.clear()

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], _QUIET_ERRORS):
            return  # the client went away (a timeout test, a stopped crawl)
        log.exception("replay: request from %s failed", client_address)


class ReplayServer:
    """A running replay server: ``.url``, ``.port``, ``.requests``; ``close()`` or ``with``."""

    def __init__(self, httpd: ReplayHTTPServer) -> None:
        self._httpd = httpd
        self.port: int = httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.snapshot = httpd.snapshot
        self.requests = httpd.requests
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"replay-{self.port}",
        )
        self._thread.start()

    def url_for(self, url: str) -> str:
        """Where this server answers ``url``: ``<server>/<host><path>?<query>``."""
        return f"{self.url}/{url_key(url)}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(directory: Path, port: int = 0, state: str | None = None) -> ReplayServer:
    """Serve ``directory`` (in ``state``) on 127.0.0.1:``port`` (0: any free port) in a thread."""
    snapshot = Snapshot(Path(directory), state)
    try:
        httpd = ReplayHTTPServer(port, snapshot)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ReplayError(f"port {port} is already in use on {HOST}") from exc
        raise ReplayError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc
    return ReplayServer(httpd)


def run_forever(directory: Path, port: int, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted (the `presswatch replay` command); ReplayError on a bad start."""
    with serve(directory, port) as server:
        pages = len(server.snapshot.pages())
        announce(f"replaying {pages} pages of {server.snapshot.directory} at {server.url}")
        announce(f"crawl it with: scrapy crawl SOURCE -s PRESSWATCH_REPLAY={server.url}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            announce(f"stopped; answered {len(server.requests)} requests")


def main(argv: list[str] | None = None) -> int:
    """``python -m crawler.replay.server SNAPSHOT [--port N]``, until the CLI wires it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.replay.server")
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--port", type=int, default=8700)
    args = parser.parse_args(argv)
    try:
        run_forever(args.snapshot, args.port)
    except ReplayError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
