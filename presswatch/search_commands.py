"""`presswatch search`, `changes`, `export`: finding and taking things out of the archive."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
from rich.text import Text

from presswatch.archive_commands import JSON_OPTION, SOURCE_OPTION, check_source
from presswatch.context import DATE, TEXT, Context, console, pass_context
from storage.queries import RELEASE_STATUSES

if TYPE_CHECKING:
    from storage.search import Query

KINDS = ("new", "changed", "removed", "restored", "reparsed")
_AGO = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class When(click.ParamType):
    """A moment: an ISO date or time (UTC unless it has a zone), or a span ago (12h, 7d, 2w)."""

    name = "when"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if match := _AGO.fullmatch(text):
            amount, unit = match.groups()
            return datetime.now(UTC) - timedelta(**{_UNITS[unit]: int(amount)})
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date, a time or a span like 12h, 7d", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


WHEN = When()


def parse_or_fail(text: str) -> Query:
    """The query parsed, or a one-line error."""
    from storage.search import QueryError, parse_query

    try:
        return parse_query(text)
    except QueryError as exc:
        raise click.ClickException(f"bad query: {exc}") from None


def _marked(snippet: str) -> Text:
    """A search snippet (escaped HTML with <mark>) as rich text with the matches in bold."""
    from html import unescape

    text = Text()
    for i, piece in enumerate(re.split(r"</?mark>", snippet)):
        text.append(unescape(piece), style="bold yellow" if i % 2 else "")
    return text


@click.command()
@click.argument("words", metavar="QUERY", type=TEXT)
@SOURCE_OPTION
@click.option("--since", type=DATE, help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", type=DATE, help="Published on or before this date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(RELEASE_STATUSES), help="active or removed.")
@click.option("--changed-since", type=WHEN, help="Changed (or new) since WHEN: a date, a time, 7d.")
@click.option("--order", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="Best matches first, or newest first.")  # fmt: skip
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="At most this many.")  # fmt: skip
@JSON_OPTION
@pass_context
def search(
    obj: Context, words: str, source: str | None, since: datetime | None,
    until: datetime | None, status: str | None, changed_since: datetime | None, order: str,
    limit: int, as_json: bool,
) -> None:  # fmt: skip
    """Search titles and bodies: words, "phrases", prefix*, AND, OR, NOT, ranked.

    The query language, ranking and speed: docs/search.md.
    """
    from storage.search import QueryError
    from storage.search import search as run_search

    query = parse_or_fail(words)
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    with obj.session() as session:
        source = check_source(session, source)
        try:
            page = run_search(
                session, query, source=source, since=since and since.date(),
                until=until and until.date(), status=status, changed_since=changed_since,
                order=order, limit=limit,  # type: ignore[arg-type]
            )  # fmt: skip
        except QueryError as exc:
            raise click.ClickException(f"bad query: {exc}") from None
    if as_json:
        obj.emit_json(
            {"total": page.total, "exact": page.exact, "hits": [h.to_json() for h in page.hits]}
        )
        return
    obj.table(
        ("id", "source", "published", "title", "snippet"),
        [
            (str(h.id), h.source, str(h.published or "-"), h.title, _marked(h.snippet))
            for h in page.hits
        ],  # fmt: skip
    )
    click.echo(f"{len(page.hits)} of {page.total}{'' if page.exact else '+'} releases", err=True)


@click.command()
@click.option("--since", required=True, type=WHEN,
              help="Events at or after WHEN: 2026-11-01, 2026-11-01T09:00, 12h, 7d.")  # fmt: skip
@SOURCE_OPTION
@click.option("--kind", type=click.Choice(KINDS), multiple=True, help="Only these kinds.")
@JSON_OPTION
@pass_context
def changes(
    obj: Context, since: datetime, source: str | None, kind: tuple[str, ...], as_json: bool
) -> None:
    """The events of a period: new, changed, removed, restored releases.

    Oldest first; WHEN is a date, a time (UTC unless it has a zone) or a span ago (12h, 7d).
    """
    from storage.models import ChangeEvent, Source
    from storage.notifications import event_notes

    with obj.session() as session:
        source = check_source(session, source)
        where = [ChangeEvent.at >= since]
        if source:
            where.append(Source.key == source)
        if kind:
            where.append(ChangeEvent.kind.in_(kind))
        events = event_notes(session, *where)
    if as_json:
        obj.emit_json([e.data() for e in events])
        return
    rows = []
    for e in events:
        what = ""
        if e.diff:
            what = f"{', '.join(e.diff['fields'])}: +{e.diff['words_added']} −{e.diff['words_removed']}"
        rows.append((obj.time(e.at), e.kind, e.source, str(e.release_id), e.title, what))
    obj.table(("when", "event", "source", "id", "title", "what changed"), rows)
    click.echo(f"{len(events)} events", err=True)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="JSON Lines, or CSV with a header.")  # fmt: skip
@SOURCE_OPTION
@click.option("--since", type=DATE, help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", type=DATE, help="Published on or before this date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(RELEASE_STATUSES), help="active or removed.")
@click.option("--versions", is_flag=True, help="Every version of each release, not the current.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (default: standard output).")  # fmt: skip
@pass_context
def export(
    obj: Context, fmt: str, source: str | None, since: datetime | None, until: datetime | None,
    status: str | None, versions: bool, output: str | None,
) -> None:  # fmt: skip
    """Export every field of the releases as JSON Lines or CSV, streamed.

    Any size in little memory; the fields are in docs/json.md.
    """
    from storage.export import export_rows, write_csv, write_jsonl

    write = write_csv if fmt == "csv" else write_jsonl
    with obj.session() as session:
        source = check_source(session, source)
        rows = export_rows(
            session, source=source, since=since and since.date(), until=until and until.date(),
            status=status, versions=versions,
        )  # fmt: skip
        try:
            out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
        try:
            count = write(rows, out, obj.local_time)
        finally:
            if output:
                out.close()
    if output or not console.is_terminal:
        click.echo(f"{count} {'versions' if versions else 'releases'} exported", err=True)
