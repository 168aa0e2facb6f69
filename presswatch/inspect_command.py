"""`presswatch inspect`: what every parser era of a source and the fallback read from one page.

A crawl that turned unhealthy (a field's coverage fell, most pages read by the fallback)
usually means the site changed its markup; this shows, side by side, which parser still
reads the page and what each one misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import httpx
from parsel import Selector
from rich.text import Text

from crawler.extract import extract_fallback
from crawler.replay.snapshot import url_key
from crawler.sites import UnreadablePage, registry
from crawler.sites.base import ReleaseFields, Site, SiteParser
from presswatch.context import Context, console, pass_context
from presswatch.fetching import user_agent
from presswatch.reading import decode_page, read_page
from presswatch.sources import CONFIG_OPTION, find_site, known_sites, read_config

FETCH_TIMEOUT = 20.0  # seconds
EDGE_CHARS = 70  # of the body's start and end shown


@dataclass(frozen=True)
class Reading:
    """What one parser read from the page (``fields`` None: nothing, ``error`` says why)."""

    parser: str  # "osce/2", "fallback", or "crawl" (what a crawl records today)
    kind: str  # site | fallback | crawl
    fields: ReleaseFields | None
    error: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None

    def to_json(self) -> dict[str, Any]:
        f = self.fields
        body = f.body if f else ""
        return {
            "parser": self.parser, "kind": self.kind, "ok": self.error is None,
            "error": self.error,
            "valid_from": _iso(self.valid_from), "valid_until": _iso(self.valid_until),
            "method": f.method if f else None, "parser_version": f.parser_version if f else None,
            "title": f.title if f else None, "published": _iso(f.published if f else None),
            "place": f.place if f else None, "external_id": f.external_id if f else None,
            "metadata": dict(f.metadata) if f else {},
            "body_start": _edge(body, start=True) if f else None,
            "body_end": _edge(body, start=False) if f else None,
            "chars": len(body), "words": len(body.split()),
            "paragraphs": len([p for p in body.split("\n\n") if p.strip()]),
        }  # fmt: skip


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _edge(body: str, start: bool) -> str:
    text = " ".join(body.split())
    if len(text) <= EDGE_CHARS:
        return text
    return text[:EDGE_CHARS] + "…" if start else "…" + text[-EDGE_CHARS:]


def fetch(url: str, replay: str | None) -> bytes:
    """The page at ``url`` (through the replay server ``replay`` when given)."""
    where = f"{replay.rstrip('/')}/{url_key(url)}" if replay else url
    try:
        response = httpx.get(where, timeout=FETCH_TIMEOUT, follow_redirects=True,
                             headers={"User-Agent": user_agent()})  # fmt: skip
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot fetch {where}: {exc or type(exc).__name__}") from None
    if response.status_code != 200:
        raise click.ClickException(f"cannot fetch {where}: HTTP {response.status_code}")
    return response.content


def page_url(html: str, path: Path) -> str:
    """A saved page's own URL (its canonical link or og:url), else the file's URI."""
    sel = Selector(text=html)
    found = sel.css("link[rel=canonical]::attr(href), meta[property='og:url']::attr(content)")
    url = (found.get() or "").strip()
    return url if urlsplit(url).scheme in ("http", "https") else path.resolve().as_uri()


def guess_site(url: str, sites: dict[str, Site] | None = None) -> Site | None:
    """The known source (of ``sites``, default the built-in ones) whose site ``url`` is on
    (``www.`` aside), or None."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for site in (sites or registry()).values():
        hosts = {urlsplit(u).hostname for u in (site.base_url, *site.start_urls)}
        if host in {(h or "").removeprefix("www.") for h in hosts}:
            return site
    return None


def _era(site: Site, parser: type[SiteParser], url: str, html: str) -> Reading:
    name = f"{site.key}/{parser.version}"
    bounds = {"valid_from": parser.valid_from, "valid_until": parser.valid_until}
    try:
        fields = parser().parse_release(url, html)
    except Exception as exc:  # noqa: BLE001 - a parser crash is what inspect is for
        return Reading(name, "site", None, f"{type(exc).__name__}: {exc}", **bounds)
    error = None if fields and fields.body.strip() else "no body found"
    return Reading(name, "site", fields, error, **bounds)


def readings(site: Site | None, url: str, html: str, day: date) -> list[Reading]:
    """Each era's parser of ``site`` (oldest first), the fallback, and a crawl's choice today."""
    found = [_era(site, parser, url, html) for parser in site.parsers] if site else []
    fallback = extract_fallback(url, html)
    found.append(Reading("fallback", "fallback", fallback, None if fallback else "no body found"))
    if site is not None:
        try:
            found.append(Reading("crawl", "crawl", read_page(site, url, html, day)))
        except UnreadablePage as exc:
            found.append(Reading("crawl", "crawl", None, str(exc)))
    return found


ROWS = ("error", "method", "parser_version", "title", "published", "place", "external_id",
        "metadata", "body_start", "body_end", "chars", "words", "paragraphs")  # fmt: skip


def _cell(data: dict[str, Any], row: str) -> str:
    value = data[row]
    if row == "metadata":
        return "\n".join(
            f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in value.items()
        )
    return "" if value is None else str(value)


def _header(reading: Reading) -> str:
    if reading.kind != "site":
        return reading.parser
    since = _iso(reading.valid_from) or "…"
    until = _iso(reading.valid_until) or "…"
    return f"{reading.parser}\n{since}–{until}"


def show(obj: Context, found: list[Reading]) -> None:
    """A table, fields down and parsers across; tab-separated rows when not on a terminal."""
    data = [r.to_json() for r in found]
    headers = ["field", *(_header(r) if console.is_terminal else r.parser for r in found)]
    rows = [
        [row, *(Text(_cell(d, row), style="red" if row == "error" else "") for d in data)]
        for row in ROWS
    ]
    obj.table(headers, rows, show_lines=True)


@click.command("inspect")
@click.argument("target", metavar="URL|FILE")
@click.option("--source", "-s", help="Read as this source (default: guessed from the URL's host).")
@CONFIG_OPTION
@click.option("--replay", metavar="URL", help="Fetch through this replay server.")
@click.option("--url", "address", metavar="URL",
              help="A saved page's address (default: its canonical link).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def inspect_command(
    obj: Context,
    target: str,
    source: str | None,
    config_path: Path | None,
    replay: str | None,
    address: str | None,
    as_json: bool,
) -> None:
    """Show what each parser era of a source and the fallback read from one page.

    URL|FILE is a release page's URL (fetched now) or a saved page. Columns: every era of the
    source's parser, the fallback, and "crawl": what a crawl records today.
    """
    if urlsplit(target).scheme in ("http", "https"):
        url, body = target, fetch(target, replay)
    else:
        path = Path(target)
        if not path.is_file():
            raise click.ClickException(f"no such file: {target}")
        body = path.read_bytes()
        url = address or page_url(decode_page(body), path)
    html = decode_page(body)
    sites = known_sites(read_config(config_path))
    site = find_site(source, sites) if source is not None else guess_site(url, sites)
    found = readings(site, url, html, datetime.now(UTC).date())
    if as_json:
        obj.emit_json({"url": url, "source": site.key if site else None, "bytes": len(body),
                   "readings": [r.to_json() for r in found]})  # fmt: skip
        return
    if site is None:
        console.print(f"[yellow]no known source serves {url}[/yellow]: the fallback only "
                      "(--source KEY to try a source's parsers)", highlight=False)  # fmt: skip
    show(obj, found)
