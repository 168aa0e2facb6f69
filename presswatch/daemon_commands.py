"""`presswatch daemon` and `presswatch status`: scheduled recrawls and how they are doing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from presswatch.config import Config, SourceConfig
from presswatch.context import Context, console, describe_counts, pass_context
from presswatch.sources import CONFIG_OPTION, read_config
from scheduler.lock import ArchiveLock, DaemonRunning
from storage import notifications as store
from storage.db import DatabaseError, display_url
from storage.models import CrawlRun
from storage.queries import RUN_COUNTS, last_run
from storage.times import iso_time

OVERDUE_SLACK = timedelta(minutes=10)  # beyond the crawl timeout, before --check fails


class LogFormatter(logging.Formatter):
    """Log lines stamped with ISO 8601 times and their zone, like every time presswatch shows."""

    def __init__(self, local_time: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.local_time = local_time

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return iso_time(datetime.fromtimestamp(record.created, UTC), self.local_time)


@click.command()
@CONFIG_OPTION
@click.option("--once", is_flag=True, help="Run every due source once, then exit (cron, timers).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info",
              show_default=True)  # fmt: skip
@pass_context
def daemon(obj: Context, config_path: Path | None, once: bool, log_level: str) -> None:
    """Recrawl every enabled source on its schedule and send notifications, until stopped."""
    config = read_config(config_path)
    handler = logging.StreamHandler()
    handler.setFormatter(LogFormatter(obj.local_time))
    logging.basicConfig(level=getattr(logging, log_level.upper()), handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running"
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from scheduler.daemon import Daemon

    runner = Daemon(config, obj.db)
    try:
        code = runner.run_once() if once else runner.run()
    except (DatabaseError, DaemonRunning) as exc:
        raise click.ClickException(str(exc)) from None
    raise SystemExit(code)


def run_json(run: CrawlRun | None) -> dict[str, Any] | None:
    """A run as `status --json` shows it; ``node`` and ``job``: where it ran on Scrapyd."""
    if run is None:
        return None
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
        "seconds": round(seconds, 1) if seconds is not None else None, "status": run.status,
        "healthy": run.status == "ok", "health": run.health,
        "counts": {**dict.fromkeys(RUN_COUNTS, 0), **(run.counts or {})},
        "node": run.node, "job": run.job,
    }  # fmt: skip


def where_ran(run: dict[str, Any]) -> str | None:
    """Where a run ran on Scrapyd: "Scrapyd job JOB on NODE"; None for a local crawl."""
    if not run["job"] and not run["node"]:
        return None
    job = f"Scrapyd job {run['job']}" if run["job"] else "a Scrapyd job"
    return f"{job} on {run['node']}" if run["node"] else job


def _schedule_json(source: SourceConfig) -> dict[str, Any]:
    s = source.schedule
    return {"text": s.describe(), "cron": s.cron, "interval": s.interval if not s.cron else None,
            "jitter": s.jitter, "timezone": s.timezone}  # fmt: skip


def source_status(session: Session, source: SourceConfig, now: datetime) -> dict[str, Any]:
    """One source as `status --json` shows it: schedule, last run, when due, overdue."""
    from scheduler.daemon import due_time

    run = last_run(session, source.key)
    finished = store.last_finished(session, source.key)
    # Due since the last finished run or, when none finished, since the last start:
    # whatever its last run claims, one `running` past its timeout is not fine.
    nxt = due_time(source, finished, now) if finished or not run else run.started_at
    overdue = source.enabled and nxt + timedelta(seconds=source.timeout) + OVERDUE_SLACK < now
    return {
        "key": source.key, "enabled": source.enabled, "schedule": _schedule_json(source),
        "timeout": source.timeout, "last_run": run_json(run),
        "next_run": nxt if source.enabled else None, "overdue": overdue,
    }  # fmt: skip


def status_data(config: Config, db: str | None, now: datetime | None = None) -> dict[str, Any]:
    """Everything `presswatch status` shows; raises DatabaseError when the archive is away."""
    from storage.db import open_archive

    now = now or datetime.now(UTC)
    url = db or config.database
    engine, sessions = open_archive(url)
    try:
        with sessions() as session:
            sources = [source_status(session, source, now) for source in config.sources.values()]
            found = store.register_targets(session, [t.name for t in config.notify.targets])
            targets = [
                {"name": t.name, "type": t.type,
                 "pending": store.pending_count(session, found[t.name], t.kinds),
                 "failures": found[t.name].failures, "last_error": found[t.name].last_error,
                 "retry_at": found[t.name].retry_at}
                for t in config.notify.targets
            ]  # fmt: skip
            totals = store.archive_totals(session)
            session.rollback()  # a target seen here for the first time is the daemon's to register
        daemon_holder = ArchiveLock(engine).holder()
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"database error: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    return {
        "config": str(config.path) if config.path else None,
        "database": display_url(url),
        "now": now,
        "daemon": {"running": daemon_holder is not None, "holder": daemon_holder},
        "sources": sources,
        "notifications": targets,
        "archive": totals,
    }


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    delta = (moment - now).total_seconds()
    if abs(delta) < 60:
        return "now" if delta <= 0 else "in <1m"
    span = _span(abs(delta))
    return f"in {span}" if delta > 0 else f"{span} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _print_status(obj: Context, data: dict[str, Any]) -> None:
    """The sources as a table (tab-separated when piped), then one line per finding."""
    now = data["now"]
    terminal = console.is_terminal

    def moment(value: datetime | None) -> str:  # relative for people, ISO for scripts
        return _when(value, now) if terminal else obj.time(value)

    rows = []
    for s in data["sources"]:
        run = s["last_run"] or {}
        status = run.get("status", "-")
        style = {"ok": "green", "unhealthy": "yellow", "failed": "red"}.get(status, "")
        rows.append((
            s["key"] + ("" if s["enabled"] else " (off)"), s["schedule"]["text"],
            moment(run.get("started_at")),
            f"{run['seconds']:.1f}s" if run.get("seconds") is not None else "-",
            Text(status, style=style), describe_counts(run["counts"]) if run else "-",
            ("overdue " if s["overdue"] else "") + moment(s["next_run"]),
        ))  # fmt: skip
    obj.table(
        ("source", "schedule", "last run", "took", "status", "result", "next run"), rows,
        title=f"presswatch — {data['database']}" if terminal else None, title_justify="left",
    )  # fmt: skip
    out = console if terminal else Console(stderr=True, soft_wrap=True)
    holder = data["daemon"]["holder"]
    out.print(f"daemon: [green]running[/green] ({holder})" if holder else "daemon: not running")
    for s in data["sources"]:
        run = s["last_run"]
        if run and (where := where_ran(run)):
            out.print(f"{s['key']}: last run {run['id']} was {where}", markup=False)
        if run and run["health"]:
            out.print(f"[yellow]{s['key']}[/yellow]: {escape(run['health'])}")
    for t in data["notifications"]:
        extra = f", {t['failures']} failures, last: {t['last_error']}" if t["failures"] else ""
        out.print(f"notify {t['name']} ({t['type']}): {t['pending']} pending{extra}", markup=False)
    a = data["archive"]
    out.print(f"archive: {a['releases']} releases ({a['removed']} removed), "
              f"{a['versions']} versions, {a['events']} events, {a['runs']} runs")  # fmt: skip


@click.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True, help="Exit 1 when a source is overdue (health checks).")
@pass_context
def status(obj: Context, config_path: Path | None, as_json: bool, check: bool) -> None:
    """Each source's schedule, last and next run, pending notifications, archive totals."""
    config = read_config(config_path)
    try:
        data = status_data(config, obj.db)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        obj.emit_json(data)
    else:
        _print_status(obj, data)
    overdue = [s["key"] for s in data["sources"] if s["overdue"]]
    if check and overdue:
        click.echo(f"overdue: {', '.join(overdue)}", err=True)
        raise SystemExit(1)
