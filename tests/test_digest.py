"""Digests: one message per period, nothing lost or sent twice across restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from presswatch.config import ConfigError, parse_config
from scheduler.digest import parse_digest, period_end
from scheduler.messages import render, sample_events
from scheduler.notify import DeliveryError, Notifier
from scheduler.options import Digest, NotifyConfig, TargetConfig
from storage.archive import Archive, ParsedRelease


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)  # 2026-03-02 is a Monday


@pytest.mark.parametrize(
    ("spec", "oldest", "now", "end"),
    [
        ("hourly", utc(3, 10, 5), utc(3, 10, 59), None),
        ("hourly", utc(3, 10, 5), utc(3, 11, 0), utc(3, 11)),
        ("hourly", utc(3, 10, 5), utc(3, 15, 30), utc(3, 15)),  # after an outage: the latest
        ("daily 08:00", utc(3, 10), utc(4, 7, 59), None),
        ("daily 08:00", utc(3, 10), utc(4, 8, 30), utc(4, 8)),
        ("daily 08:00", utc(3, 7), utc(3, 8), utc(3, 8)),
        ("weekly mon 08:00", utc(3, 10), utc(8, 23), None),
        ("weekly mon 08:00", utc(3, 10), utc(9, 8), utc(9, 8)),
    ],
)
def test_period_end(spec: str, oldest: datetime, now: datetime, end: datetime | None) -> None:
    assert period_end(parse_digest(spec), oldest, now) == end


def test_period_end_in_a_time_zone() -> None:
    digest = parse_digest("daily 08:00", "Europe/Vienna")  # 07:00 UTC in March (CET)
    assert period_end(digest, utc(3, 10), utc(4, 7, 30)) == utc(4, 7)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"digest": "monthly"}, "notify.targets[0].digest: 'monthly' is not a digest period"),
        ({"digest": "weekly 08:00"}, "notify.targets[0].digest: 'weekly 08:00': a weekly digest"),
        ({"digest": "daily 25:00"}, "notify.targets[0].digest: 'daily 25:00': 25:00 is not"),
        ({"digest": "hourly 08:00"}, "notify.targets[0].digest: 'hourly 08:00': an hourly"),
        ({"digest": "daily", "timezone": "Mars/Base"}, "notify.targets[0].timezone: 'Mars/Base'"),
        ({"timezone": "UTC"}, "notify.targets[0].timezone: only a digest has a time zone"),
    ],
)
def test_bad_digest_keys_name_the_key(keys: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"notify": {"targets": [{"type": "log", **keys}]}}, ["osce"])
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_digest_keys_are_read() -> None:
    config = parse_config(
        {
            "notify": {
                "targets": [
                    {"type": "log", "digest": "Weekly Mon 07:30", "timezone": "Europe/Vienna"}
                ]
            }
        },
        ["osce"],
    )
    assert config.notify.targets[0].digest == Digest("weekly", "mon", 7, 30, "Europe/Vienna")


def test_a_digest_message_counts_per_source_and_kind_on_top() -> None:
    text = render(sample_events(), [], "text", digest=True)
    head = text.splitlines()[:2]
    assert head == ["presswatch digest: 1 changed, 1 new, 1 removed, 1 restored",
                    "Example Organisation: 1 changed, 1 new, 1 removed, 1 restored"]  # fmt: skip
    assert "[-Monday-] {+Tuesday+}" in text


class Recorder:
    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.messages: list[list[int]] = []

    def send(self, events, alerts) -> None:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("HTTP 503")
        self.messages.append([e.id for e in events])


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def daemon(archive: Archive, sender: Recorder, clock: Clock, digest_max: int = 500) -> Notifier:
    """A (re)started daemon's notifier with one hourly digest target and one immediate."""
    targets = (TargetConfig(name="digest", type="log", digest=Digest("hourly")),
               TargetConfig(name="now", type="log"))  # fmt: skip
    config = NotifyConfig(targets=targets, retry_base=10, batch=2, digest_max=digest_max)
    n = Notifier(archive.sessions, config, senders={"digest": sender, "now": Recorder()},
                 clock=clock)  # fmt: skip
    n.start()
    return n


def record(archive: Archive, n: int) -> None:
    archive.record(ParsedRelease(source="osce", url=f"https://www.osce.org/p/{n}",
                                 title=f"Release {n}", body=f"Body {n} of a release here.",
                                 published=date(2026, 3, 1)))  # fmt: skip


def test_digest_over_restarts_loses_nothing_and_sends_nothing_twice(archive: Archive) -> None:
    clock, sender = Clock(), Recorder(fail=1)
    first = daemon(archive, sender, clock)
    for i in range(1, 4):
        record(archive, i)
    assert first.flush().delivered == 3  # the immediate target, in batches of two
    assert first.senders["now"].messages == [[1, 2], [3]] and sender.messages == []
    # Restart within the hour: still nothing; the events wait in the archive.
    second = daemon(archive, sender, clock)
    assert second.flush().delivered == 0 and second.pending()["digest"] == 3
    # The hour ends: one message with all three; it fails once, then goes whole.
    clock.now += timedelta(hours=1)
    assert second.flush().failed == ["digest"] and sender.messages == []
    clock.now += timedelta(minutes=1)
    third = daemon(archive, sender, clock)  # a restart clears the backoff
    assert third.flush().delivered == 3 and sender.messages == [[1, 2, 3]]
    # Another restart sends nothing again; a new event waits for its own period.
    fourth = daemon(archive, sender, clock)
    record(archive, 4)
    clock.now = datetime.now(UTC)  # back to the hour event 4 came in
    assert fourth.flush().delivered == 1  # only the immediate target
    assert sender.messages == [[1, 2, 3]]
    clock.now += timedelta(hours=2)
    fourth.flush()
    assert sender.messages == [[1, 2, 3], [4]]


def test_a_big_digest_goes_in_digest_max_messages(archive: Archive) -> None:
    clock, sender = Clock(), Recorder()
    n = daemon(archive, sender, clock, digest_max=2)
    for i in range(1, 6):
        record(archive, i)
    clock.now += timedelta(hours=1, minutes=1)
    n.flush()
    assert sender.messages == [[1, 2], [3, 4], [5]]
