"""One backfill per JOBDIR: a Scrapy extension that locks the job directory for its crawl.

`presswatch crawl SOURCE --full` keeps a resumable backfill's state in a JOBDIR per source.
Two such crawls at once shared it, and the first to finish deleted it under the other. The
crawl that starts first holds an exclusive ``flock`` on ``JOBDIR/presswatch.lock`` (released
by the system when the process dies, SIGKILL included). A second crawl of the same JOBDIR is
refused: it logs one error line naming the holder, never touches the directory (its JOBDIR
setting is cleared before Scrapy's scheduler or SpiderState open it) and closes at once with
the reason ``backfill_running``; the stat ``presswatch/refused`` holds the message.

A backfill that finishes deletes its JOBDIR (the next ``--full`` starts afresh) once the
engine has stopped, so SpiderState has written its state by then, still holding the lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

log = logging.getLogger(__name__)

LOCK_NAME = "presswatch.lock"
REFUSED_REASON = "backfill_running"


class JobDirBusy(Exception):
    """Another process holds the JOBDIR's lock; the message names it."""


def lock_jobdir(jobdir: Path) -> IO[str]:
    """The JOBDIR's lock file, locked (keep it open); JobDirBusy when another process has it."""
    jobdir.mkdir(parents=True, exist_ok=True)
    path = jobdir / LOCK_NAME
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise JobDirBusy(f"another backfill (pid {holder}) is using {jobdir}") from None
        try:
            same = os.fstat(handle.fileno()).st_ino == path.stat().st_ino
        except FileNotFoundError:  # its finished holder deleted the JOBDIR meanwhile
            same = False
            jobdir.mkdir(parents=True, exist_ok=True)
        if same:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            return handle
        handle.close()


class JobDirLock:
    """Holds the JOBDIR's lock for the crawl, or refuses the crawl; off without JOBDIR."""

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        self.reason: str | None = None
        self.refused: str | None = None
        self._handle: IO[str] | None = None
        try:
            self._handle = lock_jobdir(jobdir)
        except JobDirBusy as exc:
            self.refused = str(exc)
            # Settings are not frozen yet: nothing else of this crawl opens the JOBDIR.
            crawler.settings.set("JOBDIR", None, priority="cmdline")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        ext = cls(crawler, Path(jobdir))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.refused is None:
            return
        log.error("%s crawl refused: %s; wait for it to end", spider.name, self.refused)
        self.crawler.stats.set_value("presswatch/refused", self.refused)
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=REFUSED_REASON))

    def spider_closed(self, reason: str) -> None:
        self.reason = reason

    def engine_stopped(self) -> None:
        if self._handle is None:
            return
        if self.reason == "finished":
            shutil.rmtree(self.jobdir, ignore_errors=True)
        self._handle.close()  # releases the flock
        self._handle = None
