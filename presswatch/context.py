"""What every `presswatch` command shares: the console, the database, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.db import DatabaseError, open_archive

console = Console()
DATE = click.DateTime(formats=["%Y-%m-%d"])


class Context:
    """What every command shares: the database URL and, once opened, the archive."""

    def __init__(self, db: str | None) -> None:
        self.db = db

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the migrated archive; database failures become one clear line."""
        try:
            engine, sessions = open_archive(self.db)
        except DatabaseError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with sessions() as session:
                yield session
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise click.ClickException(f"database error: {reason}") from None
        finally:
            engine.dispose()


pass_context = click.make_pass_decorator(Context)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
