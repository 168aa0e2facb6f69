"""What the snapshot builders render: a release as the site would publish it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html import escape
from urllib.parse import urlsplit

from crawler.replay.snapshot import SnapshotPage


@dataclass
class DemoRelease:
    url: str
    title: str
    published: date
    paragraphs: list[str]
    place: str | None = None
    kind: str = "Press release"  # the listing's content type label
    external_id: str | None = None
    metadata: dict[str, str | list[str]] = field(default_factory=dict)


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def html_page(url: str, html: str, last_modified: str | None = None) -> tuple[SnapshotPage, str]:
    """A snapshot entry for one HTML page, its file named after the URL."""
    parts = urlsplit(url)
    path = parts.path.strip("/") or "index"
    if parts.query:
        path += "__" + parts.query.replace("=", "-").replace("&", "_")
    if not path.endswith((".html", ".htm", ".xml", ".txt")):
        path += ".html"
    return SnapshotPage(url=url, file=f"{parts.netloc}/{path}", last_modified=last_modified), html


ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /search/\n"


def robots_page(base_url: str) -> tuple[SnapshotPage, str]:
    host = urlsplit(base_url).netloc
    page = SnapshotPage(
        url=f"{base_url}/robots.txt",
        file=f"{host}/robots.txt",
        content_type="text/plain; charset=utf-8",
    )
    return page, ROBOTS_TXT


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text block: blank lines split them, line breaks inside are spaces."""
    return [" ".join(p.split()) for p in text.strip().split("\n\n")]


def site_pages(
    releases: list[DemoRelease],
    per_page: int,
    listing_url: Callable[[int], str],
    listing_html: Callable[[list[DemoRelease], int, int], str],
    release_html: Callable[[DemoRelease], str],
    *,
    start_aliases: tuple[str, ...] = (),
    modified_at: str | None = None,
) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt of the listing's host, every listing page (newest first), every release page.

    ``start_aliases``: other URLs of the first listing page (a start URL without
    ``?page=0``). ``modified_at``: the time of day ("12:00:00Z") release pages give as their
    Last-Modified on their publication day; None leaves it to the server.
    """
    ordered = sorted(releases, key=lambda r: r.published, reverse=True)
    n_pages = max(1, -(-len(ordered) // per_page))
    host = urlsplit(listing_url(0))
    yield robots_page(f"{host.scheme}://{host.netloc}")
    for page_no in range(n_pages):
        chunk = ordered[page_no * per_page : (page_no + 1) * per_page]
        html = listing_html(chunk, page_no, n_pages)
        yield html_page(listing_url(page_no), html)
        if page_no == 0:
            for alias in start_aliases:
                yield html_page(alias, html)
    for r in ordered:
        modified = f"{r.published.isoformat()}T{modified_at}" if modified_at else None
        yield html_page(r.url, release_html(r), modified)
