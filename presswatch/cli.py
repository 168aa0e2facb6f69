"""The `presswatch` command: the archive's front door.

Commands are imported only when run (click's lazy group pattern), so `presswatch list`
never imports Scrapy, and `--help` imports no command at all.
"""

from __future__ import annotations

import importlib

import click

from presswatch.context import Context

COMMANDS = {
    "db": "presswatch.archive_commands:db",
    "list": "presswatch.archive_commands:list_command",
    "show": "presswatch.archive_commands:show",
    "history": "presswatch.archive_commands:history",
    "diff": "presswatch.archive_commands:diff",
    "search": "presswatch.search_commands:search",
    "changes": "presswatch.search_commands:changes",
    "export": "presswatch.search_commands:export",
    "crawl": "presswatch.crawl_commands:crawl",
    "replay": "presswatch.crawl_commands:replay",
    "demo": "presswatch.demo_command:demo",
    "daemon": "presswatch.daemon_commands:daemon",
    "status": "presswatch.daemon_commands:status",
    "inspect": "presswatch.inspect_command:inspect_command",
    "reparse": "presswatch.reparse_command:reparse_command",
    "web": "presswatch.web_command:web",
    "notify": "presswatch.notify_commands:notify",
    "deploy": "presswatch.deploy_command:deploy",
}
SUMMARIES = {  # shown by --help without importing the commands
    "db": "Manage the archive database.",
    "list": "List releases, newest first; --search filters them as `search` does.",
    "show": "Show a release: its current version, metadata and version history.",
    "history": "Show everything that happened to a release: new, changed, removed, restored.",
    "diff": "Show word by word what changed between two versions of a release.",
    "search": 'Search titles and bodies: words, "phrases", prefix*, AND, OR, NOT, ranked.',
    "changes": "The events of a period: new, changed, removed, restored releases.",
    "export": "Export every field of the releases as JSON Lines or CSV, streamed.",
    "crawl": "Crawl SOURCES (default: all) into the archive, each in its own process.",
    "replay": "Serve a saved SNAPSHOT of the sites on 127.0.0.1 (see docs/snapshots.md).",
    "demo": "Crawl the bundled snapshot of all four sites twice, a day apart, and show the changes.",
    "daemon": "Recrawl every enabled source on its schedule and send notifications, until stopped.",
    "status": "Each source's schedule, last and next run, pending notifications, archive totals.",
    "inspect": "Show what each parser era of a source and the fallback read from one page.",
    "reparse": "Re-read every release's kept page with today's parsers.",
    "web": "Serve the archive read-only in a browser, with a JSON API and Atom feeds.",
    "notify": "Try a notification target, or see what waits to be sent.",
    "deploy": "Build presswatch's egg once and upload it to every Scrapyd node; exit 1 if one failed.",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from ``COMMANDS`` when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, name = COMMANDS[cmd_name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(SUMMARIES.items()))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="PRESSWATCH_DATABASE_URL",
    metavar="URL|PATH",
    help="Database URL or SQLite file path (default: presswatch.db in the user's data folder).",
)
@click.option(
    "--local-time",
    is_flag=True,
    envvar="PRESSWATCH_LOCAL_TIME",
    help="Show times in this machine's time zone, not UTC.",
)
@click.version_option(package_name="presswatch")
@click.pass_context
def main(ctx: click.Context, db: str | None, local_time: bool) -> None:
    """presswatch: every press release of OSCE, UNIS Vienna, SCO and UNODC, with its history."""
    ctx.obj = Context(db, local_time)
