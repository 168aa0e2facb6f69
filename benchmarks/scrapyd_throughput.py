"""Pages/s of the same crawls through local subprocesses, one Scrapyd node and two, into PostgreSQL.

    .venv/bin/python benchmarks/scrapyd_throughput.py [--releases 2000] [--modes local,1,2]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--poll 1.0] [--max-proc 4]

A synthetic snapshot (crawler.replay.synthetic) is served by the replay server; each mode
crawls all four sources in full (``-a full=1``, politeness off as in crawl_throughput.py)
into a fresh PostgreSQL schema, migrated first as the daemon does:
- local: scheduler.runner.run_crawl, the four crawls side by side (what the local backend runs);
- 1 / 2: Scrapyd nodes (tests/scrapyd_support.py, the egg `presswatch deploy` builds), the
  four crawls scheduled with schedule.json, spread over the nodes, followed with listjobs.json.
Reported per mode: wall time from the first start/schedule to the last crawl's end, requests
(Scrapy's downloader/request_count summed over the crawl logs), pages/s, releases archived
(must equal the snapshot's, none twice), CPU seconds of every process the mode started
(RUSAGE_CHILDREN: the crawls, and the nodes with the crawls they reaped), and for Scrapyd the
delay from schedule.json to the crawl process starting (Scrapyd's poll_interval dominates).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from scrapyd_support import Node, deploy, egg_path, scrapyd_nodes  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from crawler.replay.server import serve  # noqa: E402
from crawler.replay.synthetic import build_synthetic  # noqa: E402
from crawler.sites import SITE_MODULES  # noqa: E402
from scheduler.runner import CrawlOptions, run_crawl  # noqa: E402
from storage.db import open_archive  # noqa: E402
from storage.models import Release  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FAST = {
    "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "RETRY_BACKOFF_BASE": "0.2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "CONCURRENT_REQUESTS": "32",
}  # fmt: skip
REQUESTS = re.compile(r"'downloader/request_count': (\d+)")


@dataclass
class Result:
    mode: str
    wall: float
    requests: int
    releases: int
    distinct: int
    cpu: float
    start_delays: list[float]

    def line(self) -> str:
        delay = (
            f"{statistics.median(self.start_delays):.2f}/{max(self.start_delays):.2f}"
            if self.start_delays else "-"
        )  # fmt: skip
        return (
            f"{self.mode:8} {self.requests:8d} {self.releases:8d} {self.distinct:8d} "
            f"{self.wall:7.1f} {self.requests / self.wall:8.1f} {self.cpu:7.1f} "
            f"{self.cpu / self.requests * 1000:9.1f} {delay:>11}"
        )


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


def archived(url: str) -> tuple[int, int]:
    engine, sessions = open_archive(url)
    with sessions() as s:
        rows = s.scalar(select(func.count()).select_from(Release)) or 0
        distinct = s.scalar(select(func.count(func.distinct(Release.url)))) or 0
    engine.dispose()
    return rows, distinct


def requests_in(logs: list[Path]) -> int:
    total = 0
    for log in logs:
        found = REQUESTS.findall(log.read_text(errors="replace"))
        if not found:
            raise SystemExit(f"no Scrapy stats in {log}: the crawl did not finish")
        total += int(found[-1])
    return total


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_local(db: str, replay: str, work: Path) -> tuple[float, list[Path], list[float]]:
    options = CrawlOptions(replay=replay, db=db, full=True, settings=FAST)

    def crawl(key: str) -> Path:
        result = run_crawl(key, options, work / f"local-{key}.log", timeout=1800)
        if not result.ok:
            raise SystemExit(f"{key} crawl failed; log: {result.log_path}")
        return result.log_path

    start = time.perf_counter()
    with ThreadPoolExecutor(len(SITE_MODULES)) as pool:
        logs = list(pool.map(crawl, SITE_MODULES))
    return time.perf_counter() - start, logs, []


def scrapyd_runner(count: int, poll: float, max_proc: int) -> Callable[..., tuple]:
    def run(db: str, replay: str, work: Path) -> tuple[float, list[Path], list[float]]:
        folder = work / f"nodes-{count}"
        env = {"PRESSWATCH_DATABASE_URL": db}
        with scrapyd_nodes(folder, count, env, poll_interval=poll, max_proc=max_proc) as nodes:
            deploy(nodes, egg_path(work))
            start = time.perf_counter()
            jobs: dict[str, tuple[Node, str, float]] = {}
            for i, key in enumerate(SITE_MODULES):  # round robin, as free slots are equal
                node = nodes[i % count]
                scheduled = time.time()
                jobs[node.schedule(key, {**FAST, "PRESSWATCH_REPLAY": replay}, full="1")] = (
                    node, key, scheduled,
                )  # fmt: skip
            delays = []
            for node in nodes:
                mine = {job for job, (n, _, _) in jobs.items() if n is node}
                for entry in node.wait_finished(mine, timeout=1800):
                    started = datetime.fromisoformat(entry["start_time"]).timestamp()
                    delays.append(started - jobs[entry["id"]][2])
            wall = time.perf_counter() - start
            logs = [n.folder / "logs" / "presswatch" / key / f"{job}.log"
                    for job, (n, key, _) in jobs.items()]  # fmt: skip
        return wall, logs, delays

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--modes", default="local,1,2", help="local and/or node counts")
    parser.add_argument("--db", default=os.environ.get("PRESSWATCH_TEST_POSTGRES_URL", PG))
    parser.add_argument("--poll", type=float, default=1.0, help="Scrapyd poll_interval (s)")
    parser.add_argument("--max-proc", type=int, default=4, help="Scrapyd max_proc per node")
    args = parser.parse_args()
    modes = args.modes.split(",")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="presswatch-scrapyd-bench-") as tmp:
        work = Path(tmp)
        build_synthetic(work / "snapshot", args.releases)
        results = []
        with serve(work / "snapshot") as replay:
            for mode in modes:
                runner = run_local if mode == "local" else scrapyd_runner(
                    int(mode), args.poll, args.max_proc
                )  # fmt: skip
                name = "local" if mode == "local" else f"{mode} node" + ("s" if mode != "1" else "")
                with fresh_schema(args.db) as db:
                    cpu = cpu_of_children()
                    wall, logs, delays = runner(db, replay.url, work)
                    cpu = cpu_of_children() - cpu
                    rows, distinct = archived(db)
                results.append(Result(name, wall, requests_in(logs), rows, distinct, cpu, delays))
                print(f"{name}: done in {wall:.1f}s", flush=True)
    print(f"\n{args.releases} synthetic releases, 4 full crawls, PostgreSQL, {FAST}")
    print(f"Scrapyd poll_interval {args.poll}s, max_proc {args.max_proc} per node")
    print(f"{'mode':8} {'requests':>8} {'releases':>8} {'distinct':>8} {'wall s':>7} "
          f"{'pages/s':>8} {'CPU s':>7} {'CPU ms/pg':>9} {'start delay':>11}")  # fmt: skip
    for result in results:
        print(result.line())
    wrong = [r.mode for r in results if not r.releases == r.distinct == args.releases]
    if wrong:
        raise SystemExit(f"not every release archived exactly once: {', '.join(wrong)}")


if __name__ == "__main__":
    main()
