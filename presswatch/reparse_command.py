"""`presswatch reparse`: re-read the archive's pages with today's parsers (storage.reparse)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy import Engine

from crawler.sites import UnreadablePage, registry
from crawler.sites.base import Site
from presswatch.archive_commands import check_source, diff_piece
from presswatch.context import DATE, Context, console, pass_context
from presswatch.reading import parsers_signature, read_page
from presswatch.sources import CONFIG_OPTION, find_site, known_sites, read_config
from storage.archive import ParsedRelease
from storage.reparse import (
    DEFAULT_BATCH,
    ArchivedPage,
    ReparseReport,
    Reread,
    Unreadable,
    reparse,
)
from storage.textdiff import inline_diff

EXIT_INTERRUPTED = 130
SHOWN_UNREADABLE = 10


def parse(page: ArchivedPage, sites: dict[str, Site] | None = None) -> ParsedRelease:
    """A kept page read as a crawl of its source that fetched it then would read it today
    (``sites``: the sites by key, default the built-in ones)."""
    site = (sites or registry()).get(page.source)
    if site is None:
        raise Unreadable(f"source {page.source!r} is not configured (see --config)")
    try:
        f = read_page(site, page.url, page.html, page.fetched_at.date())
    except UnreadablePage as exc:
        raise Unreadable(str(exc)) from None
    return ParsedRelease(
        source=page.source, url=page.url, title=f.title, body=f.body, published=f.published,
        place=f.place, external_id=f.external_id, metadata=dict(f.metadata), method=f.method,
        parser_version=f.parser_version,
    )  # fmt: skip


def _show(reread: Reread, dry_run: bool) -> None:
    to = "would be" if dry_run else f"v{reread.new_number}"
    console.print(
        f"[bold]#{reread.release_id}[/bold] {escape(reread.url)}: v{reread.old_number} → {to} "
        f"({escape(reread.parser_version)}): {', '.join(reread.fields)}",
        highlight=False,
    )
    if not dry_run:
        return
    for name in reread.fields:
        if name == "body":
            continue
        old, new = reread.old[name], reread.new[name]
        console.print(Text.assemble(f"  {name}: ", diff_piece("-", str(old)), " → ",
                                    diff_piece("+", str(new))))  # fmt: skip
    if "body" in reread.fields:
        text = Text("  body: ")
        for op, piece in inline_diff(reread.old["body"], reread.new["body"]):
            text.append(diff_piece(op, piece.replace("\n\n", " ¶ ")))
            text.append(" ")
        console.print(text)


def _run(engine: Engine, options: dict[str, Any], sites: dict[str, Site]) -> ReparseReport:
    dry_run = options["dry_run"]
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("re-reading", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return reparse(
            engine, partial(parse, sites=sites), on_progress=advance,
            on_reread=lambda r: _show(r, dry_run), **options,
        )  # fmt: skip


@click.command("reparse")
@click.option("--source", "-s", help="Only this source (osce, unis, sco, unodc).")
@click.option("--since", type=DATE, help="Only releases published on or after this date.")
@click.option("--dry-run", "-n", is_flag=True, help="List what would change, with word diffs.")
@click.option("--batch", type=click.IntRange(min=1), default=DEFAULT_BATCH, show_default=True,
              help="Releases read per batch.")  # fmt: skip
@click.option("--restart", is_flag=True, help="Start over instead of resuming a cut-off run.")
@CONFIG_OPTION
@pass_context
def reparse_command(
    obj: Context, source: str | None, since: datetime | None, dry_run: bool, batch: int,
    restart: bool, config_path: Path | None,
) -> None:  # fmt: skip
    """Re-read every release's kept page with today's parsers.

    Where the reading differs from the current version, a new version is recorded as a
    re-reading ("reparsed" in history), never as an edit of the site, and not notified
    unless a target lists "reparsed" in its kinds. An interrupted run resumes where it stopped.
    """
    sites = known_sites(read_config(config_path))
    with obj.session() as session:
        source = check_source(session, source)
        if source is not None:
            find_site(source, sites)  # an archived source no longer configured: one line
        session.rollback()  # no transaction (on SQLite: no write lock) held while re-reading
        options = {
            "source": source, "since": since.date() if since else None, "dry_run": dry_run,
            "batch": batch, "restart": restart, "parsers": parsers_signature(source, sites),
        }  # fmt: skip
        try:
            report = _run(session.get_bind(), options, sites)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/yellow]: run it again to resume")
            raise SystemExit(EXIT_INTERRUPTED) from None
    counts = report.counts
    resumed = f" (resumed after release {report.resumed_after})" if report.resumed_after else ""
    verb = "would record" if dry_run else "recorded"
    console.print(
        f"re-read {counts['read']} page(s){resumed}: {verb} {counts['reparsed']} re-reading(s), "
        f"{counts['same']} unchanged, {counts['unreadable']} unreadable"
        + (f", {counts['moved on']} skipped (crawled meanwhile)" if counts["moved on"] else ""),
        highlight=False,
    )
    for url, reason in report.unreadable[:SHOWN_UNREADABLE]:
        console.print(f"  [red]unreadable[/red] {escape(url)}: {escape(reason)}", highlight=False)
    if report.unreadable:
        raise SystemExit(1)
