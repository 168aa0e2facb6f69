"""The daemon's overhead per job with the scrapyd backend, against the local backend.

Starts two Scrapyd nodes on 127.0.0.1 (tests/scrapyd_support.py, the egg deployed, node
poll_interval 0.2 s unless --node-poll), a fresh PostgreSQL schema and a one-page SCO
snapshot on the replay server, then runs ``Daemon.run_source("sco")`` --jobs times with each
backend and reports per job (median and p95):

- schedule: from the run's start in the daemon to ``schedule.json`` accepted (the
  ``daemonstatus.json`` of each node plus ``schedule.json``);
- wall: the whole run as the daemon sees it, and the crawl's own time (its run's start to
  end in the archive); wall minus crawl is the backend's overhead (Scrapyd's queue poll,
  process start, the daemon's polling, the log copy, the run lookup);
- poll: one ``status.json`` call as the daemon makes it for each running job every
  ``poll_interval``, next to one ``listjobs.json`` with the node's finished jobs listed (made
  once per job, at its end), and the daemon's CPU time per call.

    .venv/bin/python benchmarks/scrapyd_overhead.py [--jobs 20] [--node-poll 0.2]
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from daemon_support import sco_release, write_sco  # noqa: E402
from scrapyd_support import deploy, egg_path, scrapyd_nodes  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crawler.replay.server import serve  # noqa: E402
from presswatch.config import parse_config  # noqa: E402
from scheduler.daemon import Daemon  # noqa: E402
from scheduler.options import NodeConfig  # noqa: E402
from scheduler.scrapyd import Node  # noqa: E402
from storage.db import open_archive  # noqa: E402
from storage.models import CrawlRun  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEDULED = re.compile(r"scheduled on \S+ in ([0-9.]+)s")


class Scheduled(logging.Handler):
    """Collects the seconds of each "job … scheduled on … in Xs" line of the backend."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if match := SCHEDULED.search(record.getMessage()):
            self.seconds.append(float(match[1]))


def stats(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def poll(call: Any, n: int) -> tuple[list[float], float]:
    """Seconds of each of ``n`` calls, and the CPU time of one."""
    seconds, cpu = [], time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds, (time.process_time() - cpu) / n


def config(db: str, replay: str, logs: Path, backend: str, urls: list[str]) -> Any:
    return parse_config(
        {
            "database": db,
            "daemon": {
                "replay": replay,
                "log_dir": str(logs),
                "backend": backend,
                "scrapyd": {"nodes": urls, "poll_interval": "100ms"},
            },
            "notify": {"targets": [{"type": "log"}]},
            "defaults": {"enabled": False},
            "sources": {"sco": {"enabled": True, "jitter": 0, "max_pages": 1}},
        },  # fmt: skip
        ["sco"],
    )


def run_jobs(daemon: Daemon, db: str, jobs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of each run, and the crawl's own seconds (its run in the archive)."""
    daemon.open()
    walls = []
    try:
        for _ in range(jobs):
            start = time.perf_counter()
            report = daemon.run_source("sco")
            walls.append(time.perf_counter() - start)
            assert report is not None and report.status == "ok", report
    finally:
        daemon.close()
    engine, sessions = open_archive(db)
    with sessions() as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(jobs)))
    engine.dispose()
    return walls, [(r.finished_at - r.started_at).total_seconds() for r in reversed(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--node-poll", type=float, default=0.2, help="scrapyd.conf poll_interval")
    parser.add_argument("--polls", type=int, default=200)
    args = parser.parse_args()
    schema = f"pw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = make_url(PG).update_query_dict({"options": f"-csearch_path={schema}"})
    db_url = db.render_as_string(hide_password=False)
    open_archive(db_url)[0].dispose()
    handler = Scheduled()
    logging.getLogger("presswatch.scrapyd").addHandler(handler)
    logging.getLogger("presswatch.scrapyd").setLevel(logging.INFO)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_sco(folder / "snapshot", [sco_release(1)])
            env = {"PRESSWATCH_DATABASE_URL": db_url}
            with (
                serve(folder / "snapshot") as server,
                scrapyd_nodes(folder, 2, env, poll_interval=args.node_poll) as nodes,
            ):
                deploy(nodes, egg_path(folder))
                urls = [n.url for n in nodes]
                results = {}
                for backend in ("local", "scrapyd"):
                    daemon = Daemon(config(db_url, server.url, folder / "logs", backend, urls))
                    results[backend] = run_jobs(daemon, db_url, args.jobs)
                node = Node(NodeConfig(urls[0]), 10.0)
                finished = len(nodes[0].jobs()["finished"])
                polls = {
                    name: poll(call, args.polls)
                    for name, call in (
                        ("status.json", lambda: node.job_state("presswatch", "no-such-job")),
                        ("listjobs.json", lambda: node.job_entry("presswatch", "no-such-job")),
                    )
                }
                node.client.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(f"{args.jobs} jobs per backend, 2 nodes, node poll_interval {args.node_poll}s")
    print(f"schedule (scrapyd)     {stats(handler.seconds)}")
    for backend, (walls, crawls) in results.items():
        over = [w - c for w, c in zip(walls, crawls, strict=True)]
        print(f"wall ({backend:7})        {stats(walls)}")
        print(f"crawl ({backend:7})       {stats(crawls)}")
        print(f"wall - crawl ({backend:7}) median {statistics.median(over) * 1000:7.1f} ms")
    for name, (seconds, cpu) in polls.items():
        print(f"poll {name:14} {stats(seconds)}  daemon CPU {cpu * 1000:.2f} ms/call"
              f"  ({finished} finished jobs on the node)")  # fmt: skip


if __name__ == "__main__":
    main()
