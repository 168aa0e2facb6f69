"""Validate what the spiders yield, then hand it to the archive (storage.archive).

The crawl run is opened when the spider opens and closed with its counts and health when it
closes. Health is how a site redesign shows itself: a run that yields no release, or whose
field coverage falls under the site's expected level, is marked unhealthy and logged.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from crawler.items import PageError, PageGone, PageNotModified, Release
from crawler.sites import get_site
from storage.archive import Archive, Outcome, ParsedRelease, Recorded
from storage.db import open_archive

logger = logging.getLogger(__name__)
PROGRESS_PREFIX = "@progress "  # a line of counts on stdout, read by scheduler.runner
FALLBACK_SHARE_LIMIT = 0.5  # a run mostly read by the fallback means the site parser broke


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

    def __init__(self, crawler: Crawler, db_url: str | None, progress: bool = False) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        db_url = settings.get("PRESSWATCH_DATABASE_URL")
        return cls(crawler, db_url, settings.getbool("PRESSWATCH_PROGRESS"))

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.source = spider.name
        site = get_site(self.source)
        self.coverage = Coverage(site.expected_coverage)
        self.engine, sessions = open_archive(self.db_url)
        self.archive = Archive(sessions)
        self.archive.ensure_source(site.key, site.name, site.base_url)
        self.run_id = self.archive.start_run(self.source)
        spider.run_id = self.run_id

    def process_item(self, item: Any) -> Any:
        try:
            return self._process(item)
        except SQLAlchemyError as exc:  # the database went away: the run goes on, counted
            self.counts["errors"] += 1
            logger.error("archive write failed for %s: %s", getattr(item, "url", "?"), exc)
            raise DropItem(f"archive write failed: {exc}") from exc
        finally:
            if self.progress:  # read by scheduler.runner
                print(PROGRESS_PREFIX + json.dumps(self.counts), flush=True)

    def _process(self, item: Any) -> Any:
        if isinstance(item, PageError):
            self._error(item.url, item.reason)
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
            self.counts["errors"] += 1  # the archive recorded the run's error itself

    def _error(self, url: str, reason: str) -> None:
        self.counts["errors"] += 1
        logger.warning("%s: %s", url, reason)
        self.archive.add_error(self.run_id, url, reason)

    def close_spider(self) -> None:
        stats = self.crawler.stats
        self.counts["requests"] = stats.get_value("downloader/request_count", 0)
        self.counts["skipped_non_html"] = stats.get_value("presswatch/skipped_non_html", 0)
        problems = self.coverage.problems() if self.coverage.items else []
        items = self.counts["items"]
        # An incremental run may parse nothing (all known, none due); it still saw listings.
        seen = items + self.counts["not_modified"] + stats.get_value("presswatch/known_not_due", 0)
        if not seen:
            problems.append("no release found on the listing pages")
        if items and self.counts["fallback"] / items > FALLBACK_SHARE_LIMIT:
            problems.append(f"{self.counts['fallback']} of {items} releases read by the fallback")
        status = "unhealthy" if problems else "ok"
        for problem in problems:
            logger.warning("%s crawl unhealthy: %s", self.source, problem)
        self.archive.finish_run(
            self.run_id, dict(self.counts), status=status,
            coverage=self.coverage.shares(), health="; ".join(problems) or None,
        )  # fmt: skip
        summary = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()) if v)
        logger.info("%s run %s %s: %s", self.source, self.run_id, status, summary or "nothing")
        self.engine.dispose()
