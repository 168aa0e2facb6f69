"""What the daemon tests share: a webhook receiver, a TCP proxy, a mutable SCO snapshot.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler.replay.builders import sco
from crawler.replay.builders.base import DemoRelease
from crawler.replay.snapshot import write_snapshot

PRESSWATCH = Path(sys.executable).parent / "presswatch"


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Webhook:
    """A JSON webhook receiver; ``fail`` POSTs answer 500 first (-1: every one)."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.payloads: list[dict[str, Any]] = []
        self.attempts = 0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook.lock:
                    hook.attempts += 1
                    failing = hook.fail != 0
                    if hook.fail > 0:
                        hook.fail -= 1
                    if not failing:
                        hook.payloads.append(json.loads(body))
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e for p in self.payloads for e in p["events"]]

    def alerts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [a for p in self.payloads for a in p["alerts"]]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class TcpProxy:
    """Forwards 127.0.0.1:port to a server; ``down()`` drops every connection and refuses."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        assert self.listener is not None
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        with self.lock:
            for conn in self.conns:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self.conns.clear()


def sco_release(n: int, body: str = "") -> DemoRelease:
    path = f"/2026{n:04d}/{1600000 + n}.html"
    return DemoRelease(
        url=f"{sco.BASE_URL}{path}",
        title=f"SCO Secretary-General receives delegation number {n}",
        published=date(2026, 1, 1 + n),
        paragraphs=[
            f"Beijing, {1 + n} January 2026. The Secretary-General of the Shanghai Cooperation "
            "Organisation received a delegation to discuss regional security cooperation.",
            body
            or "The sides exchanged views on the implementation of the agreements reached "
            "at the last meeting of the Council of Heads of State and on joint projects.",
            "Both parties reaffirmed their commitment to the principles of the SCO Charter.",
        ],
        kind="News",
        external_id=str(1600000 + n),
        metadata={"language": "en", "tags": ["Secretariat"]},
    )


def write_sco(
    directory: Path, releases: list[DemoRelease], delay: float = 0.0, release_delay: float = 0.0
) -> None:
    """The SCO site with ``releases``; ``delay`` holds every listing answer back,
    ``release_delay`` every release page."""
    pages = list(sco.snapshot_pages(releases))
    release_urls = {r.url for r in releases}
    for page, _ in pages:
        if delay and "/news/" in page.url and page.url.endswith(("/news/", "page=2")):
            page.delay = delay
        elif release_delay and page.url in release_urls:
            page.delay = release_delay
    write_snapshot(directory, pages, name="daemon-test")


def daemon_config(
    path: Path, replay: str, database: str, webhook: str | None, *, interval: str = "1s",
    timeout: str = "60s", grace: str = "2s", health_after: int = 3, politeness: str = "",
) -> Path:  # fmt: skip
    targets = '[[notify.targets]]\ntype = "log"\n'
    if webhook:
        targets += f'[[notify.targets]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook}"\n'
    path.write_text(
        f"""database = "{database}"
[daemon]
replay = "{replay}"
shutdown_grace = "{grace}"
health_after = {health_after}
log_dir = "{path.parent / "logs"}"
[notify]
retry_base = "200ms"
retry_max = "1s"
check_every = "300ms"
{targets}
[defaults]
enabled = false
[sources.sco]
enabled = true
interval = "{interval}"
jitter = 0
timeout = "{timeout}"
max_pages = 1
{politeness}
""",
        encoding="utf-8",
    )
    return path


class DaemonProcess:
    """`presswatch daemon` as a real process, its output in a file."""

    def __init__(self, config: Path, env: dict[str, str] | None = None, once: bool = False) -> None:
        self.log = config.parent / f"daemon-{time.monotonic_ns()}.out"
        cmd = [str(PRESSWATCH), "daemon", "--config", str(config)] + (["--once"] if once else [])
        self.proc = subprocess.Popen(
            cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, cwd=config.parent,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self, timeout: float) -> float:
        """SIGTERM, and the seconds until the process ended."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
