"""Parse speed per page, crawl throughput from the replay server, and `scrapy bench` beside it.

    .venv/bin/python benchmarks/crawl_throughput.py                 # all three
    .venv/bin/python benchmarks/crawl_throughput.py parse           # parse speed only
    .venv/bin/python benchmarks/crawl_throughput.py crawl --releases 2000 --parallel
    .venv/bin/python benchmarks/crawl_throughput.py bench

parse: each site module's release parser and the fallback (crawler.extract.extract_fallback)
over the release fixture pages of tests/fixtures/<site>/, median ms per page.
crawl: a synthetic snapshot (crawler.replay.synthetic) served by the replay server, crawled
by `scrapy crawl <site> --full` subprocesses (scheduler.runner, as `presswatch crawl` does)
into a temporary SQLite archive with politeness off; pages/s over the wall time of each
crawl (process start included) and over Scrapy's own elapsed time.
bench: `scrapy bench` (Scrapy's own local server and link-following spider, 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract import extract_fallback  # noqa: E402
from crawler.replay.server import serve  # noqa: E402
from crawler.replay.synthetic import build_synthetic  # noqa: E402
from crawler.sites import SITE_MODULES, get_site  # noqa: E402
from scheduler.runner import CrawlOptions, CrawlResult, run_crawl  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
FAST = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "CONCURRENT_REQUESTS": "32",
}
ELAPSED = re.compile(r"'elapsed_time_seconds': ([\d.]+)")
REQUESTS = re.compile(r"'downloader/request_count': (\d+)")
BENCH_RATE = re.compile(r"Crawled \d+ pages \(at (\d+) pages/min\)")


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def release_fixtures(key: str) -> list[tuple[str, str, date | None]]:
    """(url, html, crawled day) of every release fixture page of a site."""
    pages = []
    for spec_path in sorted((FIXTURES / key).glob("*.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        if spec.get("page", "release") != "release":
            continue
        raw = spec_path.with_suffix(".html").read_bytes()
        html = raw.decode(spec.get("encoding", "utf-8"), errors="replace")
        crawled = date.fromisoformat(spec["crawled"][:10]) if spec.get("crawled") else None
        pages.append((spec["url"], html, crawled))
    return pages


def bench_parse(repeat: int) -> None:
    print(f"parse speed, median of {repeat} runs per page (ms per page)")
    print(f"{'site':8} {'pages':>5} {'KB/page':>8} {'site parser':>12} {'fallback':>10}")
    for key in SITE_MODULES:
        pages = release_fixtures(key)
        site = get_site(key)
        site_ms, fallback_ms = [], []
        for url, html, day in pages:
            parser = site.parser_for(day)
            site_ms.append(_median_ms(partial(parser.parse_release, url, html), repeat))
            fallback_ms.append(_median_ms(partial(extract_fallback, url, html), repeat))
        size = statistics.mean(len(html.encode()) for _, html, _ in pages) / 1024
        print(
            f"{key:8} {len(pages):5d} {size:8.1f} {statistics.mean(site_ms):12.2f} "
            f"{statistics.mean(fallback_ms):10.2f}"
        )


def _stats(result: CrawlResult) -> tuple[int, float]:
    """Requests and elapsed seconds from the Scrapy stats dumped at the end of the log."""
    log = result.log_path.read_text(encoding="utf-8", errors="replace")
    requests, elapsed = REQUESTS.findall(log), ELAPSED.findall(log)
    return int(requests[-1]) if requests else 0, float(elapsed[-1]) if elapsed else float("nan")


def bench_crawl(releases: int, parallel: bool, workdir: Path) -> None:
    snapshot = workdir / "snapshot"
    start = time.perf_counter()
    build_synthetic(snapshot, releases)
    print(
        f"\nsynthetic snapshot of {releases} releases built in {time.perf_counter() - start:.1f}s"
    )
    db = f"sqlite:///{workdir / 'archive.db'}"
    with serve(snapshot) as server:
        options = CrawlOptions(replay=server.url, db=db, full=True, settings=FAST)

        def crawl(key: str) -> CrawlResult:
            result = run_crawl(key, options, workdir / f"{key}.log", timeout=1800)
            if not result.ok:
                raise SystemExit(f"{key} crawl failed; log: {result.log_path}")
            return result

        start = time.perf_counter()
        if parallel:
            with ThreadPoolExecutor(len(SITE_MODULES)) as pool:
                results = list(pool.map(crawl, SITE_MODULES))
        else:
            results = [crawl(key) for key in SITE_MODULES]
        wall = time.perf_counter() - start
    mode = "4 crawls side by side" if parallel else "one crawl after another"
    print(f"crawl throughput ({mode}; {json.dumps(FAST)})")
    print(f"{'site':8} {'requests':>8} {'new':>5} {'errors':>6} {'wall s':>7} {'pages/s':>8} "
          f"{'scrapy s':>8} {'pages/s':>8}")  # fmt: skip
    total = 0
    for r in results:
        n, scrapy_s = _stats(r)
        total += n
        print(
            f"{r.source:8} {n:8d} {r.counts.get('new', 0):5d} {r.counts.get('errors', 0):6d} "
            f"{r.seconds:7.1f} {n / r.seconds:8.1f} {scrapy_s:8.1f} {n / scrapy_s:8.1f}"
        )
    print(f"{'all':8} {total:8d} {'':5} {'':6} {wall:7.1f} {total / wall:8.1f}")


def bench_scrapy(workdir: Path) -> None:
    """`scrapy bench` outside the project (Scrapy's default settings), as Scrapy documents it."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench"], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    rates = [int(r) for r in BENCH_RATE.findall(proc.stderr)]
    steady = [r for r in rates if r] or [0]
    print(f"\nscrapy bench: {' '.join(map(str, rates))} pages/min")
    print(
        f"scrapy bench: mean {statistics.mean(steady):.0f} pages/min "
        f"= {statistics.mean(steady) / 60:.1f} pages/s (max {max(steady) / 60:.1f} pages/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", help="parse, crawl and/or bench (default: all)")
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--parallel", action="store_true", help="crawl the 4 sites side by side")
    parser.add_argument("--repeat", type=int, default=20, help="runs per page for parse speed")
    args = parser.parse_args()
    what = set(args.what) or {"parse", "crawl", "bench"}
    if unknown := what - {"parse", "crawl", "bench"}:
        parser.error(f"unknown benchmark {sorted(unknown)[0]!r} (parse, crawl, bench)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="presswatch-bench-") as tmp:
        if "parse" in what:
            bench_parse(args.repeat)
        if "crawl" in what:
            bench_crawl(args.releases, args.parallel, Path(tmp))
        if "bench" in what:
            bench_scrapy(Path(tmp))


if __name__ == "__main__":
    main()
