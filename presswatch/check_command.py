"""`presswatch check KEY`: try a source before it is ever scheduled, and say what is wrong.

It fetches the source's start page (its feed, sitemap or listing) and its newest releases
and reads them exactly as a crawl does (crawler.sites.read_with_eras, the configured
selectors with the fallback behind them; crawler.pagecheck for error pages served with
status 200), then names every problem with the config key it concerns. A source that
breaks later shows as an unhealthy run, like a built-in site.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from crawler.extract import as_text
from crawler.pagecheck import release_page_problem
from crawler.sites import read_with_eras
from crawler.sites.base import SelectorProblem, Site, UnreadablePage
from crawler.sites.configured import FUTURE_SLACK, SiteSpec
from presswatch.context import Context, console, pass_context
from presswatch.crawl_commands import check_replay
from presswatch.fetching import HTML_TYPES, Fetcher, FetchError
from presswatch.release_links import (
    IndexEntry,
    NotAnIndex,
    feed_entries,
    newest_first,
    sitemap_entries,
)
from presswatch.sources import CONFIG_OPTION, find_site, known_sites, read_config

DEFAULT_RELEASES = 3


@dataclass
class ReleaseCheck:
    url: str
    ok: bool = False
    title: str | None = None
    published: str | None = None
    chars: int = 0
    method: str | None = None
    parser_version: str | None = None
    error: str | None = None


@dataclass
class Report:
    source: str
    name: str
    kind: str  # feed | sitemap | listing
    start: str
    links: int = 0  # release links the start page gave
    releases: list[ReleaseCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


class Checker:
    """One source's check: its start page, then up to ``n`` releases."""

    def __init__(self, fetcher: Fetcher, site: Site, spec: SiteSpec | None, today: date) -> None:
        self.fetcher, self.site, self.spec, self.today = fetcher, site, spec, today
        kind = spec.kind if spec else "listing"  # a configured site's start is its spec.start
        self.report = Report(site.key, site.name, kind, site.start_urls[0])
        self.prefix = f"sources.{site.key}"

    def run(self, n: int) -> Report:
        for url in self.release_urls()[:n]:
            self.report.releases.append(self.release(url))
        return self.report

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    def release_urls(self) -> list[str]:
        """The start page's release links, newest first where it gives dates."""
        report, start = self.report, self.report.start
        key = f"{self.prefix}.{report.kind}"
        try:
            if report.kind == "listing":
                urls = self.listing(start)
            else:
                read = feed_entries if report.kind == "feed" else sitemap_entries
                entries = newest_first(read(self.fetcher, start))
                if not entries:
                    self.problem(
                        f"{key}: {start} lists no {'items' if report.kind == 'feed' else 'URLs'}"
                    )
                self.future_entries(entries)
                urls = [e.url for e in entries]
        except FetchError as exc:
            self.problem(f"{key}: {exc}")
            return []
        except NotAnIndex as exc:
            self.problem(f"{key}: {start} is {exc}")
            return []
        releases = [u for u in urls if self.site.is_release_url(u)]
        if urls and not releases:
            pattern = f"{self.prefix}.release_pattern" if self.spec else "the release URL pattern"
            self.problem(f"{pattern} matched none of the {len(urls)} links of {start}")
        report.links = len(releases)
        return releases

    def listing(self, url: str) -> list[str]:
        fetched = self.fetcher.page(url)
        listing = self.site.parser_for(self.today).parse_listing(fetched.url, as_text(fetched.body))
        if not listing.entries:
            what = f"{self.prefix}.links" if self.spec else f"the {self.site.key} listing parser"
            self.problem(f"{what} matched nothing on {url}")
        if self.spec and self.spec.next and listing.next_url is None:
            self.report.warnings.append(f"{self.prefix}.next matched nothing on {url}")
        return [entry.url for entry in listing.entries]

    def future_entries(self, entries: list[IndexEntry]) -> None:
        late = [e for e in entries if e.published and e.published > self.today + FUTURE_SLACK]
        if late:
            self.problem(f"{self.prefix}.{self.report.kind}: {len(late)} items dated in the "
                         f"future ({late[0].published} for {late[0].url})")  # fmt: skip

    def release(self, url: str) -> ReleaseCheck:
        """One release page read as a crawl reads it; its problems reported."""
        found = ReleaseCheck(url)
        try:
            fetched = self.fetcher.page(url)  # robots.txt obeyed, a status other than 200 refused
        except FetchError as exc:
            return self.failed(found, str(exc))
        if fetched.content_type not in HTML_TYPES:
            return self.failed(found, f"{url}: not an HTML page ({fetched.content_type})")
        html = as_text(fetched.body)  # read at the URL it ended at, as a crawl reads it
        if reason := release_page_problem(self.site, fetched.url, html):
            return self.failed(found, f"{url}: {reason}")
        try:
            fields, _ = read_with_eras(self.site, fetched.url, html, self.today)
        except SelectorProblem as exc:
            detail = str(exc).removeprefix(exc.problem).removeprefix(": ")
            return self.failed(
                found, f"{exc.problem} on {url}" + (f" ({detail})" if detail else "")
            )
        except UnreadablePage as exc:
            return self.failed(found, f"{url}: {exc}")
        found.ok, found.title, found.chars = True, fields.title or None, len(fields.body)
        found.method, found.parser_version = fields.method, fields.parser_version
        found.published = fields.published.isoformat() if fields.published else None
        if fields.published and fields.published > self.today + FUTURE_SLACK:
            found.ok = False
            self.failed(found, f"{url}: its date {fields.published} is in the future")
        elif fields.published is None:
            self.report.warnings.append(f"{url}: no date found")
        if not fields.title:
            self.report.warnings.append(f"{url}: no title found")
        return found

    def failed(self, found: ReleaseCheck, problem: str) -> ReleaseCheck:
        found.ok, found.error = False, problem
        self.problem(problem)
        return found


def check_source(
    fetcher: Fetcher, site: Site, spec: SiteSpec | None, releases: int, today: date | None = None
) -> Report:
    """Check ``site`` (a configured source when ``spec`` is given, else a built-in one)."""
    return Checker(fetcher, site, spec, today or datetime.now(UTC).date()).run(releases)


def show(report: Report) -> None:
    head = f"{report.name} ({report.source}): {report.kind} {report.start}, {report.links} release links"
    console.print(head, markup=False, highlight=False, soft_wrap=True)
    for r in report.releases:
        if r.ok:
            line = f"  ✓ {r.url}  {r.published or 'no date'}  {r.title or '(no title)'}  ({r.chars} characters, {r.method})"
        else:
            line = f"  ✗ {r.url}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for warning in report.warnings:
        console.print(f"  warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if report.ok:
        console.print(f"{report.source}: no problems", highlight=False)
        return
    console.print(f"{report.name} ({report.source}): {len(report.problems)} problems",
                  markup=False, highlight=False)  # fmt: skip
    for problem in report.problems:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


@click.command("check")
@click.argument("key")
@CONFIG_OPTION
@click.option("--releases", "-n", type=click.IntRange(0), default=DEFAULT_RELEASES,
              show_default=True, help="How many of the newest releases to read.")  # fmt: skip
@click.option("--replay", metavar="URL", help="Fetch through this replay server.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def check(obj: Context, key: str, config_path: Path | None, releases: int, replay: str | None,
          as_json: bool) -> None:  # fmt: skip
    """Fetch a source's start page and newest releases and report anything wrong.

    KEY is a source of presswatch.toml (or a built-in one). Exit status 0 when everything
    reads, 1 when there is a problem: each is named with the config key it concerns.
    """
    check_replay(replay)
    config = read_config(config_path)
    site = find_site(key, known_sites(config))
    data = config.sources[site.key].site
    with Fetcher(replay) as fetcher:
        report = check_source(fetcher, site, SiteSpec.from_data(data) if data else None, releases)
    if as_json:
        obj.emit_json(report.to_json())
    else:
        show(report)
    if not report.ok:
        raise SystemExit(1)
