"""What the daemon reads and writes besides crawls: deliveries, health alerts, run summaries.

A target receives the change events and health alerts newer than it is (its cursors start at
the newest ids when it first appears), each marked delivered per target only once sent. The
cursor moves past settled events only once they are ``SETTLE_SECONDS`` old, because on
PostgreSQL a lower event id can commit after a higher one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, aliased

from storage.archive import ensure_source, finish_run, start_run
from storage.models import (
    ChangeEvent,
    CrawlRun,
    HealthAlert,
    NotificationDelivery,
    NotifyTarget,
    Release,
    ReleaseVersion,
    Source,
)
from storage.outcome import decide
from storage.times import jsonable

SETTLE_SECONDS = 300
D = NotificationDelivery


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EventNote:
    """One change event as a notification shows it."""

    id: int
    kind: str
    at: datetime
    source: str
    source_name: str
    url: str
    title: str
    published: date | None
    diff: dict[str, Any] | None
    release_id: int
    version: int | None  # the version the event made current (or removed)
    previous_version: int | None  # the version current before it, in time
    body: str | None = None  # the text of ``version`` and of ``previous_version``,
    previous_body: str | None = None  # when loaded (with_bodies): messages and watches

    def data(self) -> dict[str, Any]:
        """The event as webhooks receive it (docs/json.md); ``id`` is stable across retries."""
        return {
            "id": self.id, "kind": self.kind, "at": self.at, "source": self.source,
            "source_name": self.source_name, "release_id": self.release_id, "url": self.url,
            "title": self.title, "published": self.published, "version": self.version,
            "previous_version": self.previous_version, "diff": self.diff,
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return jsonable(self.data())


@dataclass(frozen=True)
class AlertNote:
    id: int
    kind: str  # failing | recovered
    at: datetime
    source: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return jsonable({"id": self.id, "kind": self.kind, "at": self.at,
                         "source": self.source, "detail": self.detail})  # fmt: skip


# --- targets and deliveries ---------------------------------------------------------------


def register_targets(session: Session, names: Iterable[str]) -> dict[str, NotifyTarget]:
    """The targets by name, creating new ones with cursors at the newest event and alert."""
    wanted = list(names)
    found = {
        t.name: t
        for t in session.scalars(select(NotifyTarget).where(NotifyTarget.name.in_(wanted)))
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        event_max = session.scalar(select(func.max(ChangeEvent.id))) or 0
        alert_max = session.scalar(select(func.max(HealthAlert.id))) or 0
        for name in missing:
            found[name] = NotifyTarget(
                name=name, created_at=_now(), event_cursor=event_max, alert_cursor=alert_max,
                failures=0,
            )  # fmt: skip
            session.add(found[name])
        session.flush()
    return found


def _undelivered(target_id: int, column: Any) -> Any:
    """No delivered row for this target and the event (or alert) ``column`` points at."""
    link = D.event_id if column is ChangeEvent.id else D.alert_id
    delivered = select(D.id).where(
        D.target_id == target_id, link == column, D.delivered_at.is_not(None)
    )
    return ~delivered.exists()


def _event_rows() -> Select[Any]:
    """Change events with what a note shows of them; callers add filters, order and limit."""
    version = aliased(ReleaseVersion)
    current = aliased(ReleaseVersion)
    earlier, earlier_version = aliased(ChangeEvent), aliased(ReleaseVersion)
    previous = (
        select(earlier_version.number)
        .join(earlier, earlier.version_id == earlier_version.id)
        .where(earlier.release_id == ChangeEvent.release_id, earlier.id < ChangeEvent.id)
        .order_by(earlier.id.desc())
        .limit(1)
        .correlate(ChangeEvent)
        .scalar_subquery()
    )
    return (
        select(
            ChangeEvent,
            Release.url,
            Source.key,
            Source.name,
            version.title,
            version.published,
            current.title,
            current.published,
            version.number,
            previous,
        )  # fmt: skip
        .join(Release, Release.id == ChangeEvent.release_id)
        .join(Source, Source.id == Release.source_id)
        .outerjoin(version, version.id == ChangeEvent.version_id)
        .outerjoin(current, current.id == Release.current_version_id)
    )


def _notes(session: Session, query: Select[Any]) -> list[EventNote]:
    return [
        EventNote(
            e.id,
            e.kind,
            e.at,
            key,
            name,
            url,
            vt or ct or url,
            vp or cp,
            e.diff,
            e.release_id,
            number,
            before,
        )  # fmt: skip
        for e, url, key, name, vt, vp, ct, cp, number, before in session.execute(query)
    ]


def pending_events(
    session: Session, target: NotifyTarget, kinds: Iterable[str], limit: int
) -> list[EventNote]:
    """The oldest undelivered events of ``kinds`` for ``target``."""
    return event_notes(
        session,
        ChangeEvent.id > target.event_cursor,
        ChangeEvent.kind.in_(list(kinds)),
        _undelivered(target.id, ChangeEvent.id),
        limit=limit,
    )


def event_notes(session: Session, *where: Any, limit: int | None = None) -> list[EventNote]:
    """The change events meeting every condition in ``where``, oldest first."""
    return _notes(session, _event_rows().where(*where).order_by(ChangeEvent.id).limit(limit))


def recent_events(
    session: Session, *, source: str | None = None, kind: str | None = None,
    releases: Iterable[int] | None = None, limit: int = 50,
) -> list[EventNote]:  # fmt: skip
    """The newest events first, of one source, one kind or some releases when given."""
    query = _event_rows()
    if source:
        source_id = session.scalar(select(Source.id).where(Source.key == source))
        # "+ 0" keeps the planner on the events' time index, newest first until the limit,
        # rather than gathering every event of the source to sort them (SQLite: 170 ms → 2 ms
        # at 100,000 releases).
        query = query.where((Release.source_id + 0) == source_id)
    if kind:
        query = query.where(ChangeEvent.kind == kind)
    if releases is not None:
        query = query.where(ChangeEvent.release_id.in_(list(releases)))
    return _notes(
        session, query.order_by(ChangeEvent.at.desc(), ChangeEvent.id.desc()).limit(limit)
    )


def pending_alerts(session: Session, target: NotifyTarget) -> list[AlertNote]:
    rows = session.execute(
        select(HealthAlert, Source.key)
        .join(Source, Source.id == HealthAlert.source_id)
        .where(
            HealthAlert.id > target.alert_cursor,
            _undelivered(target.id, HealthAlert.id),
        )
        .order_by(HealthAlert.id)
    ).all()
    return [AlertNote(a.id, a.kind, a.at, key, a.detail) for a, key in rows]


def _upsert(
    session: Session, target_id: int, event_ids: list[int], alert_ids: list[int],
    values: dict[str, Any], attempt: bool = True,
) -> None:  # fmt: skip
    for column, ids in ((D.event_id, event_ids), (D.alert_id, alert_ids)):
        if not ids:
            continue
        existing = {
            getattr(row, column.key): row
            for row in session.scalars(select(D).where(D.target_id == target_id, column.in_(ids)))
        }
        for ident in ids:
            row = existing.get(ident)
            if row is None:
                row = D(target_id=target_id, attempts=0, **{column.key: ident})
                session.add(row)
            row.attempts = (row.attempts or 0) + int(attempt)
            for name, value in values.items():
                setattr(row, name, value)
    session.flush()


def mark_delivered(
    session: Session, target: NotifyTarget, event_ids: list[int], alert_ids: list[int],
    now: datetime | None = None,
) -> None:  # fmt: skip
    at = now or _now()
    _upsert(session, target.id, event_ids, alert_ids,
            {"delivered_at": at, "last_attempt_at": at, "last_error": None})  # fmt: skip
    target.failures, target.retry_at, target.last_error = 0, None, None


def mark_passed(
    session: Session, target: NotifyTarget, event_ids: list[int], alert_ids: list[int] = (),
    now: datetime | None = None,
) -> None:  # fmt: skip
    """Settle what the target does not want (its watch, its ``health``): delivered, with no
    attempt made."""
    _upsert(session, target.id, event_ids, list(alert_ids), {"delivered_at": now or _now()},
            attempt=False)  # fmt: skip


def with_bodies(session: Session, events: list[EventNote]) -> list[EventNote]:
    """The events with the bodies of their version and of the version before it."""
    wanted = {(e.release_id, n) for e in events for n in (e.version, e.previous_version) if n}
    rows = session.execute(
        select(ReleaseVersion.release_id, ReleaseVersion.number, ReleaseVersion.body).where(
            tuple_(ReleaseVersion.release_id, ReleaseVersion.number).in_(sorted(wanted))
        )
    ) if wanted else []  # fmt: skip
    bodies = {(r, n): body for r, n, body in rows}
    return [
        replace(
            e,
            body=bodies.get((e.release_id, e.version or 0)),
            previous_body=bodies.get((e.release_id, e.previous_version or 0)),
        )  # fmt: skip
        for e in events
    ]


def delivery_attempts(
    session: Session, target: NotifyTarget, event_ids: list[int]
) -> dict[int, tuple[int, str | None]]:
    """Attempts and last error of each event sent to ``target`` and not yet delivered."""
    rows = session.execute(
        select(D.event_id, D.attempts, D.last_error).where(
            D.target_id == target.id, D.event_id.in_(event_ids)
        )
    )
    return {event_id: (attempts, error) for event_id, attempts, error in rows}


def mark_failed(
    session: Session, target: NotifyTarget, event_ids: list[int], alert_ids: list[int],
    error: str, retry_at: datetime, now: datetime | None = None,
) -> None:  # fmt: skip
    _upsert(session, target.id, event_ids, alert_ids,
            {"last_attempt_at": now or _now(), "last_error": error[:2000]})  # fmt: skip
    target.failures += 1
    target.retry_at, target.last_error = retry_at, error[:2000]


def advance_cursors(
    session: Session, target: NotifyTarget, kinds: Iterable[str], now: datetime | None = None
) -> None:
    """Move the target's cursors over settled (delivered or unwanted) events and alerts."""
    settled_before = (now or _now()) - timedelta(seconds=SETTLE_SECONDS)
    first_open = session.scalar(
        select(func.min(ChangeEvent.id)).where(
            ChangeEvent.id > target.event_cursor,
            or_(
                ChangeEvent.at >= settled_before,
                ChangeEvent.kind.in_(list(kinds)) & _undelivered(target.id, ChangeEvent.id),
            ),
        )  # fmt: skip
    )
    if first_open is not None:
        target.event_cursor = max(target.event_cursor, first_open - 1)
    else:
        target.event_cursor = session.scalar(select(func.max(ChangeEvent.id))) or 0
    first_alert = session.scalar(
        select(func.min(HealthAlert.id)).where(
            HealthAlert.id > target.alert_cursor,
            or_(HealthAlert.at >= settled_before, _undelivered(target.id, HealthAlert.id)),
        )  # fmt: skip
    )
    if first_alert is not None:
        target.alert_cursor = max(target.alert_cursor, first_alert - 1)
    else:
        target.alert_cursor = session.scalar(select(func.max(HealthAlert.id))) or 0


def pending_count(session: Session, target: NotifyTarget, kinds: Iterable[str]) -> int:
    events = session.scalar(
        select(func.count(ChangeEvent.id)).where(
            ChangeEvent.id > target.event_cursor,
            ChangeEvent.kind.in_(list(kinds)),
            _undelivered(target.id, ChangeEvent.id),
        )  # fmt: skip
    )
    alerts = session.scalar(
        select(func.count(HealthAlert.id)).where(
            HealthAlert.id > target.alert_cursor,
            _undelivered(target.id, HealthAlert.id),
        )
    )
    return (events or 0) + (alerts or 0)


# --- crawl runs and health ----------------------------------------------------------------


FINISHED = ("ok", "unhealthy", "failed")  # runs that did their job or ended on their own


def last_finished(session: Session, source: str) -> datetime | None:
    """When the newest run of ``source`` that ran to its end started (schedules count from it).

    A run still ``running`` or ``aborted`` (stopped, or found dead) is not counted: a source
    whose crawl died is due again, not an interval after the dead run's start.
    """
    return session.scalar(
        select(func.max(CrawlRun.started_at))
        .join(Source)
        .where(Source.key == source, CrawlRun.status.in_(FINISHED))
    )


def _close(
    session: Session, run: CrawlRun, counts: dict[str, Any], ended: datetime, *,
    failure: str | None = None, aborted: str | None = None,
) -> None:  # fmt: skip
    """Close ``run`` with the outcome its counts, its own reason and the process call for."""
    counts = {**counts, **(run.counts or {})}
    outcome = decide(counts, ended=failure, aborted=aborted)
    parts = f"{outcome.reason or ''}; {run.health or ''}".split("; ")
    health = "; ".join(dict.fromkeys(x for x in parts if x)) or None
    finish_run(session, run.id, counts, status=outcome.status, coverage=run.coverage,
               health=health, now=ended)  # fmt: skip
    session.refresh(run)


def settle_run(
    session: Session, source: str, started: datetime, ended: datetime, counts: dict[str, int],
    *, pid: int | None, run_id: int | None = None, failure: str | None = None,
    aborted: str | None = None, job: str | None = None, node: str | None = None,
) -> CrawlRun:  # fmt: skip
    """Close the crawl's run after its process ended, and return it.

    The crawl's run is ``run_id`` when the crawl reported it, else the run of its Scrapyd
    ``job``, else the run its process (``pid`` on this host, since ``started``) opened.
    ``failure``: the process crashed or was killed; ``aborted``: a user stopped it. A run the
    crawl left open is failed (it could not record its end); when the crawl opened none, a
    failed (or aborted) run is written. ``node``: the Scrapyd node it ran on, recorded.
    """
    query = select(CrawlRun).join(Source).where(Source.key == source).order_by(CrawlRun.id)
    if run_id is not None:
        query = query.where(CrawlRun.id == run_id)
    elif job is not None:
        query = query.where(CrawlRun.job == job)
    else:
        query = query.where(CrawlRun.pid == pid, CrawlRun.host == socket.gethostname(),
                            CrawlRun.started_at >= started)  # fmt: skip
    runs = list(session.scalars(query))
    if not runs:
        ensure_source(session, source)
        run = session.get_one(CrawlRun, start_run(session, source, now=started, job=job))
        run.node = node
        _close(session, run, counts, ended, aborted=aborted,
               failure=failure or "the crawl recorded no run (see its log)")  # fmt: skip
        return run
    for run in runs:
        run.node = node or run.node
        if aborted and run.status != "aborted":
            _close(session, run, counts, ended, aborted=aborted)
        elif run.status == "running" or (failure and run.status != "failed"):
            # A killed crawl may still close its run on the way out: a cut-short run is failed.
            _close(session, run, counts, ended,
                   failure=failure or "the crawl could not record its end")  # fmt: skip
    return runs[-1]


def run_of_job(session: Session, job: str) -> CrawlRun | None:
    """The run a crawl started as Scrapyd job ``job`` opened, if it did."""
    return session.scalar(select(CrawlRun).where(CrawlRun.job == job).order_by(CrawlRun.id))


def abort_stale_runs(
    session: Session, host: str, alive: Callable[[int], bool], timeouts: dict[str, float],
    now: datetime | None = None, locked: Callable[[str], bool] | None = None,
) -> list[CrawlRun]:  # fmt: skip
    """Mark ``running`` runs whose process is gone aborted, and return them.

    Gone: a process of this ``host`` that is no longer ``alive``; a run of another host
    (a Scrapyd node) whose source's crawl lock nobody holds (``locked``,
    storage.source_lock); or a run older than its source's timeout (in ``timeouts``, seconds).
    """
    now = now or _now()
    stale = []
    rows = session.execute(
        select(CrawlRun, Source.key).join(Source).where(CrawlRun.status == "running")
    ).all()
    for run, key in rows:
        timeout = timedelta(seconds=timeouts.get(key, max(timeouts.values(), default=3600)))
        if run.host == host and run.pid is not None and not alive(run.pid):
            why = f"found dead: process {run.pid} on {host} is gone"
        elif run.host != host and locked is not None and not locked(key):
            why = f"found dead: no crawl of {key} holds its lock (run of {run.host})"
        elif run.started_at + timeout < now:
            why = f"found dead: still running after its {timeout.total_seconds():g}s timeout"
        else:
            continue
        _close(session, run, {}, now, aborted=why)
        stale.append(run)
    return stale


def recent_statuses(session: Session, source_id: int, n: int) -> list[CrawlRun]:
    """The newest ``n`` finished runs of a source, newest first (aborted ones say nothing)."""
    return list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == source_id, CrawlRun.status.in_(FINISHED))
            .order_by(CrawlRun.id.desc())
            .limit(n)
        )
    )


def last_alert(session: Session, source_id: int) -> HealthAlert | None:
    return session.scalar(
        select(HealthAlert)
        .where(HealthAlert.source_id == source_id)
        .order_by(HealthAlert.id.desc())
        .limit(1)  # fmt: skip
    )


def add_alert(
    session: Session, source_id: int, kind: str, run_id: int | None, detail: str,
    now: datetime | None = None,
) -> HealthAlert:  # fmt: skip
    alert = HealthAlert(
        source_id=source_id, kind=kind, run_id=run_id, at=now or _now(), detail=detail
    )
    session.add(alert)
    session.flush()
    return alert


def source_id(session: Session, key: str) -> int | None:
    return session.scalar(select(Source.id).where(Source.key == key))


def archive_totals(session: Session) -> dict[str, int]:
    releases = dict(
        session.execute(select(Release.status, func.count()).group_by(Release.status)).all()
    )
    return {
        "releases": sum(releases.values()),
        "active": releases.get("active", 0),
        "removed": releases.get("removed", 0),
        "versions": session.scalar(select(func.count(ReleaseVersion.id))) or 0,
        "events": session.scalar(select(func.count(ChangeEvent.id))) or 0,
        "runs": session.scalar(select(func.count(CrawlRun.id))) or 0,
    }


def reset_target_backoff(session: Session, names: Iterable[str]) -> None:
    """Let every target be tried at once (a restart after an outage should not wait)."""
    session.execute(
        update(NotifyTarget).where(NotifyTarget.name.in_(list(names))).values(retry_at=None)
    )
