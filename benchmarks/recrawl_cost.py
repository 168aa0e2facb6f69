"""What an unchanged recrawl costs, against a naive one that re-fetches every release page.

    python benchmarks/recrawl_cost.py [--n 5000]

Builds a synthetic snapshot of N releases over the four sites, archives it with a full
crawl from the replay server (delays off), then crawls again with nothing changed, twice:
the normal incremental run (listing stop, revisit budget, conditional requests) and a
naive run (whole listing, every release page, no validators). Prints requests, bytes and
wall time per run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from crawler.replay.server import serve
from crawler.replay.synthetic import build_synthetic
from crawler.sites import SITE_MODULES
from scheduler.runner import CrawlOptions, run_crawl

FAST = {"CONCURRENT_REQUESTS": "32", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "LOG_LEVEL": "WARNING"}


def crawl_all(server, db: str, logs: Path, name: str, **options) -> dict[str, float]:
    server.requests.clear()
    settings = {**FAST, **options.pop("settings", {})}
    start = time.perf_counter()
    for key in SITE_MODULES:
        result = run_crawl(
            key,
            CrawlOptions(replay=server.url, db=db, settings=settings, **options),
            logs / f"{name}-{key}.log",
        )
        assert result.ok, f"{name} {key} failed: see {result.log_path}"
    log = server.requests.log
    return {
        "requests": len(log),
        "304s": server.requests[304],
        "bytes": sum(hit.bytes for hit in log),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_synthetic(root / "snapshot", args.n)
        db = f"sqlite:///{root / 'archive.db'}"
        with serve(root / "snapshot") as server:
            runs = {
                "first archive (full)": crawl_all(server, db, root, "first", full=True),
                "unchanged recrawl": crawl_all(server, db, root, "recrawl"),
                "naive recrawl": crawl_all(
                    server,
                    db,
                    root,
                    "naive",
                    full=True,
                    revisit_all=True,
                    settings={"PRESSWATCH_CONDITIONAL_REQUESTS": "0"},
                ),  # fmt: skip
            }
    for name, r in runs.items():
        print(
            f"{name:22} {r['requests']:6} requests ({r['304s']} 304s) {r['bytes'] / 1e6:9.2f} MB {r['seconds']:7.1f} s"
        )
    ratio = runs["unchanged recrawl"]["bytes"] / runs["naive recrawl"]["bytes"]
    print(f"unchanged recrawl bytes: {ratio:.2%} of the naive recrawl's (n={args.n})")


if __name__ == "__main__":
    main()
