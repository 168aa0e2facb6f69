"""Notifications in process: delivered once per target, retried, only events newer than a target."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from daemon_support import Webhook

from scheduler.messages import render
from scheduler.notify import DeliveryError, Notifier, describe_diff, make_sender
from scheduler.options import NotifyConfig, TargetConfig
from storage.archive import Archive, ParsedRelease


class Flaky:
    """A sender that fails ``fail`` times, then records every batch."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.batches: list[list[int]] = []
        self.events: list = []

    def send(self, events, alerts) -> None:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("HTTP 503")
        self.batches.append([e.id for e in events] + [-a.id for a in alerts])
        self.events += events


def release(
    n: int, body: str = "The body of the release, long enough to be a release."
) -> ParsedRelease:
    return ParsedRelease(source="osce", url=f"https://www.osce.org/press-releases/{n}",
                         title=f"Release {n}", body=body, published=date(2026, 3, n))  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def notifier(archive: Archive, senders: dict, clock: Clock, batch: int = 20, **kinds) -> Notifier:
    targets = tuple(TargetConfig(name=n, type="log", **kinds.get(n, {})) for n in senders)
    config = NotifyConfig(targets=targets, retry_base=10, retry_max=60, batch=batch)
    n = Notifier(archive.sessions, config, senders=senders, clock=clock)
    n.start()
    return n


def test_delivered_once_in_batches_per_target(archive: Archive, clock: Clock) -> None:
    a, b = Flaky(), Flaky()
    n = notifier(archive, {"a": a, "b": b}, clock, batch=2)
    for i in range(1, 6):
        archive.record(release(i))
    assert n.flush().delivered == 10
    assert a.batches == [[1, 2], [3, 4], [5]] and b.batches == a.batches
    assert n.flush().delivered == 0
    assert n.pending() == {"a": 0, "b": 0}


def test_failing_target_retries_with_backoff_and_loses_nothing(
    archive: Archive, clock: Clock
) -> None:
    good, bad = Flaky(), Flaky(fail=2)
    n = notifier(archive, {"good": good, "bad": bad}, clock)
    archive.record(release(1))
    result = n.flush()
    assert result.failed == ["bad"] and good.batches == [[1]]
    archive.record(release(2))
    assert n.flush().failed == []  # "bad" waits out its backoff (10 s)
    assert n.pending() == {"good": 0, "bad": 2}
    clock.now += timedelta(seconds=11)
    assert n.flush().failed == ["bad"]  # second failure: next wait 20 s
    clock.now += timedelta(seconds=15)
    n.flush()
    assert bad.batches == []
    clock.now += timedelta(seconds=10)
    n.flush()
    assert bad.batches == [[1, 2]] and good.batches == [[1], [2]]


def test_restart_sends_pending_and_new_target_gets_only_newer_events(
    archive: Archive, clock: Clock
) -> None:
    first = notifier(archive, {"a": Flaky(fail=1)}, clock)
    archive.record(release(1))
    first.flush()
    late = Flaky()
    again = notifier(archive, {"a": Flaky(), "late": late}, clock)  # a restart, and a new target
    archive.record(release(2))
    again.flush()
    assert again.senders["a"].batches == [[1, 2]]  # the backoff is cleared at start
    assert late.batches == [[2]]


def test_kinds_filter_and_changed_diff(archive: Archive, clock: Clock) -> None:
    only_changed = Flaky()
    n = notifier(archive, {"c": only_changed}, clock, c={"kinds": frozenset({"changed"})})
    archive.record(release(1))
    archive.record(release(1, body="The body of the release, now long enough and edited."))
    n.flush()
    assert only_changed.batches == [[2]]
    (event,) = only_changed.events
    assert event.title == "Release 1" and event.source == "osce"
    text = render([event], [])
    assert "[changed]" in text and "https://www.osce.org/press-releases/1" in text
    assert "changed body" in describe_diff(event.diff) and "+" in describe_diff(event.diff)


def test_log_target_writes_one_line_per_event(archive: Archive, clock: Clock, caplog) -> None:
    n = Notifier(archive.sessions, NotifyConfig(), clock=clock)
    n.start()
    archive.record(release(3))
    with caplog.at_level(logging.INFO, logger="presswatch.notify"):
        n.flush()
    assert "[new] osce: Release 3 (https://www.osce.org/press-releases/3)" in caplog.text


@pytest.fixture
def hook() -> Iterator[Webhook]:
    h = Webhook()
    yield h
    h.close()


@pytest.mark.parametrize("kind", ["webhook", "apprise"])
def test_webhook_and_apprise_post_to_a_local_receiver(
    kind: str, archive: Archive, clock: Clock, hook: Webhook
) -> None:
    url = hook.url if kind == "webhook" else hook.url.replace("http://", "json://")
    target = TargetConfig(name=kind, type=kind, url=url)
    n = Notifier(archive.sessions, NotifyConfig(targets=(target,)), clock=clock)
    n.start()
    archive.record(release(4))
    hook.fail = 1
    assert n.flush().failed == [kind]
    clock.now += timedelta(hours=2)
    assert n.flush().delivered == 1
    assert hook.attempts == 2 and len(hook.payloads) == 1
    if kind == "webhook":
        assert hook.events()[0]["title"] == "Release 4"
    else:  # Apprise's json:// posts a title and a body
        assert "Release 4" in hook.payloads[0]["message"]


def test_webhook_sender_reports_refused_connection() -> None:
    sender = make_sender(
        TargetConfig(name="w", type="webhook", url="http://127.0.0.1:9/x", timeout=1)
    )
    with pytest.raises(DeliveryError):
        sender.send([], [])


def add_alert(archive: Archive) -> None:
    from storage import notifications as store

    with archive.sessions.begin() as session:
        source = store.source_id(session, "osce")
        store.add_alert(session, source, "failing", None, "3 failed runs")


@pytest.mark.parametrize("health_only", [True, False])
def test_health_alerts_go_to_their_own_targets(
    archive: Archive, clock: Clock, health_only: bool
) -> None:
    senders = {"news": Flaky(), "ops": Flaky(), "quiet": Flaky()}
    health = {"ops": "only" if health_only else "also", "quiet": "never"}
    targets = tuple(
        TargetConfig(name=n, type="log", health=health.get(n, "also"),
                     kinds=frozenset() if health.get(n) == "only" else frozenset({"new"}))
        for n in senders
    )  # fmt: skip
    n = Notifier(archive.sessions, NotifyConfig(targets=targets), senders=senders, clock=clock)
    n.start()
    archive.record(release(1))
    add_alert(archive)
    n.flush()
    assert senders["quiet"].batches == [[1]]  # events, never alerts
    if health_only:
        assert senders["ops"].batches == [[-1]] and senders["news"].batches == [[1]]
    else:
        assert senders["ops"].batches == [[1, -1]] == senders["news"].batches
    assert n.pending() == {"news": 0, "ops": 0, "quiet": 0}
    n.flush()
    assert senders["quiet"].batches == [[1]]  # the passed-by alert is settled, not resent


def test_health_keys() -> None:
    from presswatch.config import ConfigError, parse_config

    def target(**keys):
        return parse_config({"notify": {"targets": [{"type": "log", **keys}]}}, ["osce"])

    assert target(health="only").notify.targets[0].kinds == frozenset()
    with pytest.raises(ConfigError, match=r"^notify.targets\[0\].health: expected one of"):
        target(health="sometimes")
    with pytest.raises(ConfigError, match=r"^notify.targets\[0\].kinds: a health = \"only\""):
        target(health="only", kinds=["new"])
