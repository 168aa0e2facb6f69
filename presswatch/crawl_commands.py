"""`presswatch crawl` and `presswatch replay`: running the spiders."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import click
from platformdirs import user_data_path, user_log_path
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crawler.replay.server import ReplayError, run_forever
from crawler.sites import registry
from presswatch.context import DATE, Context, console, pass_context
from scheduler.runner import CrawlOptions, CrawlResult, run_crawl
from storage.queries import last_run

SHOWN_ERRORS = 3  # a crawl's errors listed under its summary line
SUMMARY_KEYS = ("new", "changed", "restored", "unchanged", "removed", "missing", "errors")


def _describe(counts: dict[str, int]) -> str:
    parts = [f"{counts[k]} {k}" for k in SUMMARY_KEYS if counts.get(k)]
    if counts.get("not_modified"):
        parts.append(f"{counts['not_modified']} answered 304")
    return ", ".join(parts) or "nothing new"


def run_sources(obj: Context, sources: Sequence[str], options: CrawlOptions) -> list[CrawlResult]:
    """Crawl ``sources`` side by side, each in its own process, with a live progress display."""
    log_dir = user_log_path("presswatch", appauthor=False)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.fields[source]:6}"),
        TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        tasks = {s: progress.add_task("starting", total=None, source=s) for s in sources}

        def crawl(source: str) -> CrawlResult:
            def update(counts: dict[str, int]) -> None:
                progress.update(tasks[source], description=_describe(counts))

            return run_crawl(source, options, log_dir / f"{source}-{stamp}.log", on_progress=update)

        with ThreadPoolExecutor(max_workers=len(sources)) as pool:
            results = list(pool.map(crawl, sources))
    for result in results:
        with obj.session() as session:
            run = last_run(session, result.source)
            errors = [(e.url, e.reason) for e in run.errors[:SHOWN_ERRORS]] if run else []
        counts = run.counts if run and run.counts else result.counts
        if not result.ok or run is None:
            console.print(f"[red]✗ {result.source}[/red]: crawl failed (exit {result.returncode}); "
                          f"log: {result.log_path}")  # fmt: skip
            continue
        mark, health = "[green]✓", ""
        if run.status != "ok":
            mark, health = (
                "[yellow]!",
                f" [yellow]{run.status}: {escape(run.health or '')}[/yellow]",
            )
        console.print(
            f"{mark} {result.source}[/]: {counts.get('requests', 0)} requests — "
            f"{_describe(counts)} in {result.seconds:.1f}s{health}"
        )
        for url, reason in errors:
            console.print(f"    {url}: {reason}", markup=False, highlight=False, soft_wrap=True)
        if counts.get("errors", 0) > len(errors):
            console.print(
                f"    … {counts['errors'] - len(errors)} more errors; log: {result.log_path}"
            )
    return results


def _check_sources(sources: Sequence[str]) -> list[str]:
    known = sorted(registry())
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise click.ClickException(f"unknown source {unknown[0]!r} (known: {', '.join(known)})")
    return list(dict.fromkeys(sources)) or known


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--replay", metavar="URL", help="Fetch every page from this replay server.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Listing pages to walk at most.")
@click.option("--full", is_flag=True, help="Walk the whole listing (backfill; resumes if cut off).")
@click.option("--revisit-all", is_flag=True, help="Fetch every known release again.")
@click.option("--since", type=DATE, help="Skip releases published before this date.")
@click.option("--set", "-s", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy setting for the crawl (repeatable).")  # fmt: skip
@pass_context
def crawl(
    obj: Context, sources: tuple[str, ...], replay: str | None, max_pages: int | None,
    full: bool, revisit_all: bool, since: datetime | None, settings: tuple[str, ...],
) -> None:  # fmt: skip
    """Crawl SOURCES (default: all) into the archive, each in its own process."""
    chosen = _check_sources(sources)
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
    results = run_sources(obj, chosen, options)
    if not all(r.ok for r in results):
        raise SystemExit(1)


@click.command()
@click.argument("snapshot", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True)
def replay(snapshot: Path, port: int) -> None:
    """Serve a saved SNAPSHOT of the sites on 127.0.0.1 (see docs/snapshots.md)."""
    try:
        run_forever(snapshot, port, announce=console.print)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from None
