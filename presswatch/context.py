"""What every `presswatch` command shares: the database, times, tables and JSON output.

Output is for people on a terminal (a rich table) and for scripts everywhere else: when
stdout is not a terminal a table is plain tab-separated rows under a header line, never
wrapped, as gh does. Times are ISO 8601 in UTC (``Z``), or local with ``--local-time``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from storage.times import iso_time, jsonable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SUMMARY_COUNTS = ("new", "changed", "restored", "unchanged", "removed", "missing", "errors")
console = Console()
console.soft_wrap = not console.is_terminal  # piped text is never wrapped
DATE = click.DateTime(formats=["%Y-%m-%d"])


class Utf8Text(click.ParamType):
    """A string that is valid Unicode: arguments that are not UTF-8 are refused in one line."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            str(value).encode("utf-8")
        except UnicodeEncodeError:
            self.fail("not valid UTF-8 text", param, ctx)
        return str(value)


TEXT = Utf8Text()


class Context:
    """What every command shares: the database URL, the time zone shown, the archive."""

    def __init__(self, db: str | None, local_time: bool = False) -> None:
        self.db = db
        self.local_time = local_time

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the migrated archive; database failures become one clear line."""
        from sqlalchemy.exc import SQLAlchemyError

        from storage.db import DatabaseError, describe_error, open_archive

        try:
            engine, sessions = open_archive(self.db)
        except DatabaseError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with sessions() as session:
                yield session
        except SQLAlchemyError as exc:
            raise click.ClickException(describe_error(exc, engine.url)) from None
        finally:
            engine.dispose()

    def time(self, moment: datetime | None) -> str:
        return iso_time(moment, self.local_time) if moment else "-"

    def emit_json(self, data: Any) -> None:
        click.echo(json.dumps(jsonable(data, self.local_time), indent=2, ensure_ascii=False))

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], **kwargs: Any) -> None:
        """Rows under column headers: a rich table on a terminal, else tab-separated text.

        Cells may be rich Text (styles shown only on a terminal); ``kwargs`` go to the Table.
        """
        if not console.is_terminal:
            for row in (columns, *rows):
                click.echo("\t".join(_plain(cell) for cell in row))
            return
        from rich.table import Table

        table = Table(box=None, **kwargs)
        for name in columns:
            table.add_column(name, min_width=len(name))
        for row in rows:
            table.add_row(*(cell if not isinstance(cell, str) else _literal(cell) for cell in row))
        console.print(table)


def _plain(cell: Any) -> str:
    text = cell.plain if hasattr(cell, "plain") else str(cell)
    return " ".join(text.split("\t")).replace("\r", " ").replace("\n", " ")


def _literal(cell: str) -> Any:
    from rich.text import Text

    return Text(cell)  # archived text is never read as markup


def describe_counts(counts: dict[str, int]) -> str:
    """A run's counts in words: "2 new, 1 missing, 9 answered 304"."""
    parts = [
        f"{counts[k]} {'error' if k == 'errors' and counts[k] == 1 else k}"
        for k in SUMMARY_COUNTS
        if counts.get(k)
    ]
    if counts.get("not_modified"):
        parts.append(f"{counts['not_modified']} answered 304")
    return ", ".join(parts) or "nothing new"


pass_context = click.make_pass_decorator(Context)
