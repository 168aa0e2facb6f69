"""Validate what the spiders yield, then hand it to the archive (storage.archive).

The crawl run is opened when the spider opens and closed with its counts and outcome when it
closes (storage.outcome decides it from the errors and the field coverage: a site redesign
shows as coverage that fell). A write the database refused is counted, never silent.

The outcome also depends on why Scrapy closed the spider (the ``spider_closed`` signal's
reason, which the pipeline's own ``close_spider`` does not get): only a crawl that
``finished`` can be ok. ``shutdown`` (SIGTERM or SIGINT: the daemon stopping, a Scrapyd
cancel, Ctrl-C) is aborted; any other reason (a CLOSESPIDER_* limit, a failed start) cut
the crawl short: failed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from crawler.items import PageError, PageGone, PageNotModified, Release
from crawler.sites import get_site
from storage.archive import Archive, Outcome, ParsedRelease, Recorded
from storage.db import archive_id, display_url, make_engine, upgrade
from storage.outcome import RunOutcome, decide
from storage.source_lock import SourceBusy, SourceLock

logger = logging.getLogger(__name__)
# Progress lines on stdout, read by scheduler.runner (which keeps its own copy of the prefix):
# ``@progress {"run": id, "counts": {...}}``; the last one adds "status" and "reason".
PROGRESS_PREFIX = "@progress "
# The archive a crawl on a Scrapyd node must write to (storage.db.archive_id), set by the
# daemon (scheduler.scrapyd keeps its own copy of the name): not a secret, unlike the URL.
ARCHIVE_SETTING = "PRESSWATCH_ARCHIVE_ID"
ERROR_KEYS = ("listing_errors", "page_errors", "write_errors")  # "errors" is their sum
FALLBACK_SHARE_LIMIT = 0.5  # a run mostly read by the fallback means the site parser broke
FINISHED = "finished"  # Scrapy's close reason for a crawl that ran out of requests
SHUTDOWN = "shutdown"  # Scrapy's close reason after SIGTERM or SIGINT (crawler.stop())
STOPPED = "stopped by SIGTERM or SIGINT before its end (shutdown, cancel or Ctrl-C)"


def to_parsed(item: Release) -> ParsedRelease:
    f = item.fields
    return ParsedRelease(
        source=item.source, url=item.url, title=f.title, body=f.body, published=f.published,
        place=f.place, external_id=f.external_id, metadata=dict(f.metadata), method=f.method,
        parser_version=f.parser_version, fetched_at=item.fetched_at, etag=item.etag,
        last_modified=item.last_modified, raw_html=item.raw_html,
    )  # fmt: skip


def validate(item: Release) -> None:
    missing = [name for name in ("title", "body") if not getattr(item.fields, name).strip()]
    if missing:
        raise DropItem(f"{item.url}: no {', '.join(missing)}")


class Coverage:
    """Share of releases carrying each field, against the site's expected levels."""

    def __init__(self, expected: dict[str, float]) -> None:
        self.expected = expected
        self.items = 0
        self.present: Counter[str] = Counter()

    def add(self, item: Release) -> None:
        self.items += 1
        f = item.fields
        values = {
            "title": f.title, "published": f.published, "body": f.body, "place": f.place,
            "external_id": f.external_id, **{f"metadata.{k}": v for k, v in f.metadata.items()},
        }  # fmt: skip
        self.present.update(k for k, v in values.items() if v)

    def shares(self) -> dict[str, float]:
        fields = set(self.present) | set(self.expected)
        n = self.items or 1
        return {k: round(self.present[k] / n, 3) for k in sorted(fields)}

    def problems(self) -> list[str]:
        """Fields whose coverage fell under the expected level (none without items)."""
        shares = self.shares()
        return [
            f"{field} coverage {shares[field]:.0%} < expected {level:.0%}"
            for field, level in sorted(self.expected.items())
            if shares[field] < level
        ]


class ArchivePipeline:
    """Records every item into the archive, one transaction per release."""

    def __init__(
        self, crawler: Crawler, db_url: str | None, progress: bool = False,
        archive: str | None = None,
    ) -> None:  # fmt: skip
        self.crawler = crawler
        self.db_url = db_url
        self.progress = progress
        self.expected_archive = archive
        self.counts: Counter[str] = Counter()
        self.run_id: int | None = None
        self.first_listing_error: str | None = None
        self.lock: SourceLock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        db_url = settings.get("PRESSWATCH_DATABASE_URL")
        pipeline = cls(
            crawler, db_url, settings.getbool("PRESSWATCH_PROGRESS"), settings.get(ARCHIVE_SETTING)
        )
        # Sent once the pipelines have processed their last item, with Scrapy's close reason.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the run, holding the source's lock (storage.source_lock).

        Refused (CloseSpider): an archive other than the daemon's (nothing is written), or
        another crawl of the source running (the run is recorded failed, "crawl refused").
        """
        spider = self.crawler.spider
        self.source = getattr(spider, "source", spider.name)
        self.site = getattr(spider, "site", None) or get_site(self.source)
        self.coverage = Coverage(self.site.expected_coverage)
        self.engine = make_engine(self.db_url)
        if self.expected_archive and (found := archive_id(self.engine)) != self.expected_archive:
            self._refuse(f"{display_url(self.engine.url)} is not the daemon's archive "
                         f"(its id is {found}, the daemon's {self.expected_archive})")  # fmt: skip
            raise CloseSpider("wrong_archive")
        upgrade(self.engine)
        self.archive = Archive(sessionmaker(self.engine, expire_on_commit=False))
        self.archive.ensure_source(self.site.key, self.site.name, self.site.base_url)
        lock, busy = SourceLock(self.engine, self.source), None
        try:
            lock.acquire()
            self.lock = lock
        except SourceBusy as exc:
            busy = str(exc)
        # Scrapyd's job id, as Scrapyd passes it (the spider argument ``_job``).
        self.run_id = self.archive.start_run(self.source, job=getattr(spider, "_job", None))
        spider.run_id = self.run_id
        self._report()
        if busy:
            self._refuse(busy)
            raise CloseSpider("source_busy")

    def _refuse(self, why: str) -> None:
        logger.error("%s crawl refused: %s", self.source, why)
        self.crawler.stats.set_value("presswatch/refused", why)

    def process_item(self, item: Any) -> Any:
        try:
            return self._process(item)
        except SQLAlchemyError as exc:  # the database went away: the run goes on, counted
            self.counts["write_errors"] += 1
            logger.error("archive write failed for %s: %s", getattr(item, "url", "?"), exc)
            raise DropItem(f"archive write failed: {exc}") from exc
        finally:
            self._report()

    def _report(self, outcome: RunOutcome | None = None) -> None:
        """A progress line for scheduler.runner; the last one carries the run's outcome."""
        self.counts["errors"] = sum(self.counts[k] for k in ERROR_KEYS)
        if not self.progress:
            return
        line: dict[str, Any] = {"run": self.run_id, "counts": self.counts}
        if outcome:
            line.update(status=outcome.status, reason=outcome.reason)
        print(PROGRESS_PREFIX + json.dumps(line), flush=True)

    def _process(self, item: Any) -> Any:
        if not isinstance(item, PageError) or item.page == "release":
            self.counts["release_pages"] += 1
        if isinstance(item, PageError):
            self._error(item.url, item.reason, item.page)
        elif isinstance(item, PageGone):
            if (gone := self.archive.mark_missing(item.url, self.run_id)) is None:
                self._error(item.url, f"HTTP {item.status}: listed release not found")
            else:
                self._count(gone)
        elif isinstance(item, PageNotModified):
            self.counts["not_modified"] += 1
            self._count(self.archive.seen_not_modified(item.url, self.run_id))
        elif isinstance(item, Release):
            try:
                validate(item)
            except DropItem as exc:
                self._error(item.url, str(exc))
                raise
            self.coverage.add(item)
            self.counts["items"] += 1
            if item.fields.method == "fallback":
                self.counts["fallback"] += 1
            self._count(self.archive.record(to_parsed(item), self.run_id))
        return item

    def _count(self, recorded: Recorded | None) -> None:
        self.counts[recorded.outcome.value if recorded else "unknown"] += 1
        if recorded and recorded.outcome is Outcome.SUSPICIOUS:
            self.counts["page_errors"] += 1  # the archive recorded the run's error itself

    def _error(self, url: str, reason: str, page: str = "release") -> None:
        if page == "listing":
            self.counts["listing_errors"] += 1
            if url in self.site.start_urls and self.first_listing_error is None:
                self.first_listing_error = reason
        else:
            self.counts["page_errors"] += 1
        logger.warning("%s: %s", url, reason)
        self.archive.add_error(self.run_id, url, reason)

    def spider_closed(self, reason: str) -> None:
        """Close the run, its outcome told by ``reason`` too (Scrapy's close reason)."""
        if self.run_id is None:  # refused before opening a run: nothing to record
            self.engine.dispose()
            return
        try:
            self._close_run(reason)
        finally:
            if self.lock is not None:  # held until the run is closed, or the close failed
                self.lock.release()
            self.engine.dispose()

    def _close_run(self, reason: str) -> None:
        stats = self.crawler.stats
        self.counts["requests"] = stats.get_value("downloader/request_count", 0)
        self.counts["skipped_non_html"] = stats.get_value("presswatch/skipped_non_html", 0)
        self.counts["skipped_robots"] = stats.get_value("presswatch/skipped_robots", 0)
        self.counts["listing_pages"] = getattr(self.crawler.spider, "pages_walked", 0)
        problems = self.coverage.problems() if self.coverage.items else []
        items = self.counts["items"]
        # An incremental run may parse nothing (all known, none due); it still saw listings.
        seen = items + self.counts["not_modified"] + stats.get_value("presswatch/known_not_due", 0)
        refused = stats.get_value("presswatch/refused")  # crawler.jobdir: a backfill runs
        if refused:
            ended = f"crawl refused: {refused}"
        elif reason not in (FINISHED, SHUTDOWN):
            ended = f"closed before its end ({reason})"
        else:
            ended = None
        if not seen and not self.counts["listing_errors"] and reason == FINISHED and not refused:
            problems.append("no release found on the listing pages")
        fallback_share = self.counts["fallback"] / items if items else 0
        if fallback_share > FALLBACK_SHARE_LIMIT and not self.site.fallback_expected:
            problems.append(f"{self.counts['fallback']} of {items} releases read by the fallback")
        for problem, pages in sorted(getattr(self.crawler.spider, "problems", {}).items()):
            problems.append(f"{problem} on {pages} page{'' if pages == 1 else 's'}")
        outcome = decide(
            self.counts, problems, first_listing_error=self.first_listing_error, ended=ended,
            aborted=STOPPED if reason == SHUTDOWN else None,
        )  # fmt: skip
        self.counts["errors"] = sum(self.counts[k] for k in ERROR_KEYS)
        try:
            self.archive.finish_run(
                self.run_id, dict(self.counts), status=outcome.status,
                coverage=self.coverage.shares(), health=outcome.reason,
            )  # fmt: skip
        except SQLAlchemyError as exc:  # no last report: the parent records the run failed
            logger.error("%s run %s left open, database unreachable: %s", self.source,
                         self.run_id, exc)  # fmt: skip
            return
        self._report(outcome)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()) if v)
        level = logging.INFO if outcome.status == "ok" else logging.WARNING
        reason = f" ({outcome.reason})" if outcome.reason else ""
        logger.log(level, "%s run %s %s: %s%s", self.source, self.run_id, outcome.status,
                   summary or "nothing", reason)  # fmt: skip
