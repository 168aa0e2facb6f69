"""`presswatch crawl` and `presswatch replay`: running the spiders."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from platformdirs import user_data_path, user_log_path
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crawler.replay.server import ReplayError, run_forever
from crawler.sites import registry
from presswatch.config import Config
from presswatch.context import DATE, Context, console, describe_counts, pass_context
from presswatch.sources import CONFIG_OPTION, known_sites, read_config
from scheduler.runner import CrawlOptions, CrawlResult, run_crawl, stop_crawl
from storage.notifications import settle_run

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
INTERRUPT_GRACE = 2.0  # seconds a crawl gets after SIGTERM on Ctrl-C, before SIGKILL
SETTLE_RETRIES = (1, 2, 4, 8)  # pauses (s) while the database is away as a crawl ends
SHOWN_ERRORS = 3  # a crawl's errors listed under its summary line


class Interrupt:
    """Ctrl-C or SIGTERM while crawls run: stop them all (SIGTERM, SIGKILL after a grace)."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self.procs: list[subprocess.Popen[bytes]] = []
        self.lock = threading.Lock()
        self.event = threading.Event()  # set by the first signal

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.procs.append(proc)
            if self.signal is None:
                return
        self._stop(proc)  # the signal came while this crawl was starting

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        threading.Thread(target=stop_crawl, args=(proc, INTERRUPT_GRACE), daemon=True).start()

    def handle(self, signum: int, _frame: Any) -> None:
        with self.lock:
            first = self.signal is None
            self.signal = signal.Signals(signum)
            self.event.set()
            procs = list(self.procs)
        if first:
            for proc in procs:
                self._stop(proc)

    @contextmanager
    def installed(self) -> Iterator[Interrupt]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {sig: signal.signal(sig, self.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


def run_sources(
    obj: Context, sources: Sequence[str], options: CrawlOptions, config: Config | None = None,
) -> int:  # fmt: skip
    """Crawl ``sources`` side by side, each in its own process, with a live progress display.

    ``config``: where each source's own Scrapy settings come from, under ``options``'s.
    Returns the exit code: 0 every run ok, 1 one was not (or did not start), 130 interrupted.
    """
    log_dir = user_log_path("presswatch", appauthor=False)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with Interrupt().installed() as interrupt:
        with Progress(
            SpinnerColumn(), TextColumn("[bold]{task.fields[source]:6}"),
            TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
            transient=True,
        ) as progress:  # fmt: skip
            tasks = {s: progress.add_task("starting", total=None, source=s) for s in sources}

            def crawl(source: str) -> tuple[CrawlResult, datetime]:
                def update(counts: dict[str, int]) -> None:
                    progress.update(tasks[source], description=describe_counts(counts))

                started = datetime.now(UTC)
                log_path = log_dir / f"{source}-{stamp}.log"
                own = config.sources[source].crawl_settings() if config else {}
                source_options = replace(options, settings={**own, **options.settings})
                return run_crawl(source, source_options, log_path, on_progress=update,
                                 on_start=interrupt.add), started  # fmt: skip

            with ThreadPoolExecutor(max_workers=len(sources)) as pool:
                results = list(pool.map(crawl, sources))
        stopped = f"stopped by {interrupt.signal.name}" if interrupt.signal else None
        codes = [
            _settle(
                obj, result, started, None if result.progress.status else stopped, interrupt.event
            )  # fmt: skip
            for result, started in results  # a crawl that closed its run recorded how it ended
        ]
    if stopped:
        console.print(f"[yellow]interrupted[/yellow] ({interrupt.signal.name}): runs aborted")
        return EXIT_INTERRUPTED
    return max(codes, default=0)


def _settle(
    obj: Context, result: CrawlResult, started: datetime, aborted: str | None,
    interrupted: threading.Event,
) -> int:  # fmt: skip
    """Record how the crawl ended (storage.outcome) and print its summary; its exit code.

    A database that is away is waited for a little (SETTLE_RETRIES), not for ever.
    """
    failure = None
    if not result.ok and not aborted:
        failure = f"crawl exited with {result.returncode}; log: {result.log_path}"
    for pause in (*SETTLE_RETRIES, None):
        try:
            with obj.session() as session, session.begin():
                run = settle_run(
                    session, result.source, started, datetime.now(UTC), result.counts,
                    pid=result.pid, run_id=result.run_id, failure=failure, aborted=aborted,
                )  # fmt: skip
                status, health, counts = run.status, run.health, dict(run.counts or {})
                errors = [(e.url, e.reason) for e in run.errors[:SHOWN_ERRORS]]
            break
        except click.ClickException as exc:  # the database is away
            if pause is None or interrupted.is_set():
                run_id = result.run_id or "?"
                console.print(f"[red]✗ {result.source}[/red]: run {run_id} not recorded: "
                              f"{escape(exc.message)}; log: {result.log_path}")  # fmt: skip
                return 1
            console.print(f"{result.source}: {escape(exc.message)}; retrying in {pause}s")
            interrupted.wait(pause)
    mark = {"ok": "[green]✓", "unhealthy": "[yellow]!", "aborted": "[yellow]■"}.get(
        status, "[red]✗"
    )
    health = f" [yellow]{status}: {escape(health or '')}[/yellow]" if status != "ok" else ""
    console.print(
        f"{mark} {result.source}[/]: run {run.id}, {counts.get('requests', 0)} requests — "
        f"{describe_counts(counts)} in {result.seconds:.1f}s{health}"
    )
    for url, reason in errors:
        console.print(f"    {url}: {reason}", markup=False, highlight=False, soft_wrap=True)
    if counts.get("errors", 0) > len(errors):
        console.print(f"    … {counts['errors'] - len(errors)} more errors; log: {result.log_path}")
    return 0 if status == "ok" else 1


def check_replay(url: str | None) -> None:
    parts = urlsplit(url or "http://x")
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port out of range
        valid = False
    if not valid:
        raise click.ClickException(f"--replay {url!r} is not an http(s) URL")


def _check_sources(sources: Sequence[str], known: Iterable[str] | None = None) -> list[str]:
    """The sources asked for, lower-cased and once each (all ``known`` when none; default:
    the built-in ones); unknown ones refused."""
    known = list(known) if known is not None else sorted(registry())
    asked = [s.lower() for s in sources]
    unknown = [s for s, key in zip(sources, asked, strict=True) if key not in known]
    if unknown:
        raise click.ClickException(f"unknown source {unknown[0]!r} (known: {', '.join(known)})")
    return list(dict.fromkeys(asked)) or known


@click.command()
@click.argument("sources", nargs=-1)
@CONFIG_OPTION
@click.option("--replay", metavar="URL", help="Fetch every page from this replay server.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Listing pages to walk at most.")
@click.option("--full", is_flag=True, help="Walk the whole listing (backfill; resumes if cut off).")
@click.option("--revisit-all", is_flag=True, help="Fetch every known release again.")
@click.option("--since", type=DATE, help="Skip releases published before this date.")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy setting for the crawl (repeatable).")  # fmt: skip
@pass_context
def crawl(
    obj: Context, sources: tuple[str, ...], config_path: Path | None, replay: str | None,
    max_pages: int | None, full: bool, revisit_all: bool, since: datetime | None,
    settings: tuple[str, ...],
) -> None:  # fmt: skip
    """Crawl SOURCES (default: all) into the archive, each in its own process.

    Each source crawls with its settings from the config (politeness, revisit, crawl.contact;
    a configured source's definition); --set overrides them. Exits 0 when every run was ok,
    1 when one was unhealthy or failed, 130 when interrupted.
    """
    config = read_config(config_path)
    enabled = [s.key for s in config.enabled_sources()]
    chosen = _check_sources(sources, known_sites(config)) if sources else enabled
    check_replay(replay)
    extra = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{setting!r} is not NAME=VALUE", param_hint="--set")
        extra[name] = value
    with obj.session():
        pass  # the archive is migrated once here, not by each crawl at the same moment
    options = CrawlOptions(
        replay=replay, db=obj.db, max_pages=max_pages, full=full, revisit_all=revisit_all,
        since=since.date().isoformat() if since else None, settings=extra,
        jobdir=user_data_path("presswatch", appauthor=False) / "backfill",
    )  # fmt: skip
    raise SystemExit(run_sources(obj, chosen, options, config))


@click.command()
@click.argument("snapshot", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True)
def replay(snapshot: Path, port: int) -> None:
    """Serve a saved SNAPSHOT of the sites on 127.0.0.1 (see docs/snapshots.md)."""
    try:
        run_forever(snapshot, port, announce=console.print)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from None
