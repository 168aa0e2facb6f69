"""The daemon: every enabled source recrawled on its schedule, for months, unattended.

APScheduler 3 (BackgroundScheduler; the main thread waits for a signal) runs one job per
source, at most one at a time (max_instances=1), late runs coalesced into one. Each run is a
`scrapy crawl` subprocess (scheduler.runner) or a job on a Scrapyd node (scheduler.scrapyd,
``daemon.backend = "scrapyd"``) with the source's timeout; when the process is
killed or crashes, the run it left open, or a new one, is recorded as failed
(storage.outcome); runs left ``running`` by a daemon or crawl that died are marked aborted
at start. When a source is due comes from its newest finished CrawlRun, not from a job
store: a daemon that was down makes a missed run up once at start, and a manual `presswatch
crawl` counts as a run. After each run the pending notifications are sent (scheduler.notify)
and the source's health is checked (scheduler.health). Design notes: docs/daemon.md.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor as Pool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from platformdirs import user_log_path
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.health import check_health
from scheduler.lock import ArchiveLock, DaemonRunning
from scheduler.notify import Notifier
from scheduler.options import Config, SourceConfig
from scheduler.runner import CrawlOptions, CrawlResult, LocalBackend
from storage import notifications as store
from storage.db import DatabaseError, archive_id, make_engine, upgrade
from storage.source_lock import SourceLock

log = logging.getLogger("presswatch.daemon")
KEEP_LOGS = 10  # crawl logs kept per source
FINAL_FLUSH_BOUND = 5.0  # seconds the last notifications may take at shutdown
KILL_BOUND = 12.0  # seconds stop_crawl may take (SIGTERM, 5 s, SIGKILL, 5 s) plus margin
SUMMARY = ("items", "new", "changed", "restored", "removed", "missing", "not_modified", "errors")


def _now() -> datetime:
    return datetime.now(UTC)


def _brief(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def cron_trigger(expr: str, jitter: float | None = None, timezone: str = "UTC") -> CronTrigger:
    trigger = CronTrigger.from_crontab(expr, timezone=timezone)
    trigger.jitter = int(jitter) if jitter else None
    return trigger


def due_time(source: SourceConfig, last: datetime | None, now: datetime) -> datetime:
    """When ``source`` is next due after a run started at ``last`` (None: never ran: now)."""
    if last is None:
        return now
    if source.schedule.cron:
        after = last + timedelta(seconds=1)  # the next fire time strictly after the last run
        trigger = cron_trigger(source.schedule.cron, timezone=source.schedule.timezone)
        nxt = trigger.get_next_fire_time(None, after)
        return nxt.astimezone(UTC) if nxt else now
    return last + timedelta(seconds=source.schedule.interval or 0)


class CrawlBackend(Protocol):
    """Runs one crawl to its end (scheduler.runner.LocalBackend, scheduler.scrapyd)."""

    retries: int  # further tries of a crawl whose job was lost (its node died)

    def run(
        self,
        source: str,
        options: CrawlOptions,
        log_path: Path,
        timeout: float | None = None,
        on_start: Callable[[Callable[[], None]], None] | None = None,
        avoid: set[str] | None = None,
    ) -> CrawlResult: ...

    def close(self) -> None: ...


@dataclass
class RunEnd:
    """How a crawl process ended, kept to be written when the database is back."""

    key: str
    started: datetime
    ended: datetime
    counts: dict[str, int]
    pid: int | None
    run_id: int | None = None
    failure: str | None = None
    aborted: str | None = None
    job: str | None = None
    node: str | None = None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:  # the state after the command name: Z is a zombie nobody reaped yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass
class RunReport:
    source: str
    status: str  # ok | unhealthy | failed | aborted | unrecorded
    seconds: float
    delay: float | None  # start minus due time
    counts: dict[str, Any]


class Daemon:
    """The scheduler over one archive; ``run()`` until a signal, ``run_once()`` for cron."""

    def __init__(
        self, config: Config, db_url: str | None = None, log_dir: Path | None = None
    ) -> None:
        self.config = config
        self.db_url = db_url or config.database
        self.log_dir = (
            log_dir or config.daemon.log_dir or user_log_path("presswatch", appauthor=False)
        )
        self.stop = threading.Event()
        self.engine: Engine | None = None
        self.sessions: sessionmaker[Session] | None = None
        self.notifier: Notifier | None = None
        self.lock: ArchiveLock | None = None
        self.backend: CrawlBackend | None = None
        self._procs: dict[str, Callable[[], None]] = {}  # how to stop each running crawl
        self._stopped: set[str] = set()  # sources whose crawl the daemon stopped
        self._delay: dict[str, float] = {}  # seconds from due time to submission, per source
        self._active = 0
        self._lock = threading.Lock()
        self._unrecorded: list[RunEnd] = []
        self.reports: list[RunReport] = []
        self.on_report: Callable[[RunReport], None] | None = None

    # --- the archive ----------------------------------------------------------------------

    def open(self) -> None:
        """Open and migrate the archive and take its daemon lock (scheduler/lock.py).

        Raises DatabaseError when the archive cannot be reached, DaemonRunning when another
        daemon holds the lock.
        """
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if (self.db_url or "").startswith("postgresql"):
            kwargs["connect_args"] = {"connect_timeout": 10}
        engine = make_engine(self.db_url, **kwargs)
        try:
            upgrade(engine)
            self.lock = ArchiveLock(engine)
            self.lock.acquire()  # DaemonRunning: another daemon runs on this archive
            self.sessions = sessionmaker(engine, expire_on_commit=False)
            self._abort_stale_runs(engine)
            self.backend = self._make_backend(engine)
            self.notifier = Notifier(self.sessions, self.config.notify)
            self.notifier.start()
        except SQLAlchemyError as exc:
            self.close(engine)
            raise DatabaseError(f"cannot reach the database: {_brief(exc)}") from exc
        except (DatabaseError, DaemonRunning):
            self.close(engine)
            raise
        self.engine = engine

    def _make_backend(self, engine: Engine) -> CrawlBackend:
        if self.config.daemon.backend != "scrapyd":
            return LocalBackend()
        from scheduler.scrapyd import ScrapydBackend  # httpx only where it is needed

        archive = archive_id(engine)
        assert archive is not None  # migration 0009 gave the archive its id
        return ScrapydBackend(self.config.daemon.scrapyd, engine, archive, self.stop)

    def open_patiently(self) -> bool:
        """Open the archive, retrying with backoff until it answers or the daemon stops."""
        delay = 2.0
        while not self.stop.is_set():
            try:
                self.open()
                return True
            except DatabaseError as exc:
                log.error("%s; retrying in %.0fs", exc, delay)
                self.stop.wait(delay)
                delay = min(delay * 2, 300)
        return False

    def due(self, source: SourceConfig, now: datetime | None = None) -> datetime:
        assert self.sessions is not None
        now = now or _now()
        with self.sessions() as session:
            return due_time(source, store.last_finished(session, source.key), now)

    def _abort_stale_runs(self, engine: Engine) -> None:
        """Runs left ``running`` by processes that are gone (a kill -9, a container kill)."""
        assert self.sessions is not None
        timeouts = {s.key: s.timeout for s in self.config.sources.values()}
        host = socket.gethostname()
        with self.sessions.begin() as session:
            for run in store.abort_stale_runs(
                session, host, _alive, timeouts, locked=lambda k: SourceLock(engine, k).held()
            ):
                log.warning("run %s of %s aborted: %s", run.id, run.source.key, run.health)

    # --- one run --------------------------------------------------------------------------

    def crawl_options(self, source: SourceConfig) -> CrawlOptions:
        return CrawlOptions(
            replay=self.config.daemon.replay, db=self.db_url, max_pages=source.max_pages,
            settings=source.crawl_settings(),
        )  # fmt: skip

    def run_source(self, key: str) -> RunReport | None:
        """Crawl one source, record the outcome, send notifications, check health."""
        if self.stop.is_set():
            return None
        source = self.config.sources[key]
        started_mono = time.monotonic()
        started = _now()
        with self._lock:
            self._active += 1
        try:
            self._record_unrecorded()
            assert self.backend is not None
            delay = self._delay.pop(key, None)  # the listener has long run by now
            avoid: set[str] = set()
            for attempt in range(self.backend.retries + 1):
                result = self.backend.run(
                    key, self.crawl_options(source), self._log_path(key), timeout=source.timeout,
                    on_start=lambda stop: self._procs.__setitem__(key, stop), avoid=avoid,
                )  # fmt: skip
                self._procs.pop(key, None)
                report = self._settle(key, source, result, started)
                report.delay = delay
                report.seconds = time.monotonic() - started_mono
                self._log_report(report, result)
                self.reports.append(report)
                if self.on_report:
                    self.on_report(report)
                if not result.lost or attempt == self.backend.retries or self.stop.is_set():
                    break
                log.warning("%s: retrying on another node (%s)", key, result.failure)
                avoid.add(result.node or "")
                started_mono, started = time.monotonic(), _now()
            self.flush()
            return report
        finally:
            with self._lock:
                self._active -= 1

    def _settle(
        self, key: str, source: SourceConfig, result: CrawlResult, started: datetime
    ) -> RunReport:
        end = RunEnd(key, started, _now(), result.counts, result.pid, result.run_id,
                     job=result.job, node=result.node)  # fmt: skip
        if result.returncode is None:
            end.failure = result.failure or f"killed after its {source.timeout:g}s timeout"
        elif key in self._stopped and result.progress.status is None:
            end.aborted = "stopped at shutdown"  # one that closed its run recorded it (aborted)
        elif result.failure:
            end.failure = result.failure
        elif not result.ok:
            end.failure = f"crawl exited with {result.returncode}; log: {result.log_path}"
        try:
            status, counts = self._write_run(end)
        except SQLAlchemyError as exc:
            log.error("%s: database unreachable, run not recorded yet (%s)", key, _brief(exc))
            self._unrecorded.append(end)
            status, counts = "unrecorded", result.counts
        return RunReport(key, status, result.seconds, None, counts)

    def _write_run(self, end: RunEnd) -> tuple[str, dict[str, Any]]:
        assert self.sessions is not None
        with self.sessions.begin() as session:
            run = store.settle_run(
                session, end.key, end.started, end.ended, end.counts, pid=end.pid,
                run_id=end.run_id, failure=end.failure, aborted=end.aborted, job=end.job,
                node=end.node,
            )  # fmt: skip
            check_health(session, end.key, self.config.daemon.health_after)
            return run.status, dict(run.counts or {})

    def _record_unrecorded(self) -> None:
        """Settle the runs that ended while the database was unreachable, as they ended."""
        while self._unrecorded:
            try:
                self._write_run(self._unrecorded[0])
            except SQLAlchemyError:
                return
            self._unrecorded.pop(0)

    def _log_path(self, key: str) -> Path:
        """This run's log file; older logs of the source beyond KEEP_LOGS are deleted."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for old in sorted(self.log_dir.glob(f"{key}-*.log"))[: -KEEP_LOGS + 1]:
            old.unlink(missing_ok=True)
        return self.log_dir / f"{key}-{_now().strftime('%Y%m%dT%H%M%S-%fZ')}.log"  # UTC

    def _log_report(self, report: RunReport, result: CrawlResult) -> None:
        counts = ", ".join(f"{report.counts[k]} {k}" for k in SUMMARY if report.counts.get(k))
        late = f", {report.delay:.3f}s after due" if report.delay is not None else ""
        level = logging.INFO if report.status == "ok" else logging.WARNING
        log.log(level, "%s run %s in %.1fs%s: %s%s", report.source, report.status, report.seconds,
                late, counts or "nothing", "" if result.ok else f" (log: {result.log_path})")  # fmt: skip

    def flush(self) -> None:
        """Send pending notifications; a database or target failure waits for the next try."""
        if self.notifier is None:
            return
        try:
            self.notifier.flush(self.stop)
        except SQLAlchemyError as exc:
            log.error("notifications wait: database unreachable (%s)", _brief(exc))

    # --- scheduling -----------------------------------------------------------------------

    def build_scheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.config.daemon.max_parallel),
                       "notify": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )  # fmt: skip
        now = _now()
        for source in self.config.enabled_sources():
            schedule = source.schedule
            first = max(self.due(source, now), now)  # a missed run is made up once, now
            if schedule.cron:
                trigger: Any = cron_trigger(schedule.cron, schedule.jitter, schedule.timezone)
            else:
                trigger = IntervalTrigger(
                    seconds=schedule.interval, start_date=first, jitter=int(schedule.jitter) or None
                )
            scheduler.add_job(self.run_source, trigger, args=[source.key], id=source.key,
                              name=source.key, next_run_time=first)  # fmt: skip
            log.info(
                "%s: %s, next run %s",
                source.key,
                schedule.describe(),
                first.isoformat(timespec="seconds"),
            )
        scheduler.add_job(self.flush, IntervalTrigger(seconds=self.config.notify.check_every),
                          id="notify", executor="notify")  # fmt: skip
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        return scheduler

    def _submitted(self, event: JobSubmissionEvent) -> None:
        if event.job_id in self.config.sources and event.scheduled_run_times:
            due = event.scheduled_run_times[-1]
            self._delay[event.job_id] = (_now() - due).total_seconds()

    def run(self) -> int:
        """Run until SIGINT or SIGTERM; 0 after a clean stop."""
        self._install_signals()
        if not self.open_patiently():
            return 0
        sources = self.config.enabled_sources()
        if not sources:
            log.warning("no source is enabled; nothing to do")
        scheduler = self.build_scheduler()
        scheduler.start()
        log.info("daemon started: %d sources, pid %d", len(sources), os.getpid())
        self.stop.wait()
        scheduler.shutdown(wait=False)
        return self.shutdown()

    def run_once(self) -> int:
        """Run every due source once, side by side, then send notifications.

        0 when every run was ok, 1 when one was unhealthy, failed or not recorded, 130 when
        a signal stopped it.
        """
        self._install_signals()
        self.open()
        threading.Thread(target=self._stop_after_grace, daemon=True).start()
        now = _now()
        due = [s.key for s in self.config.enabled_sources() if self.due(s, now) <= now]
        log.info("due now: %s", ", ".join(due) or "nothing")
        if due:
            with Pool(max_workers=self.config.daemon.max_parallel) as pool:
                reports = list(pool.map(self.run_source, due))
        else:
            reports = []
        self._record_unrecorded()
        self.flush()
        self.close()
        if self.stop.is_set():
            return 130
        return 0 if all(r and r.status == "ok" for r in reports) else 1

    def shutdown(self) -> int:
        """Let running crawls finish within the grace time, then stop them; bounded."""
        grace = self.config.daemon.shutdown_grace
        log.info("stopping: %d crawls running, %gs grace", self._active, grace)
        deadline = time.monotonic() + grace
        while self._active and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._active:
            log.warning("stopping %d crawls that did not finish in time", len(self._procs))
            self._stop_crawls()
            deadline = time.monotonic() + KILL_BOUND
            while self._active and time.monotonic() < deadline:
                time.sleep(0.05)
        if self._active:
            log.error("%d runs did not end in time; exiting anyway", self._active)
            logging.shutdown()
            os._exit(1)
        self._final_flush()
        self.close()
        log.info("stopped")
        return 0

    def _final_flush(self) -> None:
        """One last bounded try at what is pending; the rest waits for the next start."""
        if self.notifier is None:
            return
        thread = threading.Thread(target=self.flush_now, daemon=True)
        thread.start()
        thread.join(timeout=FINAL_FLUSH_BOUND)

    def flush_now(self) -> None:
        try:
            assert self.notifier is not None
            self.notifier.flush()
        except SQLAlchemyError as exc:
            log.error("notifications wait: database unreachable (%s)", _brief(exc))

    def _stop_after_grace(self) -> None:
        self.stop.wait()
        time.sleep(self.config.daemon.shutdown_grace)
        self._stop_crawls()

    def _stop_crawls(self) -> None:
        """Stop every running crawl (in the background); their runs are recorded aborted."""
        for key, stop in list(self._procs.items()):
            self._stopped.add(key)
            threading.Thread(target=stop, daemon=True).start()

    def close(self, engine: Engine | None = None) -> None:
        """Release the archive lock and the engine (``engine``: one that failed to open)."""
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        if engine := engine or self.engine:
            engine.dispose()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handle(signum: int, _frame: Any) -> None:
            if self.stop.is_set():  # a second signal: stop the crawls now
                log.warning("second %s: stopping crawls now", signal.Signals(signum).name)
                self._stop_crawls()
                return
            log.info("%s received", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)
