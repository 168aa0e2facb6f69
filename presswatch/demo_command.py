"""`presswatch demo`: two crawls of the bundled snapshot, a day apart, and what changed.

Besides the four built-in sites it watches the seed 000 blog as a configured source, with
the block `presswatch discover` prints for it (``DEMO_CONFIG``, the worked example of
docs/sources.md): no parser was written for it.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click
from platformdirs import user_data_path
from rich.markup import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.replay.demo import DEMO_SNAPSHOT, EDITED
from crawler.replay.server import ReplayError, serve
from crawler.sites import registry
from presswatch.archive_commands import diff
from presswatch.config import Config, parse_config
from presswatch.context import Context, console, pass_context
from presswatch.crawl_commands import run_sources
from scheduler.runner import CrawlOptions
from storage.db import DatabaseError, display_url
from storage.models import ChangeEvent, Release, Source

SHOWN_EVENTS = 6  # event lines listed after the crawls
DEMO_CONFIG = """
[sources.europesecuritynews]
name = "Europe Security News"
url = "https://www.europesecuritynews.com"
feed = "https://www.europesecuritynews.com/feed/"
"""


@dataclass(frozen=True)
class Step:
    title: str
    state: str | None  # the snapshot state served
    options: CrawlOptions  # without replay and db, set per run


DAY_1 = Step("day 1: the sites as bundled, the whole listing", None, CrawlOptions(full=True))
DAY_2 = Step(
    "day 2: the sites a day later, every known release asked again",
    EDITED,
    CrawlOptions(revisit_all=True),
)
# A release counts as removed after two 404s in a row (storage.archive.REMOVAL_STRIKES).
DAY_3 = Step("day 3: releases that answered 404 asked once more", EDITED, CrawlOptions())


def demo_archive_path() -> Path:
    """The demo's own SQLite archive, apart from the user's and replaced at each run."""
    return user_data_path("presswatch", appauthor=False) / "demo.db"


def _fresh_demo_archive() -> str:
    """The URL of the demo's own archive, emptied."""
    path = demo_archive_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot make the demo archive {path}: {exc.strerror}") from None
    return f"sqlite:///{path}"


def demo_config() -> Config:
    """The demo's sources: the built-in sites and the blog of ``DEMO_CONFIG``."""
    return parse_config(tomllib.loads(DEMO_CONFIG), sorted(registry()))


def _crawl(archive: Context, step: Step, sources: Sequence[str], config: Config) -> None:
    """Crawl ``sources`` from the snapshot in the step's state; stop unless every run was ok."""
    console.print(f"\n[bold]{step.title}[/bold]")
    with serve(DEMO_SNAPSHOT, state=step.state) as server:
        options = replace(step.options, replay=server.url, db=archive.db)
        if code := run_sources(archive, sources, options, config):
            raise SystemExit(code)  # 1: a run was not ok (said above); 130: interrupted


def _missing_sources(session: Session) -> list[str]:
    """Sources with a release that answered 404 and is not yet counted removed."""
    query = select(Source.key).join(Release).where(Release.missing_count > 0).distinct()
    return sorted(session.scalars(query))


def _report(session: Session, after: int) -> dict[str, int]:
    """Print the events with an id above ``after``; the first release of each kind of event."""
    rows = session.execute(
        select(ChangeEvent.kind, Release.id, Source.key, Release.url)
        .join(Release, ChangeEvent.release_id == Release.id)
        .join(Source)
        .where(ChangeEvent.id > after)
        .order_by(Source.key, ChangeEvent.id)
    ).all()
    kinds = Counter(kind for kind, *_ in rows)
    found = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "no change"
    console.print(f"\n[bold]What changed between day 1 and the last crawl[/bold]: {found}")
    shown = rows[:SHOWN_EVENTS]
    width = max((len(source) for _, _, source, _ in shown), default=0)
    for kind, release_id, source, url in shown:
        release = session.get(Release, release_id)
        title = release.current.title if release and release.current else url
        console.print(f"  {kind:9} {release_id:>4}  {source:{width}} {escape(title)}",
                      soft_wrap=True)  # fmt: skip
    first: dict[str, int] = {}
    for kind, release_id, *_ in rows:
        first.setdefault(kind, release_id)
    return first


@click.command()
@pass_context
def demo(obj: Context) -> None:
    """Crawl the bundled snapshot of five sites twice, a day apart, and show the changes.

    The four built-in sites, and the seed 000 blog as a source configured in presswatch.toml
    (the block `presswatch discover` prints for it).

    No internet needed. The archive is the demo's own (demo.db in the data directory,
    replaced at each run) unless --db names one, which must hold no release yet.
    """
    try:
        url = obj.db or _fresh_demo_archive()
        shown = display_url(url)
        _demo(Context(url), shown, own=obj.db is None)
    except (ReplayError, DatabaseError) as exc:
        raise click.ClickException(str(exc)) from None


def _demo(archive: Context, shown: str, own: bool) -> None:
    """The demo's crawls and report; ``shown``: the archive URL, its password masked."""
    with archive.session() as session:
        if held := session.scalar(select(func.count()).select_from(Release)):
            raise click.ClickException(
                f"{shown} already holds {held} releases: the demo needs an empty archive "
                "(without --db it uses its own, replaced at each run)"
            )
    config = demo_config()
    sites = sorted(config.sources)
    configured = sum(1 for s in config.sources.values() if s.site is not None)
    console.print(f"[bold]presswatch demo[/bold]: the bundled snapshot of {len(sites)} sites "
                  f"({configured} configured in presswatch.toml, no parser written), crawled "
                  "as it was, then as it was a day later")  # fmt: skip
    _crawl(archive, DAY_1, sites, config)
    with archive.session() as session:
        after = session.scalar(select(func.max(ChangeEvent.id))) or 0
    _crawl(archive, DAY_2, sites, config)
    with archive.session() as session:
        missing = _missing_sources(session)
    if missing:
        _crawl(archive, DAY_3, missing, config)
    with archive.session() as session:
        first = _report(session, after)
    if "changed" in first:
        console.print(f"\n[bold]presswatch diff {first['changed']}[/bold]")
        ctx = click.get_current_context()
        ctx.obj = archive  # the command invoked here reads the demo's archive
        ctx.invoke(diff, ref=str(first["changed"]))
    some = first.get("removed") or first.get("changed") or "ID"
    note = " (the demo's own, replaced at each run)" if own else ""
    console.print(f"\narchive: {shown}{note}", soft_wrap=True, highlight=False)
    console.print("explore it:")
    for command in ("list", f"history {some}", f"diff {first.get('changed', 'ID')}"):
        console.print(f"  presswatch --db {shown} {command}", soft_wrap=True, highlight=False)
