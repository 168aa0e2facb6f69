"""One crawl of one source: `scrapy crawl <source>` in a process of its own, with a timeout.

Used by `presswatch crawl`, `presswatch demo` and the daemon alike. The crawl reports its
run id and counts as ``@progress {json}`` lines on stdout (PRESSWATCH_PROGRESS=1, written by
crawler.pipelines; the last line adds the run's status); its log goes to a file, so a failed
crawl can be diagnosed afterwards. This module imports no crawler code (no Scrapy in the
daemon). The crawl gets the database URL in its environment, never on its command line
(``ps`` shows command lines), and dies with the process that started it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
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

from scheduler.options import spider_for

PROGRESS_PREFIX = "@progress "  # the same as crawler.pipelines.PROGRESS_PREFIX (tested)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a crawl is stopped
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the child
except (OSError, AttributeError):  # not Linux: the process group kill remains
    _prctl = None


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn: the crawl gets SIGKILL when its parent dies, even by kill -9.

    SIGKILL, not SIGTERM: a crawl cut short must not close its run as if it had finished;
    it stays ``running`` with a dead pid, and the daemon marks it aborted on its next start.
    Linux sends it when the *thread* that started the crawl ends: run_crawl waits for the
    crawl in that thread.
    """

    def preexec() -> None:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: die now
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


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

    def spider(self, source: str) -> str:
        """The spider that crawls ``source``: a configured source (its definition in the
        settings as PRESSWATCH_SITE) is crawled by the generic spider ``site``."""
        return spider_for(source, self.settings)[0]

    def scrapy_settings(self, source: str) -> dict[str, str]:
        """The Scrapy settings of the crawl (``-s``, or Scrapyd's ``setting=``)."""
        settings = {}
        if self.replay:
            settings.update(PRESSWATCH_REPLAY=self.replay, DOWNLOAD_DELAY="0",
                            AUTOTHROTTLE_ENABLED="0", RETRY_BACKOFF_BASE="0.2")  # fmt: skip
        settings.update(self.settings)
        if self.revisit_all:
            settings["PRESSWATCH_REVISIT_ALL"] = "1"
        if self.full and self.jobdir:
            settings["JOBDIR"] = str(self.jobdir / source)
        return settings

    def spider_args(self, source: str) -> dict[str, str]:
        """The spider's arguments (``-a``, or Scrapyd's extra parameters); ``source=KEY``
        for the generic spider."""
        args = dict(spider_for(source, self.settings)[1])
        if self.full:
            args["full"] = "1"
        elif self.max_pages is not None:
            args["max_pages"] = str(self.max_pages)
        if self.since:
            args["since"] = self.since
        return args

    def command(self, source: str) -> list[str]:
        cmd = [sys.executable, "-m", "scrapy", "crawl", self.spider(source)]
        for key, value in self.spider_args(source).items():
            cmd += ["-a", f"{key}={value}"]
        settings = {"PRESSWATCH_PROGRESS": "1", **self.scrapy_settings(source)}
        for key, value in settings.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        if self.db:  # read by storage.db.database_url() in the crawl
            env["PRESSWATCH_DATABASE_URL"] = self.db
        return env


@dataclass
class Progress:
    """What the crawl reported: its run, its counts, and at its end the run's outcome."""

    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    status: str | None = None  # set by the last line only: the crawl closed its run
    reason: str | None = None

    def read(self, line: str) -> bool:
        """Take one line of the crawl's stdout; True when it was a progress line."""
        if not line.startswith(PROGRESS_PREFIX):
            return False
        try:
            data = json.loads(line[len(PROGRESS_PREFIX) :])
        except ValueError:  # a line cut short by a kill
            return False
        self.run_id = data.get("run", self.run_id)
        self.counts = dict(data.get("counts", {}))
        self.status, self.reason = data.get("status"), data.get("reason")
        return True


@dataclass
class CrawlResult:
    """How one crawl ended, whichever backend ran it (this module, scheduler.scrapyd)."""

    source: str
    pid: int | None  # the crawl's process: its run records it
    returncode: int | None  # None: killed after the timeout
    seconds: float
    progress: Progress
    log_path: Path
    failure: str | None = None  # why it did not end well, when the backend knows better
    job: str | None = None  # Scrapyd: the job and the node it ran as
    node: str | None = None
    lost: bool = False  # Scrapyd: the job ended without closing its run (worth a retry)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def counts(self) -> dict[str, int]:
        return self.progress.counts

    @property
    def run_id(self) -> int | None:
        return self.progress.run_id


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
    progress = Progress()

    def read_progress(stream: IO[bytes]) -> None:
        for raw in stream:  # ends when the crawl closes its stdout
            if progress.read(raw.decode("utf-8", "replace").strip()) and on_progress:
                on_progress(dict(progress.counts))

    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            options.command(source), stdout=subprocess.PIPE, stderr=log, env=options.env(),
            start_new_session=True, preexec_fn=_die_with_parent(os.getpid()),
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
    return CrawlResult(source, proc.pid, returncode, time.monotonic() - start, progress, log_path)


def stop_crawl(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """Stop a crawl: SIGTERM to its process group, SIGKILL if it has not ended after ``grace``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


class LocalBackend:
    """The local crawl backend: each crawl a subprocess of the daemon (run_crawl)."""

    retries = 0  # a crawl that died is not tried again at once

    def run(
        self, source: str, options: CrawlOptions, log_path: Path, timeout: float | None = None,
        on_start: Callable[[Callable[[], None]], None] | None = None,
        avoid: set[str] | None = None,
    ) -> CrawlResult:  # fmt: skip
        """``on_start`` gets a function that stops the crawl; ``avoid`` is for Scrapyd nodes."""
        started = (lambda proc: on_start(lambda: stop_crawl(proc))) if on_start else None
        return run_crawl(source, options, log_path, timeout=timeout, on_start=started)

    def close(self) -> None:
        pass
