"""The scrapyd crawl backend: each crawl a job on one of the configured Scrapyd nodes.

The daemon asks ``ScrapydBackend.run()`` for one crawl and gets the same CrawlResult as
from a local subprocess (scheduler.runner), so recording, health, alerts and notifications
are one code path. A run here:

1. picks the node with the most free slots (its configured ``slots`` minus the running and
   pending jobs ``daemonstatus.json`` reports; ties go to the node used least recently). A
   node that is down or refuses (connection error, 401, 5xx, ``"status": "error"``) is
   skipped and logged; when every node is full it waits, within the source's timeout;
   when none answers the run fails with each node's reason.
2. ``schedule.json`` with a job id of its own, the spider's arguments and the source's
   settings, plus PRESSWATCH_ARCHIVE_ID: the archive's id, which the crawl checks before
   writing. The database URL (with its password) never travels: each node's environment
   carries PRESSWATCH_DATABASE_URL.
3. follows the job with ``status.json`` every ``poll_interval`` (a few bytes, where
   ``listjobs.json`` lists every job the node keeps); past the timeout it is cancelled
   (``cancel.json`` with SIGTERM, then SIGKILL after 5 s).
4. reads the finished job's entry in ``listjobs.json`` once, copies its log from the node
   into the daemon's log folder, and reads the run the crawl opened by its job id
   (``crawl_run.job``).

A job that ended without closing its run (its node or process was killed) is ``lost``: the
daemon records the run failed and tries once more on another node. While its node does not
answer, a job counts as ended once its run is open and its source's lock
(storage.source_lock) is free: the crawl holding it is gone. Docs: docs/daemon.md.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from scheduler.options import NodeConfig, ScrapydConfig
from scheduler.runner import STOP_GRACE, CrawlOptions, CrawlResult, Progress
from storage.notifications import run_of_job
from storage.source_lock import SourceLock

log = logging.getLogger("presswatch.scrapyd")
ARCHIVE_SETTING = "PRESSWATCH_ARCHIVE_ID"  # the same as crawler.pipelines.ARCHIVE_SETTING
LOST_AFTER = 30.0  # seconds a node may be unreachable before a job that opened no run is lost
REFUSED = "crawl refused: "  # the pipeline's log line for a refused crawl


class NodeError(Exception):
    """A node did not do what it was asked; the message is one line."""


class NoNode(Exception):
    """No node could take the job; the message gives each node's reason."""


class Node:
    """One Scrapyd node's JSON API."""

    def __init__(self, config: NodeConfig, timeout: float) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self.client = httpx.Client(base_url=self.url + "/", auth=config.auth, timeout=timeout)

    def call(self, endpoint: str, data: dict[str, Any] | None = None, **params: Any) -> Any:
        """GET (POST with ``data``) one endpoint; its JSON, or NodeError."""
        try:
            if data is None:
                response = self.client.get(endpoint, params=params)
            else:
                response = self.client.post(endpoint, data=data)
        except httpx.HTTPError as exc:
            raise NodeError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code == 401:
            raise NodeError("HTTP 401 Unauthorized: check the node's username and password")
        if response.is_error:
            raise NodeError(f"HTTP {response.status_code} {response.reason_phrase}")
        try:
            answer = response.json()
        except ValueError:
            raise NodeError(f"{endpoint} answered no JSON (is this a Scrapyd node?)") from None
        if answer.get("status") != "ok":
            raise NodeError(f"Scrapyd: {answer.get('message') or answer}".splitlines()[0])
        return answer

    def job_state(self, project: str, job: str) -> str | None:
        """The job's state: pending, running, finished; None: the node does not know it."""
        state: str | None = self.call("status.json", project=project, job=job)["currstate"]
        return state

    def job_entry(self, project: str, job: str) -> dict[str, Any]:
        """The finished job's entry in ``listjobs.json`` (its ``log_url``); {} if none."""
        finished = self.call("listjobs.json", project=project).get("finished", [])
        return next((entry for entry in finished if entry.get("id") == job), {})


class ScrapydBackend:
    """Runs crawls as jobs on Scrapyd nodes; ``retries``: tries more for a lost job."""

    retries = 1

    def __init__(
        self, config: ScrapydConfig, engine: Engine, archive: str, stop: threading.Event
    ) -> None:
        self.config = config
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.archive = archive
        self.stop = stop
        self.nodes = [Node(n, config.request_timeout) for n in config.nodes]
        self._choosing = threading.Lock()  # one node choice at a time: counts stay true
        self._used: dict[str, float] = {}
        self._problems: dict[str, str] = {}  # node -> what is wrong with it, while it lasts

    def close(self) -> None:
        for node in self.nodes:
            node.client.close()

    # --- choosing a node ------------------------------------------------------------------

    def _report(self, node: Node, problem: str | None) -> None:
        """Log a node's problem once when it starts or changes, and when it is over."""
        before = self._problems.get(node.url)
        if problem and problem != before:
            log.warning("scrapyd node %s skipped: %s", node.url, problem)
            self._problems[node.url] = problem
        elif not problem and before:
            log.info("scrapyd node %s answers again", node.url)
            del self._problems[node.url]

    def _free_slots(self, avoid: set[str], problems: dict[str, str]) -> list[tuple[int, Node]]:
        """Reachable nodes with their free slots, best first (``avoid``: last resort)."""
        found = []
        for node in self.nodes:
            try:
                status = node.call("daemonstatus.json")
            except NodeError as exc:
                problems[node.url] = str(exc)
                self._report(node, str(exc))
                continue
            self._report(node, None)
            busy = int(status.get("running", 0)) + int(status.get("pending", 0))
            found.append((node.config.slots - busy, node))
        found.sort(key=lambda f: (f[1].url in avoid, -f[0], self._used.get(f[1].url, 0.0)))
        return found

    def _schedule(
        self, spider: str, data: dict[str, Any], avoid: set[str], deadline: float
    ) -> Node:
        """Schedule the job on the best node with a free slot; NoNode when none can."""
        while True:
            problems: dict[str, str] = {}
            with self._choosing:
                nodes = self._free_slots(avoid, problems)
                for free, node in nodes:
                    if free <= 0:
                        continue
                    try:
                        node.call("schedule.json", data={**data, "spider": spider})
                    except NodeError as exc:
                        problems[node.url] = str(exc)
                        self._report(node, str(exc))
                        continue
                    self._used[node.url] = time.monotonic()
                    return node
            reasons = "; ".join(f"{url}: {why}" for url, why in problems.items())
            if not any(n.url not in problems for _, n in nodes):
                raise NoNode(f"no Scrapyd node available ({reasons})")
            if self.stop.is_set():
                raise NoNode("the daemon stopped while every Scrapyd node was full")
            if time.monotonic() >= deadline:
                raise NoNode("no Scrapyd node had a free slot before the timeout"
                             + (f" ({reasons})" if reasons else ""))  # fmt: skip
            time.sleep(self.config.poll_interval)

    # --- one crawl ------------------------------------------------------------------------

    def run(
        self, source: str, options: CrawlOptions, log_path: Path, timeout: float | None = None,
        on_start: Callable[[Callable[[], None]], None] | None = None,
        avoid: set[str] | None = None,
    ) -> CrawlResult:  # fmt: skip
        """Run one crawl as a job on a node, to its end or its cancellation after ``timeout``."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        deadline = start + (timeout or float("inf"))
        job = uuid.uuid4().hex
        settings = {**options.scrapy_settings(source), ARCHIVE_SETTING: self.archive}
        data = {
            "project": self.config.project, "jobid": job,
            "setting": [f"{k}={v}" for k, v in settings.items()], **options.spider_args(source),
        }  # fmt: skip
        result = CrawlResult(source, None, 0, 0.0, Progress(), log_path)
        try:
            node = self._schedule(options.spider(source), data, avoid or set(), deadline)
        except NoNode as exc:
            log_path.write_text(f"{exc}\n", encoding="utf-8")
            result.failure = str(exc)
            result.seconds = time.monotonic() - start
            return result
        result.job, result.node = job, node.url
        log.info("%s: job %s scheduled on %s in %.3fs", source, job, node.url,
                 time.monotonic() - start)  # fmt: skip
        if on_start:
            on_start(lambda: self.cancel(node, job))
        ended = self._follow(source, node, job, deadline, timeout)
        if ended.timed_out:
            result.returncode = None
        log_url = ended.entry.get("log_url")
        log_text = self._fetch_log(node, log_url, log_path, ended.problem)
        self._read_run(result, log_text, ended)
        result.seconds = time.monotonic() - start
        return result

    def cancel(self, node: Node, job: str) -> None:
        """Stop a job: SIGTERM (the crawl closes its run aborted), SIGKILL ``STOP_GRACE`` later."""
        for signal in ("TERM", "KILL"):
            try:
                node.call("cancel.json", data={"project": self.config.project, "job": job,
                                               "signal": signal})  # fmt: skip
                log.info("job %s on %s cancelled (SIG%s)", job, node.url, signal)
            except NodeError as exc:
                log.warning("cannot cancel job %s on %s: %s", job, node.url, exc)
                return
            end = time.monotonic() + STOP_GRACE
            while time.monotonic() < end:
                time.sleep(min(0.2, self.config.poll_interval))
                try:
                    if node.job_state(self.config.project, job) in (None, "finished"):
                        return
                except NodeError:
                    return

    def _follow(
        self, source: str, node: Node, job: str, deadline: float, timeout: float | None
    ) -> _Ended:
        """Poll the job until it ends; cancel it past the deadline."""
        unreachable: float | None = None
        cancelled = False
        while True:
            try:
                state = node.job_state(self.config.project, job)
            except NodeError as exc:
                now = time.monotonic()
                if unreachable is None:
                    log.warning("%s: node %s of job %s unreachable: %s", source, node.url, job, exc)
                    unreachable = now
                if gone := self._crawl_gone(source, job, now - unreachable):
                    return _Ended(entry={}, timed_out=cancelled, problem=f"{exc}; {gone}")
            else:
                unreachable = None
                if state == "finished":
                    try:
                        entry = node.job_entry(self.config.project, job)
                    except NodeError as exc:
                        return _Ended(entry={}, timed_out=cancelled, problem=str(exc))
                    return _Ended(entry=entry, timed_out=cancelled)
                if state is None:
                    return _Ended(entry={}, timed_out=cancelled,
                                  problem=f"the node no longer knows job {job}")  # fmt: skip
            if not cancelled and time.monotonic() >= deadline:
                log.warning("%s: job %s on %s timed out after %gs: cancelling", source, job,
                            node.url, timeout)  # fmt: skip
                cancelled = True
                self.cancel(node, job)  # returns once the job ended, or after SIGKILL
            elif cancelled and time.monotonic() >= deadline + 2 * STOP_GRACE + LOST_AFTER:
                return _Ended(entry={}, timed_out=True,
                              problem="the cancelled job did not end on its node")  # fmt: skip
            time.sleep(self.config.poll_interval)

    def _crawl_gone(self, source: str, job: str, unreachable_for: float) -> str | None:
        """Why the job's crawl is known to be over while its node does not answer, or None."""
        try:
            with self.sessions() as session:
                run = run_of_job(session, job)
                status = run.status if run else None
            held = run is not None and SourceLock(self.engine, source).held()
        except SQLAlchemyError:  # the archive is away too: nothing can be told yet
            return None
        if run is None:
            return (
                f"the job opened no run in {unreachable_for:.0f}s"
                if unreachable_for >= LOST_AFTER
                else None
            )
        if status != "running":
            return "its crawl closed its run"
        if not held:
            return f"its crawl is gone (run {run.id} open, the lock of {source} free)"
        return None

    def _fetch_log(
        self, node: Node, log_url: str | None, log_path: Path, problem: str | None
    ) -> str:
        """Copy the job's log from the node into ``log_path``; its text ("" when none)."""
        text = ""
        if log_url:
            try:
                response = node.client.get(log_url)
                response.raise_for_status()
                text = response.text
            except httpx.HTTPError as exc:
                problem = f"log not fetched from {node.url}{log_url}: {exc}"
        else:
            problem = problem or f"no job log on {node.url} (none written, or no logs_dir)"
        log_path.write_text(text + (f"\n[presswatch] {problem}\n" if problem else ""), "utf-8")
        return text

    def _read_run(self, result: CrawlResult, log_text: str, ended: _Ended) -> None:
        """Fill ``result`` from the run the job opened (found by its job id)."""
        where = f"job {result.job} on {result.node}"
        if ended.timed_out:
            result.failure = f"timed out: cancelled {where}" + (
                f" ({ended.problem})" if ended.problem else ""
            )
        try:
            with self.sessions() as session:
                run = run_of_job(session, result.job or "")
        except SQLAlchemyError:  # the daemon settles it by its job id once the archive is back
            log.error("%s ended; its run cannot be read now: database unreachable", where)
            return
        if run is None:
            refused = [line for line in log_text.splitlines() if REFUSED in line]
            why = refused[0].split(REFUSED, 1)[1] if refused else ended.problem or "see its log"
            result.failure = result.failure or f"{where} recorded no run: {why}"
            result.lost = not ended.timed_out
            return
        result.pid = run.pid
        result.progress = Progress(run.id, dict(run.counts or {}), None, run.health)
        if run.status == "running":
            result.failure = result.failure or f"{where} ended without closing its run" + (
                f" ({ended.problem})" if ended.problem else ""
            )
            result.lost = not ended.timed_out
        else:
            result.progress.status = run.status


@dataclass
class _Ended:
    """How following a job ended: its listjobs entry, a timeout, or a problem."""

    entry: dict[str, Any]
    timed_out: bool
    problem: str | None = None
