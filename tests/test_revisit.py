"""The revisit policy: fresh releases often, old ones rarely, removed ones daily, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrapy.settings import Settings

from crawler.revisit import RevisitPolicy
from storage.queries import KnownRelease

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def known(
    url: str, changed_ago: timedelta, seen_ago: timedelta, status: str = "active", missing: int = 0
) -> KnownRelease:
    return KnownRelease(url, status, missing, NOW - seen_ago, NOW - changed_ago, '"e"', None)


H = timedelta(hours=1)
D = timedelta(days=1)


def test_interval_grows_with_time_since_the_last_change() -> None:
    policy = RevisitPolicy()
    intervals = [
        policy.interval(known("u", age, H), NOW) for age in (H, 3 * D, 10 * D, 100 * D, 800 * D)
    ]
    assert intervals == [timedelta(0), 4 * H, D, 7 * D, 30 * D]
    assert policy.interval(known("u", 800 * D, H, missing=1), NOW) == timedelta(0)
    assert policy.interval(known("u", 800 * D, H, status="removed"), NOW) == D


def test_due_releases_most_overdue_first_within_budget() -> None:
    releases = [
        known("fresh", 2 * H, 1 * H),  # changed today: every run
        known("week-old, seen 5h ago", 3 * D, 5 * H),  # every 4 h: due (1.25x)
        known("week-old, seen 1h ago", 3 * D, 1 * H),  # not due
        known("ancient, seen 60d ago", 800 * D, 60 * D),  # monthly: due (2x)
        known("ancient, seen 10d ago", 800 * D, 10 * D),  # not due
        known("404 once", 800 * D, H, missing=1),  # the second strike decides at once
    ]
    policy = RevisitPolicy()
    due = policy.due(releases, NOW)
    assert set(due[:2]) == {"fresh", "404 once"}  # never waited on: first
    assert due[2:] == ["ancient, seen 60d ago", "week-old, seen 5h ago"]
    assert len(RevisitPolicy(budget=2).due(releases, NOW)) == 2
    assert len(RevisitPolicy(revisit_all=True).due(releases, NOW)) == 6


def test_policy_numbers_come_from_settings() -> None:
    settings = Settings(
        {
            "PRESSWATCH_REVISIT_INTERVALS": "[[48, 1], [100000, 2]]",
            "PRESSWATCH_REVISIT_BUDGET": "7",
            "PRESSWATCH_REVISIT_ALL": "1",
        }
    )
    policy = RevisitPolicy.from_settings(settings)
    assert policy.budget == 7 and policy.revisit_all
    assert policy.interval(known("u", 30 * H, H), NOW) == H
    assert policy.interval(known("u", 30 * D, H), NOW) == 2 * H
