"""The replay server answers like a real site, and the download handler routes Scrapy to it.

Server tests talk HTTP to 127.0.0.1 with http.client; handler tests run a small spider in a
subprocess (its own Twisted reactor) against a snapshot written in tmp_path.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crawler.replay.server import ReplayError, ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, write_snapshot

ROOT = Path(__file__).resolve().parents[1]
RELEASE = "https://www.example.org/news/release-1"
LISTING = "https://www.example.org/news?page=0"
SLOW = "https://www.example.org/slow"
LAST_MODIFIED = "2026-06-10T09:46:08Z"
LAST_MODIFIED_HTTP = "Wed, 10 Jun 2026 09:46:08 GMT"


def fetch(
    server: ReplayServer, key: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, "/" + key, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def _pages() -> list[tuple[SnapshotPage, str | bytes | None]]:
    return [
        (
            SnapshotPage(
                url=RELEASE, file="www.example.org/news/release-1.html", last_modified=LAST_MODIFIED
            ),
            "<html><body><h1>Release one</h1><p>Vienna, 10 June 2026 – Text.</p></body></html>",
        ),
        (
            SnapshotPage(url=LISTING, file="www.example.org/news__page-0.html", script=[500]),
            '<html><body><a href="/news/release-1">One</a></body></html>',
        ),
        (SnapshotPage(url="https://www.example.org/gone", status=410), None),
        (
            SnapshotPage(
                url="https://www.example.org/old",
                status=301,
                location="https://www.example.org/news/release-1",
            ),
            None,
        ),
        (
            SnapshotPage(
                url="https://www.example.org/feed.xml",
                file="www.example.org/feed.xml",
                content_type="application/rss+xml; charset=utf-8",
                etag=False,
                gzip=True,
                headers={"Cache-Control": "max-age=60"},
            ),
            "<rss version='2.0'><channel><title>News</title></channel></rss>",
        ),
    ]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    directory = tmp_path / "snap"
    write_snapshot(directory, _pages(), name="demo")
    return directory


@pytest.fixture
def server(snapshot: Path) -> Iterator[ReplayServer]:
    with serve(snapshot) as running:
        yield running


# --- the server -------------------------------------------------------------------------


def test_page_answers_with_real_server_headers(server: ReplayServer, snapshot: Path) -> None:
    status, headers, body = fetch(server, "www.example.org/news/release-1")
    assert status == 200
    assert body == (snapshot / "www.example.org/news/release-1.html").read_bytes()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["last-modified"] == LAST_MODIFIED_HTTP
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert "date" in headers and server.url == f"http://127.0.0.1:{server.port}"


def test_etag_is_strong_and_follows_the_bytes(server: ReplayServer, snapshot: Path) -> None:
    first = fetch(server, "www.example.org/news/release-1")[1]["etag"]
    assert fetch(server, "www.example.org/news/release-1")[1]["etag"] == first
    assert not first.startswith("W/")
    (snapshot / "www.example.org/news/release-1.html").write_text("<html>edited</html>")
    status, headers, body = fetch(server, "www.example.org/news/release-1")
    assert (status, body) == (200, b"<html>edited</html>")
    assert headers["etag"] != first


def test_if_none_match_answers_304(server: ReplayServer) -> None:
    etag = fetch(server, "www.example.org/news/release-1")[1]["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, headers, body = fetch(
            server, "www.example.org/news/release-1", headers={"If-None-Match": header}
        )
        assert (status, body) == (304, b""), header
        assert headers["etag"] == etag
    status, _, _ = fetch(
        server, "www.example.org/news/release-1", headers={"If-None-Match": '"stale"'}
    )
    assert status == 200


def test_if_modified_since(server: ReplayServer) -> None:
    key = "www.example.org/news/release-1"
    for since, expected in (
        (LAST_MODIFIED_HTTP, 304),
        ("Thu, 11 Jun 2026 00:00:00 GMT", 304),
        ("Tue, 09 Jun 2026 23:59:59 GMT", 200),
        ("not a date", 200),
    ):
        assert fetch(server, key, headers={"If-Modified-Since": since})[0] == expected, since
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    headers = {"If-Modified-Since": LAST_MODIFIED_HTTP, "If-None-Match": '"stale"'}
    assert fetch(server, key, headers=headers)[0] == 200


def test_last_modified_defaults_to_file_mtime(server: ReplayServer, snapshot: Path) -> None:
    os.utime(snapshot / "www.example.org/news__page-0.html", (1_700_000_000, 1_700_000_000))
    fetch(server, "www.example.org/news?page=0")  # the scripted 500
    _, headers, _ = fetch(server, "www.example.org/news?page=0")
    assert headers["last-modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_head_sends_headers_without_body(server: ReplayServer) -> None:
    _, got, body = fetch(server, "www.example.org/news/release-1")
    status, headers, empty = fetch(server, "www.example.org/news/release-1", method="HEAD")
    assert (status, empty) == (200, b"")
    assert headers["content-length"] == str(len(body))
    assert headers["etag"] == got["etag"]


def test_script_answers_500_then_the_page(server: ReplayServer) -> None:
    key = "www.example.org/news?page=0"
    assert fetch(server, key)[0] == 500
    assert fetch(server, key)[0] == 200
    assert fetch(server, key)[0] == 200
    assert server.requests[500] == 1 and server.requests[200] == 2
    assert [(h.method, h.key, h.status) for h in server.requests.log] == [
        ("GET", key, 500),
        ("GET", key, 200),
        ("GET", key, 200),
    ]


def test_script_is_consumed_once_under_concurrency(tmp_path: Path) -> None:
    page = SnapshotPage(url="https://busy.example.org/", file="busy.html", script=[503] * 5)
    write_snapshot(tmp_path, [(page, "<p>busy</p>")])
    with serve(tmp_path) as server, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: fetch(server, "busy.example.org/")[0], range(20)))
    assert sorted(statuses) == [200] * 15 + [503] * 5
    assert server.requests.by_status == {200: 15, 503: 5}


def test_unknown_url_is_404_with_html(server: ReplayServer) -> None:
    status, headers, body = fetch(server, "www.example.org/nothing-here")
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert b"404" in body and int(headers["content-length"]) == len(body)


def test_status_entries_and_redirects(server: ReplayServer) -> None:
    assert fetch(server, "www.example.org/gone")[0] == 410
    status, headers, _ = fetch(server, "www.example.org/old")
    assert status == 301
    assert headers["location"] == RELEASE


def test_extra_headers_gzip_and_no_etag(server: ReplayServer, snapshot: Path) -> None:
    key = "www.example.org/feed.xml"
    status, headers, body = fetch(server, key)
    assert status == 200 and "etag" not in headers and "content-encoding" not in headers
    assert headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert headers["cache-control"] == "max-age=60"
    _, zipped, packed = fetch(server, key, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped["content-encoding"] == "gzip" and gzip.decompress(packed) == body


def test_host_is_case_insensitive_and_query_must_match(server: ReplayServer) -> None:
    assert fetch(server, "WWW.Example.org/news/release-1")[0] == 200
    fetch(server, "www.example.org/news?page=0")
    assert fetch(server, "www.example.org/news?page=1")[0] == 404


def test_manifest_is_reloaded_after_mutation(server: ReplayServer, snapshot: Path) -> None:
    assert fetch(server, "www.example.org/news?page=0")[0] == 500
    assert fetch(server, "www.example.org/new-page")[0] == 404
    pages = _pages() + [
        (SnapshotPage(url="https://www.example.org/new-page", file="new.html"), "<p>new</p>")
    ]
    time.sleep(0.01)
    write_snapshot(snapshot, pages, name="demo")
    assert fetch(server, "www.example.org/new-page")[:3:2] == (200, b"<p>new</p>")
    assert fetch(server, "www.example.org/news?page=0")[0] == 500  # the script starts again


def test_delay_holds_the_answer(tmp_path: Path) -> None:
    page = SnapshotPage(url="https://slow.example.org/", file="slow.html", delay=0.3)
    write_snapshot(tmp_path, [(page, "<p>slow</p>")])
    with serve(tmp_path) as server:
        start = time.monotonic()
        assert fetch(server, "slow.example.org/")[0] == 200
        assert time.monotonic() - start >= 0.3


def test_malformed_or_missing_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no manifest.json"):
        serve(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReplayError, match="malformed manifest"):
        serve(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"pages": [{"file": "x.html"}]}))
    with pytest.raises(ReplayError, match="malformed manifest"):
        serve(tmp_path)
    write_snapshot(tmp_path, [(SnapshotPage(url="https://a.example/", file="missing.html"), None)])
    with pytest.raises(ReplayError, match="missing"):
        serve(tmp_path)


def test_manifest_broken_while_running_answers_500(server: ReplayServer, snapshot: Path) -> None:
    (snapshot / "manifest.json").write_text('{"pages": [', encoding="utf-8")
    status, _, body = fetch(server, "www.example.org/news/release-1")
    assert status == 500 and b"malformed manifest" in body


def test_port_in_use_is_a_clear_error(server: ReplayServer, snapshot: Path) -> None:
    with pytest.raises(ReplayError, match=f"port {server.port} is already in use"):
        serve(snapshot, port=server.port)


def test_close_stops_the_server(snapshot: Path) -> None:
    server = serve(snapshot)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/www.example.org/news/release-1")
    conn.getresponse().read()  # a keep-alive connection left open
    server.close()
    with pytest.raises(OSError):
        fetch(server, "www.example.org/news/release-1")


# --- the download handler ------------------------------------------------------------------

SPIDER = """
import json
import scrapy

HANDLER = "crawler.replay.handler.ReplayDownloadHandler"


class Probe(scrapy.Spider):
    name = "probe"
    custom_settings = {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.middlewares.FanOutRobotsTxtMiddleware": 100,
        },
        "ROBOTSTXT_OBEY": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_TIMEOUT": 0.5,
        "HTTPERROR_ALLOW_ALL": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, urls="[]", **kwargs):
        super().__init__(**kwargs)
        self.urls = json.loads(urls)

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True, errback=self.failed)

    def failed(self, failure):
        yield {"url": failure.request.url, "error": str(failure.value)}

    def parse(self, response):
        yield {
            "url": response.url,
            "status": response.status,
            "etag": response.headers.get("ETag", b"").decode(),
            "body": response.text,
            "redirects": response.meta.get("redirect_urls", []),
            "flags": response.flags,
        }
"""


def run_spider(tmp_path: Path, urls: list[str], replay: str | None) -> tuple[list[dict], str]:
    """Run the probe spider in its own process; returns its items and its log."""
    (tmp_path / "probe.py").write_text(textwrap.dedent(SPIDER), encoding="utf-8")
    out = tmp_path / "items.jsonl"
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        "probe.py",
        "-O",
        f"{out.name}:jsonl",
        "-a",
        f"urls={json.dumps(urls)}",
    ]
    if replay:
        cmd += ["-s", f"PRESSWATCH_REPLAY={replay}"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(proxy, None)
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return items, done.stderr


def _robots_snapshot(snapshot: Path) -> None:
    pages = _pages() + [
        (
            SnapshotPage(
                url="https://www.example.org/robots.txt",
                file="www.example.org/robots.txt",
                content_type="text/plain; charset=utf-8",
            ),
            "User-agent: *\nDisallow: /admin/\n",
        ),
        (SnapshotPage(url="https://www.example.org/admin/secret", file="secret.html"), "<p>x</p>"),
        (SnapshotPage(url=SLOW, file="slow.html", delay=1.0), "<p>slow</p>"),
    ]
    write_snapshot(snapshot, pages, name="demo")


@pytest.mark.slow
def test_handler_replays_under_the_original_urls(
    server: ReplayServer, snapshot: Path, tmp_path: Path
) -> None:
    _robots_snapshot(snapshot)
    urls = [
        RELEASE,
        LISTING,
        "https://www.example.org/old",
        "https://www.example.org/gone",
        "https://www.example.org/unknown",
        SLOW,
        # The last of seven requests waiting for robots.txt: Scrapy 2.19's own middleware
        # hands it no rules and it is sent (crawler.middlewares.FanOutRobotsTxtMiddleware).
        "https://www.example.org/admin/secret",
    ]
    items, log = run_spider(tmp_path, urls, server.url)
    by_url = {item["url"]: item for item in items}

    release = by_url[RELEASE]
    assert release["status"] == 200 and "Release one" in release["body"]
    assert release["etag"] == fetch(server, "www.example.org/news/release-1")[1]["etag"]
    assert "replay" in release["flags"]
    assert by_url[LISTING]["status"] == 200  # the scripted 500 was retried
    redirected = [i for i in items if i.get("redirects") == ["https://www.example.org/old"]]
    assert redirected and redirected[0]["url"] == RELEASE
    assert by_url["https://www.example.org/gone"]["status"] == 410
    assert by_url["https://www.example.org/unknown"]["status"] == 404
    assert by_url["https://www.example.org/admin/secret"]["error"] == "Forbidden by robots.txt"
    assert "'robotstxt/forbidden': 1" in log
    assert by_url[SLOW]["error"] == f"Getting {SLOW} took longer than 0.5 seconds."

    keys = server.requests.keys()
    assert keys.count("www.example.org/robots.txt") == 1
    assert "www.example.org/admin/secret" not in keys
    assert ("www.example.org/news?page=0", 500) in [(h.key, h.status) for h in server.requests.log]
    assert all(item["url"].startswith("https://www.example.org/") for item in items)


@pytest.mark.slow
def test_handler_without_replay_is_scrapys_http_handler(
    server: ReplayServer, tmp_path: Path
) -> None:
    # The replay server stands in for a real host here: a plain request to 127.0.0.1.
    url = server.url_for(RELEASE)
    items, _ = run_spider(tmp_path, [url], None)
    assert [(i["url"], i["status"], i["flags"]) for i in items] == [(url, 200, [])]
    assert "Release one" in items[0]["body"]
    assert server.requests.keys(200) == ["www.example.org/news/release-1"]


# --- load and hostile requests ------------------------------------------------------------


def _raw(server: ReplayServer, request: bytes) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_burst_of_connections_is_answered_at_once(server: ReplayServer) -> None:
    """Socketserver's backlog of 5 dropped such bursts: clients waited out SYN retries."""
    request = b"GET /www.example.org/gone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(lambda _: _raw(server, request), range(200)))
    assert all(a.startswith(b"HTTP/1.1 410") for a in answers)
    assert server.requests[410] == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: abc\r\n", 400),
        (b"Content-Length: -5\r\n", 400),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        (b"Content-Length: \xd9\xa1\r\n", 400),
        (b"Transfer-Encoding: chunked\r\n", 411),
        (b"Content-Length: 99999999999999\r\n", 413),
    ],
)
def test_bad_or_huge_bodies_are_refused_unread(
    server: ReplayServer, headers: bytes, status: int, capfd: pytest.CaptureFixture[str]
) -> None:
    request = b"POST /www.example.org/news/release-1 HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    answer = _raw(server, request)  # returns: the server closed without waiting for a body
    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:80]
    assert b"Connection: close" in answer
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_is_skipped_and_the_connection_kept(server: ReplayServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/www.example.org/news/release-1", body=b"x" * 200_000)
    response = conn.getresponse()
    assert (response.status, response.getheader("Allow")) == (405, "GET, HEAD")
    response.read()
    conn.request("GET", "/www.example.org/news/release-1")  # same connection
    assert conn.getresponse().status == 200
    conn.close()


def test_bad_targets_are_400_without_traceback(
    server: ReplayServer, capfd: pytest.CaptureFixture[str]
) -> None:
    for target in (b"/[::1/x", b"http://[::1/x"):
        answer = _raw(
            server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 400"), (target, answer[:80])
    assert b"400 - Bad request" in _raw(server, b"GET /x HTTP/one\r\n\r\n")
    assert "Traceback" not in capfd.readouterr().err
