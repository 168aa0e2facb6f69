"""`presswatch notify test` and `presswatch notify pending`: try a target, see what waits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from presswatch.config import Config, TargetConfig
from presswatch.context import Context, pass_context
from presswatch.sources import CONFIG_OPTION, read_config
from scheduler.digest import next_end
from scheduler.watch import needs_text, wanted
from storage import notifications as store
from storage.notifications import EventNote

RECENT = 200  # recent events looked through for one a target would get
SHOWN = 1000  # pending events listed at most per target


@click.group()
def notify() -> None:
    """Try a notification target, or see what waits to be sent."""


def _target(config: Config, name: str) -> TargetConfig:
    for target in config.notify.targets:
        if target.name == name:
            return target
    names = ", ".join(t.name for t in config.notify.targets)
    raise click.ClickException(f"no notification target {name!r} (configured: {names})")


def _archive(obj: Context, config: Config) -> Context:
    return Context(obj.db or config.database, obj.local_time)


def _sample(obj: Context, config: Config, target: TargetConfig) -> tuple[list[EventNote], str]:
    """The newest event the target would get, else made-up ones; and which it is."""
    from scheduler.messages import sample_events

    with _archive(obj, config).session() as session:
        recent = store.recent_events(session, limit=RECENT)
        recent = [e for e in recent if e.kind in target.kinds]
        recent = store.with_bodies(session, recent)
    found = next((e for e in recent if wanted(target.watch, e)), None)
    if found is not None:
        return [found], f"event {found.id} ({found.kind}: {found.title})"
    samples = [e for e in sample_events() if e.kind in target.kinds]
    return samples, f"{len(samples)} sample events (no recent event of its kinds and watch)"


@notify.command("test")
@CONFIG_OPTION
@click.argument("target_name", metavar="TARGET")
@pass_context
def test_command(obj: Context, config_path: Path | None, target_name: str) -> None:
    """Send a sample message (the newest matching event, if any) to TARGET and say what happened.

    Nothing is recorded: the event stays pending for the daemon as before.
    """
    from scheduler.notify import DeliveryError, make_sender

    config = read_config(config_path)
    target = _target(config, target_name)
    events, what = _sample(obj, config, target)
    click.echo(f"{target.name} ({target.type}): sending {what}")
    with _apprise_log() as lines:
        try:
            answer = make_sender(target, config.notify.web_url).send(events, [])
        except DeliveryError as exc:
            said = f" — Apprise: {lines[-1]}" if lines else ""
            raise click.ClickException(f"{target.name}: not delivered: {exc}{said}") from None
    click.echo(f"{target.name}: delivered — {answer}")


@contextmanager
def _apprise_log() -> Iterator[list[str]]:
    """Apprise's warning and error lines while sending: its own word on a failure."""
    lines: list[str] = []
    handler = _ListHandler(lines)
    logging.getLogger("apprise").addHandler(handler)
    try:
        yield lines
    finally:
        logging.getLogger("apprise").removeHandler(handler)


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(" ".join(record.getMessage().split()))


def pending_data(obj: Context, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Per target: why it waits, and its pending events with their attempts and last error."""
    with _archive(obj, config).session() as session:
        names = [t.name for t in config.notify.targets]
        found = store.register_targets(session, names)
        out = []
        for t in config.notify.targets:
            row = found[t.name]
            events = store.pending_events(session, row, t.kinds, SHOWN)
            more = len(events) >= SHOWN
            if needs_text(t.watch):
                events = store.with_bodies(session, events)
            events = [e for e in events if wanted(t.watch, e)]
            tries = store.delivery_attempts(session, row, [e.id for e in events])
            pending = [
                {"id": e.id, "kind": e.kind, "at": e.at, "source": e.source,
                 "title": e.title, "attempts": tries.get(e.id, (0, None))[0],
                 "last_error": tries.get(e.id, (0, None))[1]}
                for e in events
            ]  # fmt: skip
            out.append({
                "name": t.name, "type": t.type, "pending": len(pending),
                "more": more, "failures": row.failures,
                "retry_at": row.retry_at, "last_error": row.last_error,
                "why": _why(t, row.retry_at, row.failures, row.last_error, pending, now,
                            config.notify.check_every),
                "events": pending,
            })  # fmt: skip
        session.rollback()  # a target seen here first is the daemon's to register
    return out


def _why(
    target: TargetConfig, retry_at: datetime | None, failures: int, error: str | None,
    pending: list[Any], now: datetime, check_every: float,
) -> str:  # fmt: skip
    if not pending:
        return "nothing waits"
    if target.digest and (end := next_end(target.digest, min(e["at"] for e in pending))) > now:
        return (f"collected for the {target.digest.period} digest, "
                f"which goes out at {end.isoformat(timespec='minutes')}")  # fmt: skip
    if retry_at and retry_at > now:
        return (f"the target failed {failures} times (last: {error}); "
                f"the daemon retries it at {retry_at.isoformat(timespec='seconds')}")  # fmt: skip
    return f"sent at the daemon's next check (every {check_every:g}s) while it runs"


@notify.command("pending")
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def pending_command(obj: Context, config_path: Path | None, as_json: bool) -> None:
    """What waits to be sent to each target, and why."""
    config = read_config(config_path)
    data = pending_data(obj, config, datetime.now(UTC))
    if as_json:
        obj.emit_json(data)
        return
    for t in data:
        more = "+" if t["more"] else ""
        click.echo(f"{t['name']} ({t['type']}): {t['pending']}{more} pending — {t['why']}")
        for e in t["events"]:
            tried = f", {e['attempts']} attempts, last: {e['last_error']}" if e["attempts"] else ""
            click.echo(f"  {e['id']} [{e['kind']}] {e['source']}: {e['title']} "
                       f"({obj.time(e['at'])}{tried})")  # fmt: skip
