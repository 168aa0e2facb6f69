"""One crawl of one source: `scrapy crawl <source>` in a process of its own, with a timeout.

Used by `presswatch crawl`, `presswatch demo` and the daemon alike. The crawl reports its
progress as ``@progress {json}`` lines on stdout (PRESSWATCH_PROGRESS=1); its log goes to a
file, so a failed crawl can be diagnosed afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PROGRESS_PREFIX = "@progress "  # the same as crawler.pipelines.PROGRESS_PREFIX (tested)


@dataclass
class CrawlOptions:
    """What a crawl is asked to do; every field maps to a spider argument or a setting."""

    replay: str | None = None  # replay server URL: offline crawl, no politeness delays
    db: str | None = None
    max_pages: int | None = None
    full: bool = False
    since: str | None = None
    revisit_all: bool = False
    jobdir: Path | None = None  # where a --full backfill keeps its state to resume
    settings: dict[str, str] = field(default_factory=dict)

    def command(self, source: str) -> list[str]:
        cmd = [sys.executable, "-m", "scrapy", "crawl", source, "-s", "PRESSWATCH_PROGRESS=1"]
        if self.replay:
            cmd += ["-s", f"PRESSWATCH_REPLAY={self.replay}", "-s", "DOWNLOAD_DELAY=0",
                    "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.2"]  # fmt: skip
        if self.db:
            cmd += ["-s", f"PRESSWATCH_DATABASE_URL={self.db}"]
        for key, value in self.settings.items():
            cmd += ["-s", f"{key}={value}"]
        if self.revisit_all:
            cmd += ["-s", "PRESSWATCH_REVISIT_ALL=1"]
        if self.full:
            cmd += ["-a", "full=1"]
            if self.jobdir:
                cmd += ["-s", f"JOBDIR={self.jobdir / source}"]
        elif self.max_pages is not None:
            cmd += ["-a", f"max_pages={self.max_pages}"]
        if self.since:
            cmd += ["-a", f"since={self.since}"]
        return cmd


@dataclass
class CrawlResult:
    source: str
    returncode: int | None  # None: killed after the timeout
    seconds: float
    counts: dict[str, int]
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_crawl(
    source: str,
    options: CrawlOptions,
    log_path: Path,
    timeout: float | None = None,
    on_progress: Callable[[dict[str, int]], None] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> CrawlResult:
    """Run one crawl to its end, or kill it (and its children) after ``timeout`` seconds.

    ``on_start`` gets the process, so a caller can stop it early (``stop_crawl``).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    progress: dict[str, int] = {}

    def read_progress(stream: IO[bytes]) -> None:
        for raw in stream:  # ends when the crawl closes its stdout
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(PROGRESS_PREFIX):
                progress.update(json.loads(line[len(PROGRESS_PREFIX) :]))
                if on_progress:
                    on_progress(dict(progress))

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            options.command(source), stdout=subprocess.PIPE, stderr=log, env=env,
            start_new_session=True,
        )  # fmt: skip
        assert proc.stdout is not None
        if on_start:
            on_start(proc)
        reader = threading.Thread(target=read_progress, args=(proc.stdout,), daemon=True)
        reader.start()
        try:
            returncode: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_crawl(proc)
            returncode = None
        reader.join(timeout=5)
    return CrawlResult(source, returncode, time.monotonic() - start, progress, log_path)


def stop_crawl(proc: subprocess.Popen[bytes]) -> None:
    """Stop a crawl: SIGTERM to its process group, SIGKILL if it does not end in 5 s."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
