"""The replay server under load: a burst of connections, then repeated crawls of one site.

    python benchmarks/replay_load.py [--burst 200] [--crawls 4] [--n 400] [--backlog N]

The burst opens ``--burst`` connections at once (one GET each) and prints the slowest and
median answer and how many timed out (20 s); ``--backlog 5`` reproduces socketserver's
default listen backlog, the cause of issue 11 point 7. Then ``--crawls`` recrawls of OSCE
(revisit all, CONCURRENT_REQUESTS_PER_DOMAIN=16) against the same server: seconds each and
Scrapy's downloader exception counts (a DownloadTimeoutError there is a hung request).
"""

from __future__ import annotations

import argparse
import re
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from crawler.replay.server import ReplayHTTPServer, ReplayServer, serve
from crawler.replay.synthetic import build_synthetic
from scheduler.runner import CrawlOptions, run_crawl

FAST = {"CONCURRENT_REQUESTS": "32", "CONCURRENT_REQUESTS_PER_DOMAIN": "16"}
EXCEPTIONS = re.compile(r"'downloader/exception_type_count/([^']+)': (\d+)")


def one_request(server: ReplayServer) -> float | None:
    """Seconds for one GET on a fresh connection; None when it timed out."""
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
            sock.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while sock.recv(65536):
                pass
    except OSError:
        return None
    return time.perf_counter() - start


def burst(server: ReplayServer, n: int) -> str:
    with ThreadPoolExecutor(max_workers=n) as pool:
        times = list(pool.map(lambda _: one_request(server), range(n)))
    done = sorted(t for t in times if t is not None)
    return (
        f"burst of {n}: slowest {done[-1]:.2f} s, median {done[len(done) // 2]:.3f} s, "
        f"{n - len(done)} timed out"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--crawls", type=int, default=4)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--backlog", type=int, default=None, help="listen backlog to use")
    args = parser.parse_args()
    if args.backlog:
        ReplayHTTPServer.request_queue_size = args.backlog
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_synthetic(root / "snapshot", args.n)
        db = f"sqlite:///{root / 'archive.db'}"
        with serve(root / "snapshot") as server:
            for round_ in range(3):
                print(f"round {round_ + 1}: {burst(server, args.burst)}")
            for i in range(args.crawls + 1):
                log = root / f"crawl{i}.log"
                start = time.perf_counter()
                options = CrawlOptions(
                    replay=server.url, db=db, full=i == 0, revisit_all=i > 0, settings=FAST
                )
                result = run_crawl("osce", options, log)
                seconds = time.perf_counter() - start
                errors = dict(EXCEPTIONS.findall(log.read_text())) or "none"
                name = "first (full)" if i == 0 else f"recrawl {i}"
                print(f"{name:13} {seconds:6.1f} s  exit {result.returncode}  exceptions {errors}")


if __name__ == "__main__":
    main()
