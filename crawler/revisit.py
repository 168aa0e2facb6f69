"""Which known releases a run fetches again: often while they are fresh, rarely once old.

The interval between visits grows with the time since a release last changed (new counts
as a change): under a day every run, under a week every 4 hours, under a month daily, under
a year weekly, older monthly. A release that answered 404 once is checked again at once
(the second strike decides), a removed one daily (it may come back). A run takes at most
``budget`` revisits, the most overdue first, so it stays bounded however large the
archive grows. Every number is a Scrapy setting, so each source can have its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.queries import KnownRelease

# (time since the last change under which the interval applies, interval), in hours.
DEFAULT_INTERVALS: tuple[tuple[float, float], ...] = (
    (24, 0),
    (24 * 7, 4),
    (24 * 30, 24),
    (24 * 365, 24 * 7),
)
DEFAULT_OLDEST_INTERVAL = 24 * 30  # hours, beyond the last step
DEFAULT_REMOVED_INTERVAL = 24
DEFAULT_BUDGET = 100


@dataclass(frozen=True)
class RevisitPolicy:
    intervals: tuple[tuple[float, float], ...] = DEFAULT_INTERVALS
    oldest_interval: float = DEFAULT_OLDEST_INTERVAL
    removed_interval: float = DEFAULT_REMOVED_INTERVAL
    budget: int = DEFAULT_BUDGET  # 0: no limit
    revisit_all: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> RevisitPolicy:
        """From PRESSWATCH_REVISIT_* settings (intervals as JSON [[age_h, every_h], …])."""
        raw = settings.get("PRESSWATCH_REVISIT_INTERVALS")
        intervals = DEFAULT_INTERVALS
        if raw:
            steps = json.loads(raw) if isinstance(raw, str) else raw
            intervals = tuple((float(age), float(every)) for age, every in steps)
        return cls(
            intervals=intervals,
            oldest_interval=settings.getfloat("PRESSWATCH_REVISIT_OLDEST", DEFAULT_OLDEST_INTERVAL),
            removed_interval=settings.getfloat(
                "PRESSWATCH_REVISIT_REMOVED", DEFAULT_REMOVED_INTERVAL
            ),
            budget=settings.getint("PRESSWATCH_REVISIT_BUDGET", DEFAULT_BUDGET),
            revisit_all=settings.getbool("PRESSWATCH_REVISIT_ALL"),
        )

    def interval(self, release: KnownRelease, now: datetime) -> timedelta:
        if release.missing_count:
            return timedelta(0)
        if release.status == "removed":
            return timedelta(hours=self.removed_interval)
        age_hours = (now - release.last_changed).total_seconds() / 3600
        for max_age, every in self.intervals:
            if age_hours < max_age:
                return timedelta(hours=every)
        return timedelta(hours=self.oldest_interval)

    def due(self, releases: Iterable[KnownRelease], now: datetime) -> list[str]:
        """URLs to fetch this run, most overdue first, at most ``budget`` of them."""
        if self.revisit_all:
            return [r.url for r in releases]
        scored = []
        for release in releases:
            waited = now - release.last_seen
            interval = self.interval(release, now)
            if waited >= interval:
                overdue = waited / interval if interval else float("inf")
                scored.append((overdue, waited, release.url))
        scored.sort(reverse=True)
        chosen = scored[: self.budget] if self.budget else scored
        return [url for _, _, url in chosen]
