"""`presswatch db`, `list`, `show`, `history`, `diff`: reading the archive."""

from __future__ import annotations

from datetime import date, datetime

import click
from rich.markup import escape
from rich.text import Text
from sqlalchemy.orm import Session

from presswatch.context import DATE, TEXT, Context, console, pass_context
from storage import queries
from storage.models import Release

LIMIT = click.IntRange(min=0, max=queries.MAX_ID)
VERSION = click.IntRange(min=1, max=queries.MAX_ID)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
SOURCE_OPTION = click.option(
    "--source", "-s", type=TEXT, help="Only this source (osce, unis, sco, unodc, …)."
)


@click.group()
def db() -> None:
    """Manage the archive database."""


@db.command("upgrade")
@pass_context
def db_upgrade(obj: Context) -> None:
    """Apply the schema migrations (presswatch also does this on first use)."""
    from storage.db import DatabaseError, display_url, make_engine, upgrade

    try:
        engine = make_engine(obj.db)
        try:
            applied = upgrade(engine)
        finally:
            engine.dispose()
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'upgraded' if applied else 'already up to date'}: {display_url(obj.db)}")


def check_source(session: Session, source: str | None) -> str | None:
    """The source key as archived (any case given), or a one-line error naming the known ones."""
    if source is None:
        return None
    from crawler.sites import registry

    known = sorted(set(queries.source_keys(session)) | set(registry()))
    if source.lower() not in known:
        raise click.ClickException(f"unknown source {source!r} (known: {', '.join(known)})")
    return source.lower()


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("list")
@SOURCE_OPTION
@click.option("--since", type=DATE, help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", type=DATE, help="Published on or before this date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(queries.RELEASE_STATUSES), help="active or removed.")
@click.option("--search", "-q", "words", metavar="QUERY", type=TEXT,
              help="Only releases matching this search (as `presswatch search`).")  # fmt: skip
@click.option("--limit", "-n", type=LIMIT, default=50, show_default=True,
              help="At most this many (0: all).")  # fmt: skip
@JSON_OPTION
@pass_context
def list_command(
    obj: Context, source: str | None, since: datetime | None, until: datetime | None,
    status: str | None, words: str | None, limit: int, as_json: bool,
) -> None:  # fmt: skip
    """List releases, newest first; --search filters them as `search` does."""
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    from presswatch.search_commands import parse_or_fail
    from storage.search import QueryError

    query = parse_or_fail(words) if words is not None else None
    with obj.session() as session:
        source = check_source(session, source)
        try:
            page = queries.list_releases(
                session, source, _day(since), _day(until), status, limit or None, query
            )
        except QueryError as exc:
            raise click.ClickException(f"bad query: {exc}") from None
    if as_json:
        obj.emit_json([row.to_json() for row in page.rows])
        return
    obj.table(
        ("id", "source", "published", "title", "versions", "status"),
        [
            (
                str(r.id),
                r.source,
                str(r.published or "-"),
                r.title,
                str(r.versions),
                Text(r.status, style="" if r.status == "active" else "red"),
            )
            for r in page.rows
        ],  # fmt: skip
    )
    click.echo(f"{len(page.rows)} of {page.counted} releases", err=True)


def _find(session: Session, ref: str) -> Release:
    try:
        release = queries.find_release(session, ref)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    if release is None:
        raise click.ClickException(f"no release {ref!r} in the archive")
    return release


@click.command()
@click.argument("ref", metavar="ID|URL", type=TEXT)
@click.option("--version", "number", type=VERSION, help="Show this version, not the current one.")
@click.option(
    "--html", is_flag=True, help="Print the page the version was read from, as downloaded."
)
@JSON_OPTION
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
            _print_html(obj, release, version.number, queries.raw_html(version), as_json)
            return
        data = queries.release_json(release, version)
    if as_json:
        obj.emit_json(data)
        return
    shown = data["version"]
    mark = "current" if shown["number"] == data["current_version"] else "[yellow]not current[/]"
    console.print(f"version {shown['number']} of {len(data['versions'])} ({mark})")
    console.print(f"[bold]{escape(shown['title'])}[/bold]")
    console.print(f"{data['source']} · {shown['published'] or 'no date'} · "
                  f"{escape(shown['place'] or '')} · {data['status']}")  # fmt: skip
    console.print(data["url"], markup=False)
    for key, value in (shown["metadata"] or {}).items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        console.print(f"[dim]{escape(key)}:[/dim] {escape(text)}")
    console.print()
    console.print(shown["body"], highlight=False, markup=False)
    console.print()
    obj.table(
        ("version", "current", "fetched", "title", "method", "hash"),
        [
            (
                str(v["number"]),
                "*" if v["current"] else "",
                obj.time(v["fetched_at"]),
                v["title"],
                v["method"],
                v["content_hash"][:12],
            )
            for v in data["versions"]
        ],  # fmt: skip
        title="versions",
    )


def _print_html(
    obj: Context, release: Release, number: int, page: bytes | None, as_json: bool
) -> None:
    if page is None:
        raise click.ClickException(f"no page kept for version {number}")
    if not as_json:
        click.echo(page, nl=False)  # bytes: written as they are
        return
    from w3lib.encoding import html_to_unicode

    encoding, text = html_to_unicode(None, page)
    obj.emit_json(
        {
            "id": release.id,
            "url": release.url,
            "version": number,
            "encoding": encoding,
            "html": text,
        }  # fmt: skip
    )


@click.command()
@click.argument("ref", metavar="ID|URL", type=TEXT)
@JSON_OPTION
@pass_context
def history(obj: Context, ref: str, as_json: bool) -> None:
    """Show everything that happened to a release: new, changed, removed, restored."""
    with obj.session() as session:
        events = queries.history(session, _find(session, ref))
    if as_json:
        obj.emit_json(events)
        return
    rows = []
    for e in events:
        diff = e["diff"] or {}
        what = ""
        if diff:
            fields = ", ".join(diff["fields"])
            what = f"{fields}: +{diff['words_added']} −{diff['words_removed']} words"
        current = "*" if e["current"] else ""
        rows.append((obj.time(e["at"]), e["kind"], str(e["version"] or ""), current, what))
    obj.table(("when", "event", "version", "current", "what changed"), rows)


DIFF_STYLES = {"=": "", "-": "red strike", "+": "green bold", "…": "dim"}
DIFF_MARKS = {"-": ("[-", "-]"), "+": ("{+", "+}")}  # without colours: git's --word-diff=plain


def diff_piece(op: str, text: str) -> Text:
    if console.is_terminal and not console.no_color or op not in DIFF_MARKS:
        return Text(text, style=DIFF_STYLES[op])
    start, end = DIFF_MARKS[op]
    return Text(f"{start}{text}{end}")


@click.command()
@click.argument("ref", metavar="ID|URL", type=TEXT)
@click.option("--from", "old", type=VERSION,
              help="Older version (default: the one current before --to, in time).")  # fmt: skip
@click.option("--to", "new", type=VERSION, help="Newer version (default: the current one).")
@JSON_OPTION
@pass_context
def diff(obj: Context, ref: str, old: int | None, new: int | None, as_json: bool) -> None:
    """Show word by word what changed between two versions of a release."""
    with obj.session() as session:
        try:
            data = queries.compare_versions(session, _find(session, ref), old, new)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        obj.emit_json(data)
        return
    a, b = data["from"], data["to"]
    console.print(f"[bold]{escape(b['title'])}[/bold]")
    console.print(f"version {a['number']} ({obj.time(a['fetched_at'])}) → {b['number']} "
                  f"({obj.time(b['fetched_at'])}): {', '.join(data['fields']) or 'no field'} changed")  # fmt: skip
    for field in ("title", "published", "place"):
        if field in data["fields"]:
            console.print(Text.assemble(f"{field}: ", diff_piece("-", str(a[field])), " → ",
                                        diff_piece("+", str(b[field]))))  # fmt: skip
    if data["body"]:
        console.print()
        text = Text()
        for piece in data["body"]:
            if text.plain and not (text.plain.endswith("\n") or piece["text"].startswith("\n")):
                text.append(" ")
            text.append(diff_piece(piece["op"], piece["text"]))
        console.print(text)
