"""Digests: a target's events collected into one message per period instead of sent at once.

Nothing is kept but the events themselves: they stay pending in the archive until a period
they fall in has ended, then every pending event from before the latest period end goes
out in one message (a new period's events wait for theirs). So a restart loses nothing —
the events are still pending — and sends nothing twice — a sent digest is marked delivered
like any batch. Health alerts are not held for a digest.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from scheduler.options import Digest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(
    r"(?P<period>hourly|daily|weekly)(?:\s+(?P<day>[a-z]{3}))?(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
MAX_PERIODS = 10_000  # periods walked to find the latest end (a long outage of an hourly digest)


def parse_digest(text: str, timezone: str = "UTC") -> Digest:
    """ "hourly", "daily 08:00" or "weekly mon 08:00"; ValueError with a one-line reason."""
    match = _SPEC.fullmatch(" ".join(text.lower().split()))
    if not match:
        raise ValueError(f'{text!r} is not a digest period ("hourly", "daily 08:00", '
                         '"weekly mon 08:00")')  # fmt: skip
    period, day = match["period"], match["day"]
    if (period == "weekly") != (day is not None) or day not in (None, *DAYS):
        raise ValueError(f"{text!r}: a weekly digest names its day (mon…sun), others do not")
    if period == "hourly" and match["hour"] is not None:
        raise ValueError(f'{text!r}: an hourly digest goes out on the hour ("hourly")')
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r}: {hour:02d}:{minute:02d} is not a time of day")
    return Digest(period=period, day=day, hour=hour, minute=minute, timezone=timezone)


def _trigger(digest: Digest):  # noqa: ANN202 - an APScheduler CronTrigger
    from apscheduler.triggers.cron import CronTrigger

    if digest.period == "hourly":
        return CronTrigger(minute=0, timezone=digest.timezone)
    return CronTrigger(day_of_week=digest.day or "*", hour=digest.hour, minute=digest.minute,
                       timezone=digest.timezone)  # fmt: skip


def next_end(digest: Digest, after: datetime) -> datetime:
    """The end of the period ``after`` falls in: when its digest goes out."""
    end = _trigger(digest).get_next_fire_time(None, after + timedelta(microseconds=1))
    assert end is not None  # a cron of hours, days or weeks always fires again
    return end


def period_end(digest: Digest, oldest: datetime, now: datetime) -> datetime | None:
    """The latest end of a period after ``oldest`` that ``now`` has reached, else None."""
    trigger = _trigger(digest)
    end = next_end(digest, oldest)
    if end > now:
        return None
    for _ in range(MAX_PERIODS):
        following = trigger.get_next_fire_time(end, end + timedelta(microseconds=1))
        if following is None or following > now:
            break
        end = following
    return end
