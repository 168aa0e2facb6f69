"""Notifications: change events and health alerts, sent to every target until delivered.

Targets are a log line, a JSON webhook (one POST per batch; each event carries its id, so a
receiver can drop the rare repeat after a crash between sending and recording) and any
Apprise URL. A failed target is retried with exponential backoff and its events stay
pending in the archive (storage.notifications), so a restart sends them; no transaction is
held while sending, because SQLite would block every crawl meanwhile. What was sent while
the database was away is remembered and recorded when it answers again, not sent twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from scheduler.digest import period_end
from scheduler.messages import TemplateProblem, render, subject
from scheduler.options import Digest, NotifyConfig, TargetConfig
from scheduler.watch import needs_text, wanted
from storage import notifications as store
from storage.models import NotifyTarget
from storage.notifications import AlertNote, EventNote

log = logging.getLogger("presswatch.notify")
PAYLOAD_VERSION = 2  # docs/json.md
MAX_DIFF_SNIPPET = 160


class DeliveryError(Exception):
    """A target did not take the message; the text says why."""


class Sender(Protocol):
    def send(self, events: list[EventNote], alerts: list[AlertNote]) -> str | None:
        """Deliver, or raise DeliveryError; returns what the target answered, in a few words."""
        ...


# --- what a message says ------------------------------------------------------------------


def describe_diff(diff: dict[str, Any] | None) -> str:
    """A change's diff in one or two short lines: fields, word counts, first snippets."""
    if not diff:
        return ""
    parts = [f"changed {', '.join(diff.get('fields') or ['text'])}"]
    if "title" in diff:
        parts.append(f"title was {diff['title']['old']!r}")
    if "published" in diff:
        parts.append(f"date was {diff['published']['old']}")
    if diff.get("words_added") or diff.get("words_removed"):
        parts.append(f"+{diff.get('words_added', 0)}/-{diff.get('words_removed', 0)} words")
    line = "; ".join(parts)
    for sign, key in (("+", "added"), ("-", "removed")):
        if diff.get(key):
            line += f"\n    {sign} {_clip(diff[key][0])}"
    return line


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DIFF_SNIPPET else text[: MAX_DIFF_SNIPPET - 1] + "…"


def alert_line(a: AlertNote) -> str:
    what = "is failing" if a.kind == "failing" else "has recovered"
    return f"[{a.kind}] source {a.source} {what}: {a.detail}"


def payload(events: list[EventNote], alerts: list[AlertNote]) -> dict[str, Any]:
    return {
        "presswatch": PAYLOAD_VERSION,
        "events": [e.to_json() for e in events],
        "alerts": [a.to_json() for a in alerts],
    }


# --- targets ------------------------------------------------------------------------------


class LogSender:
    """One log line per event or alert (always delivered)."""

    def send(self, events: list[EventNote], alerts: list[AlertNote]) -> str:
        for a in alerts:
            log.warning("%s", alert_line(a))
        for e in events:
            extra = f" — {describe_diff(e.diff).splitlines()[0]}" if e.kind == "changed" else ""
            log.info("[%s] %s: %s (%s)%s", e.kind, e.source, e.title, e.url, extra)
        return f"logged {len(events) + len(alerts)} lines"


@dataclass
class WebhookSender:
    """POSTs the JSON payload; any 2xx answer is a delivery."""

    url: str
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, events: list[EventNote], alerts: list[AlertNote]) -> str:
        import httpx  # only the daemon sends: `presswatch status` need not import it

        try:
            response = httpx.post(
                self.url, json=payload(events, alerts), timeout=self.timeout,
                headers={"User-Agent": "presswatch", **self.headers},
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        answer = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if not 200 <= response.status_code < 300:
            raise DeliveryError(answer)
        return answer


class AppriseSender:
    """Any Apprise URL: e-mail, Slack, Matrix, Telegram, ntfy…, in the form it takes.

    The message is rendered (scheduler.messages) as text, Markdown or HTML, whichever the
    service takes, from the target's own template or the default one.
    """

    def __init__(
        self, url: str, template: str | None = None, web_url: str | None = None,
        digest: bool = False,
    ) -> None:  # fmt: skip
        import apprise

        self.apprise = apprise.Apprise()
        if not self.apprise.add(url):
            raise DeliveryError(f"Apprise cannot use {url!r}")
        self.form = body_form(self.apprise[0])
        self.template, self.web_url, self.digest = template, web_url, digest

    def send(self, events: list[EventNote], alerts: list[AlertNote]) -> str:
        try:
            body = render(events, alerts, self.form, self.template, self.web_url, self.digest)
        except TemplateProblem as exc:
            raise DeliveryError(f"template: {exc}") from None
        if not self.apprise.notify(title=subject(events, alerts), body=body, body_format=self.form):
            raise DeliveryError("Apprise reported a failed delivery (see its log lines)")
        return f"Apprise: delivered ({self.form})"


def body_form(service: Any) -> str:
    """The form (text, markdown, html) an Apprise service takes without converting."""
    resolve = getattr(service, "resolve_format", None)  # Apprise 2: several forms, one chosen
    form = resolve() if resolve else service.notify_format
    return str(getattr(form, "value", form))


def make_sender(target: TargetConfig, web_url: str | None = None) -> Sender:
    if target.type == "webhook":
        assert target.url
        return WebhookSender(target.url, target.timeout, target.headers)
    if target.type == "apprise":
        assert target.url
        return AppriseSender(target.url, target.template, web_url, target.digest is not None)
    return LogSender()


# --- the notifier -------------------------------------------------------------------------


@dataclass
class FlushResult:
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # targets that failed this time


class Notifier:
    """Sends what is pending to every target; one flush at a time per process."""

    def __init__(
        self, sessions: sessionmaker[Session], config: NotifyConfig,
        senders: dict[str, Sender] | None = None, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        self.sessions = sessions
        self.config = config
        self.targets = {t.name: t for t in config.targets}
        # Health alerts go to the targets with health = "only" when there are any, else to
        # every target but those with health = "never".
        only = {t.name for t in config.targets if t.health == "only"}
        self.alert_targets = only or {t.name for t in config.targets if t.health != "never"}
        self.senders = senders or {t.name: make_sender(t, config.web_url) for t in config.targets}
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        # Sent, but the database was away when it was to be recorded: recorded first thing
        # next time, and never sent again by this process.
        self._unrecorded: list[tuple[str, list[int], list[int], datetime]] = []

    def start(self) -> None:
        """Register the targets and clear old backoffs: a restart sends what is pending now."""
        with self.sessions.begin() as session:
            store.register_targets(session, self.targets)
            store.reset_target_backoff(session, self.targets)

    def flush(self, stop: threading.Event | None = None) -> FlushResult:
        result = FlushResult()
        with self._lock:
            self._record_sent()
            for name in self.targets:
                if stop is not None and stop.is_set():
                    break
                self._flush_target(name, result, stop)
        return result

    def pending(self) -> dict[str, int]:
        with self.sessions() as session:
            found = store.register_targets(session, self.targets)
            counts = {
                n: store.pending_count(session, t, self.targets[n].kinds) for n, t in found.items()
            }
            session.rollback()  # status only looks; the daemon registers targets for real
            return counts

    def _flush_target(self, name: str, result: FlushResult, stop: threading.Event | None) -> None:
        config, sender = self.targets[name], self.senders[name]
        while stop is None or not stop.is_set():
            with self.sessions.begin() as session:
                target = store.register_targets(session, [name])[name]
                if target.retry_at and self.clock() < target.retry_at:
                    return
                alerts = store.pending_alerts(session, target)
                if alerts and name not in self.alert_targets:
                    store.mark_passed(session, target, [], [a.id for a in alerts], self.clock())
                    alerts = []
                limit = self.config.digest_max if config.digest else self.config.batch
                events = store.pending_events(session, target, config.kinds, limit)
                if not events and not alerts:
                    store.advance_cursors(session, target, config.kinds, self.clock())
                    return
                events = self._watched(session, target, config, events)
                if not events and not alerts:
                    continue  # the whole batch passed by: look at the next one
                if config.digest and events:
                    events = self._due(config.digest, events)
                    if not events and not alerts:
                        return  # the digest waits for its period to end
            event_ids, alert_ids = [e.id for e in events], [a.id for a in alerts]
            try:
                sender.send(events, alerts)
            except Exception as exc:  # noqa: BLE001 - any failure of a target is retried
                self._failed(name, event_ids, alert_ids, exc)
                result.failed.append(name)
                return
            self._unrecorded.append((name, event_ids, alert_ids, self.clock()))
            self._record_sent()
            result.delivered += len(events) + len(alerts)
            log.debug("%s: delivered %d events, %d alerts", name, len(events), len(alerts))

    def _watched(
        self, session: Session, target: NotifyTarget, config: TargetConfig,
        events: list[EventNote],
    ) -> list[EventNote]:  # fmt: skip
        """The events the target's watch wants, with their bodies when the target shows them;
        the others are settled as passed by."""
        if needs_text(config.watch) or config.type == "apprise":
            events = store.with_bodies(session, events)
        keep = [e for e in events if wanted(config.watch, e)]
        if len(keep) < len(events):
            kept = {e.id for e in keep}
            passed = [e.id for e in events if e.id not in kept]
            store.mark_passed(session, target, passed, now=self.clock())
        return keep

    def _due(self, digest: Digest, events: list[EventNote]) -> list[EventNote]:
        """The events of the periods that have ended (all in one digest), else none."""
        end = period_end(digest, min(e.at for e in events), self.clock())
        return [e for e in events if e.at < end] if end else []

    def _record_sent(self) -> None:
        """Mark what was sent as delivered; raises while the database is unreachable."""
        while self._unrecorded:
            name, event_ids, alert_ids, at = self._unrecorded[0]
            with self.sessions.begin() as session:
                target = store.register_targets(session, [name])[name]
                store.mark_delivered(session, target, event_ids, alert_ids, at)
            self._unrecorded.pop(0)

    def _failed(
        self, name: str, event_ids: list[int], alert_ids: list[int], exc: Exception
    ) -> None:
        error = str(exc) or type(exc).__name__
        with self.sessions.begin() as session:
            target = store.register_targets(session, [name])[name]
            delay = min(self.config.retry_base * 2**target.failures, self.config.retry_max)
            retry_at = self.clock() + timedelta(seconds=delay)
            store.mark_failed(session, target, event_ids, alert_ids, error, retry_at, self.clock())
            attempts = target.failures
        log.warning("notification target %s failed (%s); %d pending, attempt %d, retry in %.0fs",
                    name, error, len(event_ids) + len(alert_ids), attempts, delay)  # fmt: skip
