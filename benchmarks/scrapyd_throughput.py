"""Pages/s of the same crawls through local subprocesses, one Scrapyd node and two, into PostgreSQL.

    .venv/bin/python benchmarks/scrapyd_throughput.py [--releases 2000] [--rounds 1]
        [--modes local,1,2,daemon-local,daemon-1,daemon-2] [--poll 1.0] [--max-proc 4]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]

A synthetic snapshot (crawler.replay.synthetic) is served by the replay server; each mode
crawls all four sources into a fresh PostgreSQL schema, migrated first as the daemon does,
with politeness off (as crawl_throughput.py), four crawls at a time:
- local: scheduler.runner.run_crawl ``--full``, the four side by side;
- 1 / 2: that many Scrapyd nodes (tests/scrapyd_support.py, the egg `presswatch deploy`
  builds), the four crawls scheduled directly with schedule.json, round robin, followed
  with listjobs.json every 0.1 s;
- daemon-local / daemon-1 / daemon-2: ``Daemon.run_once()`` with the local backend or the
  scrapyd backend over 1 or 2 nodes (4 slots in all, listjobs.json every --poll seconds),
  every source due, ``max_pages`` 1000 (an empty archive: every listing page is walked).
Per mode: the wall time from the first start to the last crawl noticed ended; requests
(each run's ``requests`` count, Scrapy's downloader/request_count); pages/s; releases
archived (must be the snapshot's, none twice); CPU seconds of this process and of every
process the mode started (the crawls, and the nodes with the crawls they reaped); and the
scheduling overhead per job: from the mode's start to each crawl opening its run (start,
median/max of the four: process start included), and from the last run closing to the mode
noticing the end (end: process exit included). Scrapyd's poll_interval adds to the start,
the daemon's listjobs polling to the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from scrapyd_support import Node, deploy, egg_path, scrapyd_nodes  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crawler.replay.server import serve  # noqa: E402
from crawler.replay.synthetic import build_synthetic  # noqa: E402
from crawler.sites import SITE_MODULES  # noqa: E402
from presswatch.config import parse_config  # noqa: E402
from scheduler.daemon import Daemon  # noqa: E402
from scheduler.runner import CrawlOptions, run_crawl  # noqa: E402
from storage.db import open_archive  # noqa: E402
from storage.models import CrawlRun, Release  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FAST = {
    "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "RETRY_BACKOFF_BASE": "0.2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "CONCURRENT_REQUESTS": "32",
}  # fmt: skip
MODES = ("local", "1", "2", "daemon-local", "daemon-1", "daemon-2")


@dataclass
class Result:
    mode: str
    wall: float
    requests: int
    releases: int
    distinct: int
    cpu: float
    start: list[float]
    end: list[float]

    def line(self) -> str:
        return (
            f"{self.mode:12} {self.requests:8d} {self.releases:8d} {self.distinct:8d} "
            f"{self.wall:7.1f} {self.requests / self.wall:8.1f} {self.cpu:7.1f} "
            f"{self.cpu / self.requests * 1000:9.1f} {_spread(self.start):>11} {_spread(self.end):>11}"
        )


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}/{max(values):.2f}" if values else "-"


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new schema, migrated; dropped at the end."""
    schema = f"pw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine, _ = open_archive(rendered)
    engine.dispose()
    try:
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Measured:
    releases: int
    distinct: int
    requests: int
    start: list[float]
    end: list[float]


def measured(url: str, began: datetime, ended: datetime) -> Measured:
    """What the archive shows of a mode's runs: releases, requests, when each run began and ended."""
    engine, sessions = open_archive(url)
    with sessions() as s:
        rows = s.scalar(select(func.count()).select_from(Release)) or 0
        distinct = s.scalar(select(func.count(func.distinct(Release.url)))) or 0
        runs = list(s.scalars(select(CrawlRun).where(CrawlRun.started_at >= began)))
    engine.dispose()
    bad = [f"{r.id}: {r.status} {r.health}" for r in runs if r.status != "ok"]
    if bad or len(runs) != len(SITE_MODULES):
        raise SystemExit(f"{len(runs)} runs, not {len(SITE_MODULES)} ok ones: {bad}")
    return Measured(
        rows, distinct, sum(int(r.counts.get("requests", 0)) for r in runs),
        [(_utc(r.started_at) - began).total_seconds() for r in runs],
        [(ended - max(_utc(r.finished_at) for r in runs if r.finished_at)).total_seconds()],
    )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cpu_seconds() -> float:
    """CPU of this process and of its children that ended (crawls, nodes and their crawls)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_local(db: str, replay: str, work: Path, full: bool = True) -> None:
    options = CrawlOptions(replay=replay, db=db, full=full, settings=FAST)

    def crawl(key: str) -> None:
        result = run_crawl(key, options, work / f"local-{key}.log", timeout=1800)
        if not result.ok:
            raise SystemExit(f"{key} crawl failed; log: {result.log_path}")

    with ThreadPoolExecutor(len(SITE_MODULES)) as pool:
        list(pool.map(crawl, SITE_MODULES))


def run_direct(nodes: list[Node], db: str, replay: str, work: Path, full: bool = True) -> None:
    jobs: dict[str, Node] = {}
    args = {"full": "1"} if full else {}
    for i, key in enumerate(SITE_MODULES):  # round robin: every node has the same slots
        node = nodes[i % len(nodes)]
        jobs[node.schedule(key, spider_args=args, **FAST, PRESSWATCH_REPLAY=replay)] = node
    for node in nodes:
        node.wait_finished({job for job, n in jobs.items() if n is node}, timeout=1800)


def run_daemon(nodes: list[Node], db: str, replay: str, work: Path, poll: float) -> None:
    slots = len(SITE_MODULES) // max(len(nodes), 1)
    scrapyd = {"nodes": [{"url": n.url, "slots": slots} for n in nodes], "poll_interval": poll}
    config = parse_config(
        {
            "database": db,
            "daemon": {
                "replay": replay,
                "log_dir": str(work / f"daemon-{uuid.uuid4().hex[:6]}"),
                "max_parallel": len(SITE_MODULES),
                "backend": "scrapyd" if nodes else "local",
                "scrapyd": scrapyd,
            },
            "notify": {"targets": [{"type": "log"}]},
            "defaults": {"max_pages": 1000, "timeout": "30m", "politeness": FAST},
        },  # fmt: skip
        list(SITE_MODULES),
    )
    code = Daemon(config).run_once()
    if code != 0:
        raise SystemExit(f"the daemon's run_once ended with {code}")


@contextmanager
def mode_nodes(mode: str, db: str, work: Path, poll: float, max_proc: int) -> Iterator[list[Node]]:
    """The Scrapyd nodes a mode runs on (none for local ones), deployed, stopped after."""
    count = int(mode.rsplit("-", 1)[-1]) if mode[-1].isdigit() else 0
    if not count:
        yield []
        return
    folder = work / f"nodes-{uuid.uuid4().hex[:6]}"
    env = {"PRESSWATCH_DATABASE_URL": db}
    with scrapyd_nodes(folder, count, env, poll_interval=poll, max_proc=max_proc) as nodes:
        deploy(nodes, egg_path(work))
        yield nodes


def run_pass(mode: str, db: str, args: argparse.Namespace, replay: str, work: Path,
             full: bool = True) -> Result:  # fmt: skip
    """One pass of the four crawls in ``mode``; CPU less the nodes' own start and deploy."""
    cpu = cpu_seconds()
    with mode_nodes(mode, db, work, args.poll, args.max_proc) as nodes:
        began = datetime.now(UTC)
        start = time.perf_counter()
        if mode == "local":
            run_local(db, replay, work, full)
        elif mode.startswith("daemon"):
            run_daemon(nodes, db, replay, work, args.poll)
        else:
            run_direct(nodes, db, replay, work, full)
        wall = time.perf_counter() - start
        ended = datetime.now(UTC)
    cpu = cpu_seconds() - cpu - args.node_cpu.get(len(nodes), 0.0)
    m = measured(db, began, ended)
    name = mode if full else f"{mode} again"
    return Result(name, wall, m.requests, m.releases, m.distinct, cpu, m.start, m.end)


def node_cpu(count: int, args: argparse.Namespace, work: Path) -> float:
    """CPU of starting ``count`` nodes, deploying to them and stopping them, without crawls."""
    cpu = cpu_seconds()
    with mode_nodes(str(count), args.db, work, args.poll, args.max_proc):
        pass
    return cpu_seconds() - cpu


def run_mode(mode: str, args: argparse.Namespace, replay: str, work: Path) -> list[Result]:
    """The full crawl in ``mode``, then (--again, not for the daemon) an unchanged recrawl."""
    with fresh_schema(args.db) as db:
        results = [run_pass(mode, db, args, replay, work)]
        if args.again and not mode.startswith("daemon"):
            results.append(run_pass(mode, db, args, replay, work, full=False))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--modes", default="local,1,2,daemon-local,daemon-1,daemon-2")
    parser.add_argument("--rounds", type=int, default=1, help="every mode this many times")
    parser.add_argument("--db", default=os.environ.get("PRESSWATCH_TEST_POSTGRES_URL", PG))
    parser.add_argument("--poll", type=float, default=1.0,
                        help="Scrapyd's poll_interval and the daemon's listjobs polling (s)")  # fmt: skip
    parser.add_argument("--max-proc", type=int, default=4, help="Scrapyd max_proc per node")
    parser.add_argument("--again", action="store_true",
                        help="after each full crawl, an unchanged incremental recrawl")  # fmt: skip
    args = parser.parse_args()
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown mode {sorted(unknown)[0]!r} ({', '.join(MODES)})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="presswatch-scrapyd-bench-") as tmp:
        work = Path(tmp)
        build_synthetic(work / "snapshot", args.releases)
        counts = {int(m[-1]) for m in modes if m[-1].isdigit()}
        args.node_cpu = {n: node_cpu(n, args, work) for n in sorted(counts)}
        print(f"CPU s of starting, deploying to and stopping the nodes: {args.node_cpu}")
        with serve(work / "snapshot") as replay:
            for round_ in range(1, args.rounds + 1):
                for mode in modes:
                    for result in run_mode(mode, args, replay.url, work):
                        results.append(result)
                        print(f"round {round_} {result.line()}", flush=True)
    print(f"\n{args.releases} synthetic releases, 4 crawls at a time, PostgreSQL, {FAST}")
    print(
        f"poll {args.poll}s, Scrapyd max_proc {args.max_proc} per node; load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'mode':12} {'requests':>8} {'releases':>8} {'distinct':>8} {'wall s':>7} "
          f"{'pages/s':>8} {'CPU s':>7} {'CPU ms/pg':>9} {'start s':>11} {'end s':>11}")  # fmt: skip
    for result in results:
        print(result.line())
    wrong = [r.mode for r in results if not r.releases == r.distinct == args.releases]
    print("CPU s: of this process and of the crawls (and nodes, less the start/deploy above)")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest resident set of a process started (a crawl or a node): {rss:.0f} MiB")
    if wrong:
        raise SystemExit(f"not every release archived exactly once: {', '.join(wrong)}")


if __name__ == "__main__":
    main()
