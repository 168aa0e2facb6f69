"""What an unchanged recrawl of a configured source costs, next to a naive one.

    python benchmarks/configured_recrawl.py [--posts 50]

Builds the Northsea newsroom (tests/configured_site.py, a WordPress site in its theme) with
``--posts`` posts, archives it with a first crawl of each configured source kind (feed,
sitemap, listing) from the replay server, then recrawls it unchanged three ways: the normal
run (feed <updated> / sitemap <lastmod> skip known posts; the listing stops at a known page
and revisits what the revisit policy says is due, with conditional requests), every known
post revisited with If-None-Match (`revisit_all`), and naive (`revisit_all`, no validators).
Prints requests, 304s and bytes (response bodies) per run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from configured_site import BASE_URL, POSTS, write_northsea  # noqa: E402

from crawler.replay.server import ReplayServer, serve  # noqa: E402
from presswatch.config import parse_config  # noqa: E402
from scheduler.runner import CrawlOptions, run_crawl  # noqa: E402

FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "LOG_LEVEL": "WARNING"}
SOURCES = {
    "feed": {"url": BASE_URL, "feed": "/feed/atom/"},
    "sitemap": {"url": BASE_URL, "sitemap": "/wp-sitemap.xml",
                "release_pattern": r"/20\d\d/\d\d/\d\d/"},
    "listing": {"url": BASE_URL, "listing": "/category/press-releases/",
                "links": "h2.entry-title a", "next": "a.next.page-numbers"},
}  # fmt: skip
RUNS = {
    "first crawl": {"max_pages": 0},
    "unchanged recrawl": {},
    "revisit_all, conditional": {"revisit_all": True},
    "naive (revisit_all)": {
        "revisit_all": True,
        "settings": {"PRESSWATCH_CONDITIONAL_REQUESTS": "0"},
    },
}


def crawl(server: ReplayServer, key: str, db: str, logs: Path, **options) -> dict[str, float]:
    server.requests.clear()
    source = parse_config({"sources": {key: SOURCES[key]}}, ["osce"]).sources[key]
    settings = {**source.crawl_settings(), **FAST, **options.pop("settings", {})}
    start = time.perf_counter()
    log = logs / f"{key}-{time.monotonic_ns()}.log"
    result = run_crawl(
        key, CrawlOptions(replay=server.url, db=db, settings=settings, **options), log
    )
    assert result.ok and result.progress.status == "ok", f"{key}: see {log}"
    hits = server.requests.log
    return {
        "requests": len(hits),
        "304s": server.requests[304],
        "bytes": sum(hit.bytes for hit in hits),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_northsea(root / "snapshot", extra=args.posts - len(POSTS))
        with serve(root / "snapshot") as server:
            for key in SOURCES:
                db = f"sqlite:///{root / f'{key}.db'}"
                runs = {name: crawl(server, key, db, root, **dict(o)) for name, o in RUNS.items()}
                for name, r in runs.items():
                    print(f"{key:8} {name:26} {r['requests']:4} requests ({r['304s']:3} 304s) "
                          f"{r['bytes']:9,} bytes {r['seconds']:5.1f} s")  # fmt: skip
                share = runs["unchanged recrawl"]["bytes"] / runs["naive (revisit_all)"]["bytes"]
                print(f"{key:8} unchanged recrawl: {share:.2%} of the naive recrawl's bytes")


if __name__ == "__main__":
    main()
