"""The daemon's resident memory over many short runs, and its scheduling delay.

Runs the real Daemon (APScheduler, runner subprocesses, notifications, health checks) in a
child process on a fresh SQLite archive, with a crawl stand-in that records one changed
release per run (so every run writes a run, an event and a delivery), and samples the
child's RSS from /proc. ``--real`` crawls the demo snapshot with Scrapy instead (slower).

    .venv/bin/python benchmarks/daemon_memory.py --runs 200
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUB = """
import sys
from datetime import date
from storage.archive import Archive, ParsedRelease
from storage.db import open_archive
engine, sessions = open_archive(sys.argv[1])
archive = Archive(sessions)
run = archive.start_run("sco")
n = archive.record(ParsedRelease(source="sco", url="https://eng.sectsco.org/news/1.html",
    title="Benchmark release", body="Body of run " + str(run) + ". " * 40,
    published=date(2026, 1, 1)), run)
archive.finish_run(run, {"items": 1, n.outcome.value: 1})
"""


def child(db: str, runs: int, real: bool, replay: str | None) -> None:
    """The daemon under test; prints one 'rss' line per 10 runs."""
    import logging
    import threading

    from presswatch.config import parse_config
    from scheduler import runner
    from scheduler.daemon import Daemon

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("presswatch.notify").setLevel(logging.WARNING)
    if not real:
        runner.CrawlOptions.command = lambda self, source: [sys.executable, "-c", STUB, db]
    config = parse_config(
        {"database": db, "daemon": {"replay": replay} if replay else {},
         "defaults": {"enabled": False},
         "sources": {"sco": {"enabled": True, "interval": "1s",
                             "jitter": 0, "max_pages": 1}},
         "notify": {"check_every": "1s"}},
        ["sco"],
    )  # fmt: skip
    daemon = Daemon(config, log_dir=Path(tempfile.mkdtemp()))
    done = threading.Event()

    def on_report(report) -> None:
        n = len(daemon.reports)
        if n % 10 == 0:
            rss = int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text())[1])
            print(f"rss {n} {rss}", flush=True)
        if n >= runs:
            done.set()
            daemon.stop.set()

    daemon.on_report = on_report
    daemon.run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--real", action="store_true", help="real Scrapy crawls of the demo")
    parser.add_argument("--child", nargs=2, metavar=("DB", "REPLAY"))
    args = parser.parse_args()
    if args.child:
        db, replay = args.child
        child(db, args.runs, args.real, None if replay == "-" else replay)
        return
    tmp = Path(tempfile.mkdtemp())
    db = f"sqlite:///{tmp / 'bench.db'}"
    server = None
    replay = "-"
    if args.real:
        from crawler.replay.demo import DEMO_SNAPSHOT
        from crawler.replay.server import serve

        server = serve(DEMO_SNAPSHOT)
        replay = server.url
    start = time.monotonic()
    cmd = [sys.executable, __file__, "--runs", str(args.runs), "--child", db, replay]
    out = subprocess.run(
        cmd + (["--real"] if args.real else []), capture_output=True, text=True
    ).stdout
    seconds = time.monotonic() - start
    if server:
        server.close()
    rss = [(int(n), int(kb)) for n, kb in re.findall(r"^rss (\d+) (\d+)$", out, re.M)]
    delays = [float(d) for d in re.findall(r"([\d.]+)s after due", out)]
    print(f"{len(rss) * 10} runs in {seconds:.0f}s ({'scrapy' if args.real else 'stub'} crawls)")
    for n, kb in rss[:: max(1, len(rss) // 10)] + rss[-1:]:
        print(f"  after {n:4d} runs: RSS {kb / 1024:.1f} MiB")
    if rss:
        first_half = statistics.mean(kb for _, kb in rss[len(rss) // 4 : len(rss) // 2])
        last = statistics.mean(kb for _, kb in rss[-len(rss) // 4 :])
        print(f"  growth from the 2nd to the last quarter: {(last - first_half) / 1024:+.2f} MiB")
    if delays:
        delays.sort()
        print(f"scheduling delay (start - due) over {len(delays)} runs: median "
              f"{statistics.median(delays) * 1000:.1f} ms, p95 "
              f"{delays[int(len(delays) * 0.95) - 1] * 1000:.1f} ms, max {delays[-1] * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
