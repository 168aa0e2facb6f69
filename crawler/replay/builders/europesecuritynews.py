"""Europe Security News (seed 000), a WordPress blog in the Gabfire theme, as the replay server
serves it: robots.txt with its ``Sitemap:`` line, a Yoast-style sitemap index, the RSS feed
``/feed/``, the front page, the category listing with its "Older Entries" pager, and whole
post pages (the empty "Widgetized Section" masthead widget, menus, sidebar, photo caption,
comments, footer).

No parser is written for it: presswatch reads it as a configured source (docs/sources.md).
The pages are rendered from Jinja2 templates in templates/europesecuritynews/; the posts
are in europesecuritynews_demo.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.replay.builders.base import DemoRelease, html_page
from crawler.replay.snapshot import SnapshotPage

if TYPE_CHECKING:
    from jinja2 import Environment

KEY = "europesecuritynews"
BASE_URL = "https://www.europesecuritynews.com"
FEED_URL = f"{BASE_URL}/feed/"
SITEMAP_URL = f"{BASE_URL}/sitemap_index.xml"
POST_SITEMAP_URL = f"{BASE_URL}/post-sitemap.xml"
CATEGORY = "Organized Crime"
LISTING_URL = f"{BASE_URL}/category/organized-crime/"
PER_PAGE = 3  # posts per listing page, so the category listing has a second page
DEMO_FILE = Path(__file__).with_name(f"{KEY}_demo.json")
TEMPLATES = Path(__file__).with_name("templates") / KEY
EXCERPT_WORDS = 40
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=UTF-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Post(DemoRelease):
    """A blog post: a release with the time of day, categories, a photo and comments."""

    post_id: int = 0
    posted: datetime = datetime(2012, 1, 1)
    modified: datetime = datetime(2012, 1, 1)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: dict[str, Any] | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)


def demo_releases() -> list[Post]:
    """The seed 000 post (its body verbatim) and three more posts of the blog."""
    rows = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    posts = []
    for row in rows:
        posted = datetime.fromisoformat(row["published"])
        posts.append(
            Post(
                url=f"{BASE_URL}/{row['slug']}/",
                title=row["title"],
                published=posted.date(),
                paragraphs=row["paragraphs"],
                kind="Post",
                post_id=row["id"],
                posted=posted,
                modified=datetime.fromisoformat(row["modified"]),
                categories=row["categories"],
                tags=row["tags"],
                image=row.get("image"),
                comments=row["comments"],
            )
        )
    return posts


@cache
def _env() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # late: build time only

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(base=BASE_URL, **context)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _term(kind: str, name: str) -> dict[str, str]:
    return {"name": name, "slug": _slug(name), "url": f"{BASE_URL}/{kind}/{_slug(name)}/"}


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _header_date(day: date) -> str:
    return f"{day:%A}, {_long_date(day)}"


def _iso(moment: datetime) -> str:
    return f"{moment.isoformat()}+00:00"


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.replace(tzinfo=UTC))


def _view(post: Post) -> dict[str, Any]:
    """What the templates show of a post."""
    words = " ".join(post.paragraphs).split()
    n = len(post.comments)
    return {
        "id": post.post_id,
        "url": post.url,
        "title": post.title,
        "paragraphs": post.paragraphs,
        "long_date": _long_date(post.published),
        "published_iso": _iso(post.posted),
        "modified_iso": _iso(post.modified),
        "rfc822": _rfc822(post.posted),
        "excerpt": " ".join(words[:EXCERPT_WORDS]),
        "categories": [_term("category", c) for c in post.categories],
        "tags": [_term("tag", t) for t in post.tags],
        "image": post.image,
        "comments": [
            {**c, "when": _comment_time(datetime.fromisoformat(c["time"]))} for c in post.comments
        ],
        "comments_label": {0: "No Comments", 1: "1 Comment"}.get(n, f"{n} Comments"),
    }


def _comment_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{_long_date(moment.date())} at {hour}:{moment:%M} {'am' if moment.hour < 12 else 'pm'}"


def _listing_url(page_no: int) -> str:
    return LISTING_URL + (f"page/{page_no + 1}/" if page_no else "")


def _file_page(url: str, file: str, content_type: str, content: str) -> tuple[SnapshotPage, str]:
    host = BASE_URL.removeprefix("https://")
    return SnapshotPage(url=url, file=f"{host}/{file}", content_type=content_type), content


def snapshot_pages(releases: list[DemoRelease]) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt, the sitemap index and its post sitemap, the feed, the front page, every
    page of the category listing and every post page."""
    posts = sorted(
        (r for r in releases if isinstance(r, Post)), key=lambda p: p.posted, reverse=True
    )
    views = [_view(p) for p in posts]
    recent = views[:4]
    yield _file_page(f"{BASE_URL}/robots.txt", "robots.txt", TEXT, _render("robots.txt"))
    newest = max(p.modified for p in posts)
    sitemaps = [{"url": POST_SITEMAP_URL, "lastmod": _iso(newest)}]
    index = _render("sitemap_index.xml", sitemaps=sitemaps)
    yield _file_page(SITEMAP_URL, "sitemap_index.xml", XML, index)
    yield _file_page(POST_SITEMAP_URL, "post-sitemap.xml", XML, _render("sitemap.xml", posts=views))
    feed = _render("feed.xml", posts=views, built=_rfc822(newest))
    yield _file_page(FEED_URL, "feed/index.xml", RSS, feed)
    common = {"recent": recent, "today": _header_date(posts[0].published)}
    yield html_page(
        f"{BASE_URL}/", _render("listing.html", heading="Europe Security News", posts=views[:PER_PAGE],
                               older=_listing_url(1) if len(views) > PER_PAGE else None,
                               newer=None, category=None, **common)
    )  # fmt: skip
    category = _term("category", CATEGORY)
    in_category = [v for v in views if CATEGORY in [c["name"] for c in v["categories"]]]
    n_pages = max(1, -(-len(in_category) // PER_PAGE))
    for page_no in range(n_pages):
        chunk = in_category[page_no * PER_PAGE : (page_no + 1) * PER_PAGE]
        html = _render(
            "listing.html",
            heading=f"{CATEGORY} Archives",
            posts=chunk,
            category=category,
            older=_listing_url(page_no + 1) if page_no + 1 < n_pages else None,
            newer=_listing_url(page_no - 1) if page_no else None,
            **common,
        )
        yield html_page(_listing_url(page_no), html)
    for post, view in zip(posts, views, strict=True):
        related = [v for v in views if v is not view][:3]
        html = _render("post.html", post=view, related=related, recent=recent,
                       today=_header_date(post.published))  # fmt: skip
        yield html_page(post.url, html, f"{_iso(post.modified)[:19]}Z")
