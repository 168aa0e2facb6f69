"""The `presswatch` command: the archive's front door."""

from __future__ import annotations

import click

from presswatch.archive_commands import db, diff, history, list_command, show
from presswatch.context import Context
from presswatch.crawl_commands import crawl, replay
from presswatch.daemon_commands import daemon, status
from presswatch.demo_command import demo
from presswatch.inspect_command import inspect_command
from presswatch.reparse_command import reparse_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="PRESSWATCH_DATABASE_URL",
    help="Database URL (default: a SQLite file in the user's data directory).",
)
@click.version_option(package_name="presswatch")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """presswatch: every press release of OSCE, UNIS Vienna, SCO and UNODC, with its history."""
    ctx.obj = Context(db)


for command in (db, list_command, show, history, diff, crawl, replay, demo, daemon, status):
    main.add_command(command)
main.add_command(inspect_command)
main.add_command(reparse_command)
