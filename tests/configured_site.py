"""A WordPress newsroom no parser was written for, as the replay server serves it.

The Northsea Port Authority's newsroom (a made-up site in a real WordPress theme's markup:
masthead, menus, sidebar widgets, a view counter and share buttons in the post, comments,
footer) publishes its press releases with an RSS and an Atom feed, a sitemap index and a
paginated category listing. ``write_northsea(directory)`` writes the snapshot in three states:

- default: posts 1-4;
- ``edited`` (a day later): post 5 is new, post 2's body is edited (its Atom <updated> and
  sitemap <lastmod> move), and every view counter went up (nothing else moves);
- ``removed``: as ``edited``, with post 3 taken down (404, gone from feeds, sitemap, listing).

Run ``python tests/configured_site.py`` to rewrite tests/fixtures/configured/northsea.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.replay.builders.base import robots_page  # noqa: E402
from crawler.replay.snapshot import SnapshotPage, write_snapshot  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "configured"
SNAPSHOT = FIXTURES / "northsea"
BASE_URL = "https://news.northsea-port.example"
PER_PAGE = 3
STATES = ("edited", "removed")
EDIT = ("a further 14 berths", "a further 16 berths")  # post 2's edit, old -> new
_TEMPLATES = {p.stem: Template(p.read_text("utf-8")) for p in (FIXTURES / "templates").iterdir()}


@dataclass(frozen=True)
class Post:
    id: int
    slug: str
    title: str
    published: datetime
    paragraphs: tuple[str, ...]
    modified: datetime | None = None
    views: int = 120
    caption: str | None = None  # a figure with a caption opening the content

    @property
    def url(self) -> str:
        return f"{BASE_URL}/{self.published:%Y/%m/%d}/{self.slug}/"

    @property
    def body(self) -> str:
        """What a reader sees as the release: its paragraphs, nothing of the theme."""
        return "\n\n".join(self.paragraphs)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=UTC)


POSTS = (
    Post(
        1,
        "winter-dredging-programme-begins",
        "Winter dredging programme begins in the outer fairway",
        _at(24, 9),
        (
            "The Port Authority today began its winter maintenance dredging of the outer fairway, "
            "which will keep the channel at its declared depth of 16.5 metres for the largest "
            "container vessels calling at the port.",
            "Two trailing suction hopper dredgers will work in the fairway until the end of "
            "February. Around 1.2 million cubic metres of sediment are to be removed and taken to "
            "the licensed disposal site north of the Hook buoy.",
            "Vessels are asked to keep a safe distance from the dredgers and to follow the "
            "instructions of VTS Northsea. Notices to mariners are published weekly.",
            "“A reliable channel depth is what our customers build their schedules on,” said "
            "harbour master Ingrid Vos. “We dredge in winter, when traffic is lightest.”",
        ),
        caption="The dredger Hondsbossche at work in the outer fairway. Photo: NSPA",
    ),
    Post(
        2,
        "shore-power-expansion-approved",
        "Board approves expansion of shore power at the cruise terminal",
        _at(20, 14),
        (
            "The Board of the Port Authority has approved the second phase of the shore power "
            "programme, which will connect a further 14 berths to the electricity grid by 2028.",
            "Ships at berth will be able to switch off their auxiliary engines and draw power "
            "from the shore, cutting emissions of nitrogen oxides and particulate matter in the "
            "city centre. The investment of 38 million euros is co-funded by the national climate "
            "fund.",
            "Construction of the new substation at the cruise terminal starts in spring. The port "
            "will publish a timetable for each berth once the tender has been awarded.",
        ),
    ),
    Post(
        3,
        "annual-throughput-figures-2025",
        "Throughput rises for the third year running",
        _at(12, 10),
        (
            "Cargo throughput at the port rose by 4.2 per cent in the twelve months to September, "
            "to 61.8 million tonnes, the third annual increase in a row.",
            "Container volumes grew fastest, by 7.9 per cent, after two new liner services began "
            "calling in the spring. Dry bulk fell slightly as coal shipments continued to decline, "
            "while liquid bulk was stable.",
            "The full figures, broken down by terminal and commodity, are published in the annual "
            "report, which the Authority will present to the city council on 3 December.",
        ),
    ),
    Post(
        4,
        "new-pilot-boarding-area",
        "Pilot boarding area moves two miles seaward",
        _at(3, 8),
        (
            "From 1 December the pilot boarding area for deep-draught vessels moves two nautical "
            "miles seaward, to a position west of the fairway buoy NS-1.",
            "The change gives pilots more time to board in heavy weather and keeps the boarding "
            "manoeuvre clear of the anchorage. Masters should request a pilot at least three hours "
            "before arrival, as before.",
            "Charts and the port information guide will be updated; a notice to mariners with the "
            "new coordinates has been issued.",
        ),
    ),
)
EDITED_AT = _at(25, 16)
NEW_POST = Post(
    5,
    "harbour-open-day-2027",
    "Harbour open day returns in June",
    _at(25, 11),
    (
        "The Port Authority will open its quays, pilot station and patrol vessels to the public "
        "on Saturday 12 June 2027, the first open day since 2019.",
        "Visitors can tour the vessel traffic centre, board a patrol boat and watch a "
        "demonstration by the fire-fighting tug. Entry is free; tickets for the boat tours can be "
        "booked from April.",
    ),
)


def posts_in(
    state: str | None = None, extra: int = 0, edited_at: datetime = EDITED_AT
) -> list[Post]:
    """The posts of a state, newest first; ``extra`` adds that many older posts (benchmarks).

    ``edited_at``: when post 2 was edited (its <updated> and <lastmod>); a test crawling
    the states one after the other gives a time after its first crawls.
    """
    posts = list(POSTS) + [_older(i) for i in range(extra)]
    if state in STATES:
        edited = posts[1]
        paragraphs = tuple(p.replace(*EDIT) for p in edited.paragraphs)
        posts[1] = replace(edited, paragraphs=paragraphs, modified=edited_at)
        posts = [NEW_POST, *(replace(p, views=p.views + 37) for p in posts)]
    if state == "removed":
        posts = [p for p in posts if p.id != 3]
    return posts


def _older(i: int) -> Post:
    template = POSTS[i % len(POSTS)]
    published = datetime(2026, 10, 28, 9, tzinfo=UTC) - timedelta(days=i)
    title = f"{template.title} (archive {i + 1})"
    return replace(template, id=100 + i, slug=f"{template.slug}-{i + 1}", title=title,
                   published=published)  # fmt: skip


# --- rendering ---------------------------------------------------------------------------


def _page(page_title: str, main: str, post_id: int = 0, body_class: str = "blog") -> str:
    recent = "\n".join(
        f'              <li><a href="{p.url}">{escape(p.title)}</a></li>' for p in POSTS[:4]
    )
    return _TEMPLATES["layout"].substitute(
        page_title=escape(page_title), main=main, recent=recent, post_id=post_id,
        body_class=body_class, head_extra="",
    )  # fmt: skip


def _time(moment: datetime) -> tuple[str, str]:
    return moment.isoformat(), f"{moment.day} {moment:%B %Y}"


def post_page(post: Post, neighbours: tuple[Post | None, Post | None]) -> str:
    published_iso, published_text = _time(post.published)
    modified_iso, modified_text = _time(post.modified or post.published)
    nav = "".join(
        f'<div class="nav-{side}"><a href="{p.url}" rel="{side}">{escape(p.title)}</a></div>'
        for side, p in zip(("previous", "next"), neighbours, strict=True)
        if p is not None
    )
    figure = (
        f'                <figure class="wp-caption"><img src="{BASE_URL}/wp-content/uploads/'
        f'{post.slug}.jpg" alt=""><figcaption class="wp-caption-text">{escape(post.caption)}'
        "</figcaption></figure>"
        if post.caption
        else ""
    )
    main = _TEMPLATES["post"].substitute(
        post_id=post.id, url=post.url, title=escape(post.title), published_iso=published_iso,
        published_text=published_text, modified_iso=modified_iso, modified_text=modified_text,
        paragraphs="\n".join(f"                <p>{escape(p)}</p>" for p in post.paragraphs),
        views=f"{post.views:,}", post_nav=nav, figure=figure,
    )  # fmt: skip
    return _page(post.title, main, post.id, "post-template-default single single-post")


def listing_page(posts: list[Post], page: int, pages: int) -> str:
    items = "\n".join(
        _TEMPLATES["listing_item"].substitute(
            post_id=p.id,
            url=p.url,
            title=escape(p.title),
            published_iso=_time(p.published)[0],
            published_text=_time(p.published)[1],
            excerpt=escape(p.paragraphs[0][:140]),
        )  # fmt: skip
        for p in posts
    )
    links = [
        f'<a class="page-numbers" href="{listing_url(n)}">{n}</a>'
        if n != page
        else f'<span aria-current="page" class="page-numbers current">{n}</span>'
        for n in range(1, pages + 1)
    ]
    if page < pages:
        links.append(f'<a class="next page-numbers" href="{listing_url(page + 1)}">Next</a>')
    main = _TEMPLATES["listing"].substitute(items=items, pages="".join(links))
    return _page("Press releases", main, body_class="archive category")


def listing_url(page: int) -> str:
    base = f"{BASE_URL}/category/press-releases/"
    return base if page == 1 else f"{base}page/{page}/"


def atom_feed(posts: list[Post]) -> str:
    entries = "".join(
        f"""
  <entry>
    <author><name>Press Office</name></author>
    <title type="html"><![CDATA[{p.title}]]></title>
    <link rel="alternate" type="text/html" href="{p.url}" />
    <id>{BASE_URL}/?p={p.id}</id>
    <updated>{(p.modified or p.published).isoformat()}</updated>
    <published>{p.published.isoformat()}</published>
    <category scheme="{BASE_URL}" term="Press releases" />
    <summary type="html"><![CDATA[{p.paragraphs[0]}]]></summary>
  </entry>"""
        for p in posts
    )
    updated = max(p.modified or p.published for p in posts).isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title type="text">Northsea Port Authority Newsroom</title>
  <subtitle type="text">News, notices and statements from the Port Authority</subtitle>
  <updated>{updated}</updated>
  <link rel="alternate" type="text/html" href="{BASE_URL}" />
  <id>{BASE_URL}/feed/atom/</id>
  <link rel="self" type="application/atom+xml" href="{BASE_URL}/feed/atom/" />
  <generator uri="https://wordpress.org/" version="6.4.2">WordPress</generator>{entries}
</feed>
"""


def rss_feed(posts: list[Post]) -> str:
    items = "".join(
        f"""
    <item>
      <title>{escape(p.title)}</title>
      <link>{p.url}</link>
      <dc:creator><![CDATA[Press Office]]></dc:creator>
      <pubDate>{p.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate>
      <category><![CDATA[Press releases]]></category>
      <guid isPermaLink="false">{BASE_URL}/?p={p.id}</guid>
      <description><![CDATA[{p.paragraphs[0]}]]></description>
    </item>"""
        for p in posts
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Northsea Port Authority Newsroom</title>
    <atom:link href="{BASE_URL}/feed/" rel="self" type="application/rss+xml" />
    <link>{BASE_URL}</link>
    <description>News, notices and statements from the Port Authority</description>
    <language>en-GB</language>{items}
  </channel>
</rss>
"""


def sitemap_index(posts: list[Post]) -> str:
    newest = max(p.modified or p.published for p in posts).isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{BASE_URL}/wp-sitemap-posts-post-1.xml</loc><lastmod>{newest}</lastmod></sitemap>
  <sitemap><loc>{BASE_URL}/wp-sitemap-posts-page-1.xml</loc></sitemap>
</sitemapindex>
"""


def sitemap(urls: list[tuple[str, datetime | None]]) -> str:
    rows = "".join(
        f"\n  <url><loc>{url}</loc>"
        + (f"<lastmod>{m.isoformat()}</lastmod>" if m else "")
        + "</url>"
        for url, m in urls
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}
</urlset>
"""


def snapshot_pages(posts: list[Post]) -> list[tuple[SnapshotPage, str | None]]:
    """Every page of the site with these posts (newest first); redirects have no text."""
    pages: list[tuple[SnapshotPage, str | None]] = [robots_page(BASE_URL)]
    pages[0] = (
        pages[0][0],
        f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {BASE_URL}/wp-sitemap.xml\n",
    )
    for i, post in enumerate(posts):
        older = posts[i + 1] if i + 1 < len(posts) else None
        newer = posts[i - 1] if i else None
        pages.append(_html(post.url, post_page(post, (older, newer))))
        # WordPress's canonical redirect: the archive keeps URLs without the trailing slash.
        redirect = SnapshotPage(url=post.url.rstrip("/"), status=301, location=post.url)
        pages.append((redirect, None))
    count = max(1, -(-len(posts) // PER_PAGE))
    for n in range(1, count + 1):
        chunk = posts[(n - 1) * PER_PAGE : n * PER_PAGE]
        pages.append(_html(listing_url(n), listing_page(chunk, n, count)))
    xml = "application/xml; charset=UTF-8"
    pages += [
        _file(f"{BASE_URL}/feed/", "feed/rss.xml", rss_feed(posts), "application/rss+xml; charset=UTF-8"),
        _file(f"{BASE_URL}/feed/atom/", "feed/atom.xml", atom_feed(posts), "application/atom+xml; charset=UTF-8"),
        _file(f"{BASE_URL}/wp-sitemap.xml", "wp-sitemap.xml", sitemap_index(posts), xml),
        _file(f"{BASE_URL}/wp-sitemap-posts-post-1.xml", "wp-sitemap-posts-post-1.xml",
              sitemap([(p.url, p.modified or p.published) for p in posts]), xml),
        _file(f"{BASE_URL}/wp-sitemap-posts-page-1.xml", "wp-sitemap-posts-page-1.xml",
              sitemap([(f"{BASE_URL}/about/", None), (f"{BASE_URL}/contact/", None)]), xml),
    ]  # fmt: skip
    return pages


def _html(url: str, html: str) -> tuple[SnapshotPage, str]:
    path = url.removeprefix(BASE_URL).strip("/") or "index"
    return SnapshotPage(url=url, file=f"news.northsea-port.example/{path}.html"), html


def _file(url: str, name: str, text: str, content_type: str) -> tuple[SnapshotPage, str]:
    page = SnapshotPage(
        url=url, file=f"news.northsea-port.example/{name}", content_type=content_type
    )
    return page, text


def write_northsea(directory: Path, extra: int = 0, edited_at: datetime = EDITED_AT) -> Path:
    """The snapshot in all its states (manifest.STATE.json); ``extra`` older posts make it
    bigger (benchmarks); ``edited_at`` as for ``posts_in``.

    A page that differs from every earlier state's gets a file in the state's own folder.
    """
    written: dict[tuple[str, str], str] = {}  # (url, text) -> file
    for state in (None, *STATES):
        pages: list[tuple[SnapshotPage, str | None]] = []
        for page, text in snapshot_pages(posts_in(state, extra, edited_at)):
            if text is None:
                pages.append((page, None))
                continue
            if file := written.get((page.url, text)):
                pages.append((replace(page, file=file), None))  # an earlier state's file
                continue
            if state:
                page = replace(page, file=f"{state}/{page.file}")
            written[page.url, text] = page.file or ""
            pages.append((page, text))
        write_snapshot(directory, pages, name="northsea", state=state)
    return directory


if __name__ == "__main__":
    print(write_northsea(SNAPSHOT))
