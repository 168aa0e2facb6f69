"""Several crawls against one replay server: every request answered, none left to time out.

Issue 11 point 7: the server used socketserver's listen backlog of 5, so the burst of
connections a crawl opens overflowed it and the dropped ones hung until Scrapy's download
timeout (crawls of 3 s, then 8 s, then 32 s).
"""

from __future__ import annotations

import re
from pathlib import Path

from crawler.replay.server import serve
from crawler.replay.synthetic import build_synthetic
from scheduler.runner import CrawlOptions, run_crawl

BURST = {"CONCURRENT_REQUESTS": "32", "CONCURRENT_REQUESTS_PER_DOMAIN": "16"}
STAT = re.compile(r"'(downloader/[a-z_/]+)': (\d+)")


def test_repeated_crawls_are_all_answered(tmp_path: Path) -> None:
    build_synthetic(tmp_path / "snapshot", 80)
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    with serve(tmp_path / "snapshot") as server:
        for run in range(3):
            server.requests.clear()
            log = tmp_path / f"run{run}.log"
            options = CrawlOptions(
                replay=server.url, db=db, full=run == 0, revisit_all=run > 0, settings=BURST
            )
            assert run_crawl("osce", options, log, timeout=120).ok, log.read_text()[-2000:]
            stats = dict(STAT.findall(log.read_text()))
            assert not [k for k in stats if k.startswith("downloader/exception")], stats
            assert int(stats["downloader/response_count"]) == len(server.requests) > 15
