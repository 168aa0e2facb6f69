"""`presswatch db`, `list`, `show`, `history`: reading the archive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from presswatch.context import DATE, Context, console, emit_json, pass_context
from storage import queries
from storage.db import DatabaseError, database_url, make_engine, upgrade
from storage.models import Release


@click.group()
def db() -> None:
    """Manage the archive database."""


@db.command("upgrade")
@pass_context
def db_upgrade(obj: Context) -> None:
    """Apply the schema migrations (presswatch also does this on first use)."""
    try:
        engine = make_engine(obj.db)
        applied = upgrade(engine)
        engine.dispose()
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    where = database_url(obj.db)
    click.echo(f"{'upgraded' if applied else 'already up to date'}: {where}")


def _check_source(session: Session, source: str | None) -> None:
    if source is None:
        return
    from crawler.sites import registry

    known = sorted(set(queries.source_keys(session)) | set(registry()))
    if source not in known:
        raise click.ClickException(f"unknown source {source!r} (known: {', '.join(known)})")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("list")
@click.option("--source", "-s", help="Only this source (osce, unis, sco, unodc, …).")
@click.option("--since", type=DATE, help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", type=DATE, help="Published on or before this date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(queries.RELEASE_STATUSES), help="active or removed.")
@click.option("--search", "-q", "words", metavar="WORDS",
              help="Only releases whose title or body holds every one of these words.")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many (0: all).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def list_command(
    obj: Context, source: str | None, since: datetime | None, until: datetime | None,
    status: str | None, words: str | None, limit: int, as_json: bool,
) -> None:  # fmt: skip
    """List releases, newest first; --search finds words in titles and bodies."""
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    with obj.session() as session:
        _check_source(session, source)
        rows = queries.list_releases(
            session, source, _day(since), _day(until), status, limit or None, words
        )
    if as_json:
        emit_json([row.to_json() for row in rows])
        return
    table = Table("id", "source", "published", "title", "v", "status", box=None)
    for row in rows:
        status_text = row.status if row.status == "active" else f"[red]{row.status}[/red]"
        table.add_row(
            str(row.id), row.source, str(row.published or "?"), escape(row.title),
            str(row.versions), status_text,
        )  # fmt: skip
    console.print(table)
    console.print(f"[dim]{len(rows)} release(s)[/dim]")


def _find(session: Session, ref: str) -> Release:
    release = queries.find_release(session, ref)
    if release is None:
        raise click.ClickException(f"no release {ref!r} in the archive")
    return release


@click.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--version", "number", type=int, help="Show this version, not the current one.")
@click.option(
    "--html", is_flag=True, help="Print the page the version was read from, as downloaded."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def show(obj: Context, ref: str, number: int | None, html: bool, as_json: bool) -> None:
    """Show a release: its current version, metadata and version history."""
    with obj.session() as session:
        release = _find(session, ref)
        try:
            version = queries.find_version(release, number)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        if html:
            page = queries.raw_html(version)
            if page is None:
                raise click.ClickException(f"no page kept for version {version.number}")
            click.echo(page, nl=False)  # bytes: written as they are
            return
        data = queries.release_json(release)
        data["shown"] = queries.version_json(version)
    if as_json:
        emit_json(data)
        return
    current = data["shown"]
    if current["number"] != (data["current"] or {}).get("number"):
        console.print(f"[yellow]version {current['number']} of {len(data['versions'])}[/yellow]")
    console.print(f"[bold]{escape(current.get('title', ''))}[/bold]")
    console.print(f"{data['source']} · {current.get('published') or 'no date'} · "
                  f"{escape(current.get('place') or '')} · {data['status']}")  # fmt: skip
    console.print(data["url"], markup=False)
    for key, value in (current.get("metadata") or {}).items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        console.print(f"[dim]{escape(key)}:[/dim] {escape(text)}")
    console.print()
    console.print(current.get("body", ""), highlight=False, markup=False)
    console.print()
    _versions_table(data["versions"])


def _versions_table(versions: list[dict[str, Any]]) -> None:
    table = Table("version", "fetched", "title", "method", "hash", box=None, title="versions")
    for v in versions:
        table.add_row(
            str(v["number"]),
            v["fetched_at"][:19],
            escape(v["title"]),
            v["method"],
            v["content_hash"][:12],
        )
    console.print(table)


@click.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def history(obj: Context, ref: str, as_json: bool) -> None:
    """Show everything that happened to a release: new, changed, removed, restored."""
    with obj.session() as session:
        events = queries.history(session, _find(session, ref))
    if as_json:
        emit_json(events)
        return
    table = Table("when", "event", "version", "what changed", box=None)
    for e in events:
        diff = e["diff"] or {}
        what = ""
        if diff:
            fields = ", ".join(diff["fields"])
            what = f"{fields}: +{diff['words_added']} −{diff['words_removed']} words"
        table.add_row(e["at"][:19], e["kind"], str(e["version"] or ""), what)
    console.print(table)


DIFF_STYLES = {"=": "", "-": "red strike", "+": "green bold", "…": "dim"}
DIFF_MARKS = {"-": ("[-", "-]"), "+": ("{+", "+}")}  # without colours: git's --word-diff=plain


def _diff_piece(op: str, text: str) -> Text:
    if console.is_terminal and not console.no_color or op not in DIFF_MARKS:
        return Text(text, style=DIFF_STYLES[op])
    start, end = DIFF_MARKS[op]
    return Text(f"{start}{text}{end}")


@click.command()
@click.argument("ref", metavar="ID|URL")
@click.option(
    "--from", "old", type=int, help="Older version number (default: the one before --to)."
)
@click.option("--to", "new", type=int, help="Newer version number (default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def diff(obj: Context, ref: str, old: int | None, new: int | None, as_json: bool) -> None:
    """Show word by word what changed between two versions of a release."""
    with obj.session() as session:
        try:
            data = queries.compare_versions(_find(session, ref), old, new)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(data)
        return
    a, b = data["from"], data["to"]
    console.print(f"[bold]{escape(b['title'])}[/bold]")
    console.print(f"version {a['number']} ({a['fetched_at'][:10]}) → {b['number']} "
                  f"({b['fetched_at'][:10]}): {', '.join(data['fields']) or 'no field'} changed")  # fmt: skip
    for field in ("title", "published", "place"):
        if field in data["fields"]:
            console.print(Text.assemble(f"{field}: ", _diff_piece("-", str(a[field])), " → ",
                                        _diff_piece("+", str(b[field]))))  # fmt: skip
    if data["body"]:
        console.print()
        text = Text()
        for piece in data["body"]:
            if text.plain and not (text.plain.endswith("\n") or piece["text"].startswith("\n")):
                text.append(" ")
            text.append(_diff_piece(piece["op"], piece["text"]))
        console.print(text)
