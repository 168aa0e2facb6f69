"""OSCE parser behaviour the fixture pages do not pin down: datelines, kinds, eras, URLs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from crawler.extract import parse_dateline
from crawler.replay.builders import osce as builder
from crawler.replay.builders.base import DemoRelease
from crawler.sites.osce import SITE, OsceParser2019, OsceParser2023, is_release_url

FIXTURES = Path(__file__).parent / "fixtures" / "osce"
LISTING_URL = "https://www.osce.org/press-releases"


def _undated_page(release: DemoRelease, meta_day: date | None = None) -> str:
    """The release page without its date markup or Place line, as old pages show it."""
    html = builder.release_html(replace(release, place=None))
    html = re.sub(r'<li class="metadata-item metadata-date">.*?</li>', "", html, flags=re.S)
    stamp = meta_day.isoformat() if meta_day else ""
    return re.sub(r'(property="article:published_time" content=")[^"]*', rf"\g<1>{stamp}", html)


DATELINES = [
    ("VIENNA, 17 July 2008 - How it began.", "VIENNA", date(2008, 7, 17)),
    ("BELGRADE, 25 April 2015- The OSCE Mission", "BELGRADE", date(2015, 4, 25)),
    ("NEW YORK CITY, 28 September 2015 A good partnership", "NEW YORK CITY", date(2015, 9, 28)),
    (
        "TIRANA / BRUSSELS / GENEVA – 6 October 2020. The OSCE",
        "TIRANA/BRUSSELS/GENEVA",
        date(2020, 10, 6),
    ),
    ("BISHKEK, 27 June 2024 — On the occasion", "BISHKEK", date(2024, 6, 27)),
    ("VIENNA, 27 October 2014 – Representatives", "VIENNA", date(2014, 10, 27)),
]


@pytest.mark.parametrize(("opening", "place", "day"), DATELINES)
def test_place_and_date_come_from_the_dateline_when_the_page_has_no_markup(
    opening: str, place: str, day: date
) -> None:
    release = DemoRelease(
        url="https://www.osce.org/secretariat/1",
        title="T",
        published=day,
        paragraphs=[opening + " More text follows here.", "A second paragraph."],
    )
    fields = OsceParser2023().parse_release(release.url, _undated_page(release))
    assert fields is not None
    assert (fields.place, fields.published) == (place, day)
    assert fields.body.startswith(opening)


def test_a_dateline_without_year_takes_the_year_of_the_meta_tags() -> None:
    release = DemoRelease(
        url="https://www.osce.org/secretariat/2",
        title="T",
        published=date(2016, 7, 12),
        paragraphs=["VALLETTA/VIENNA, 12 July – Experts met today.", "More."],
    )
    html = _undated_page(release, meta_day=date(2016, 7, 13))  # the page was posted a day later
    fields = OsceParser2023().parse_release(release.url, html)
    assert fields is not None
    assert (fields.place, fields.published) == ("VALLETTA/VIENNA", date(2016, 7, 12))


def test_without_a_dateline_the_date_comes_from_the_meta_tags() -> None:
    release = DemoRelease(
        url="https://www.osce.org/secretariat/3",
        title="T",
        published=date(2019, 1, 2),
        paragraphs=["The OSCE today opened a new office.", "More."],
    )
    html = _undated_page(release, meta_day=date(2019, 1, 3))
    fields = OsceParser2023().parse_release(release.url, html)
    assert fields is not None
    assert (fields.place, fields.published) == (None, date(2019, 1, 3))


def test_the_date_markup_wins_over_the_dateline() -> None:
    """A corrected date must show as a change even when the dateline still says the old one."""
    release = builder.demo_releases()[0]
    html = builder.release_html(replace(release, published=date(2008, 7, 18)))
    fields = OsceParser2023().parse_release(release.url, html)
    assert fields is not None and fields.published == date(2008, 7, 18)


def test_metadata_holds_only_the_keys_the_page_shows() -> None:
    release = replace(builder.demo_releases()[0], metadata={"content_type": "Press release"})
    fields = OsceParser2023().parse_release(release.url, builder.release_html(release))
    assert fields is not None
    assert fields.metadata == {"content_type": "Press release"}


def test_a_page_without_body_node_has_no_body() -> None:
    html = (FIXTURES / "listing_page0.html").read_text(encoding="utf-8")
    assert OsceParser2023().parse_release(LISTING_URL, html).body == ""


def test_listing_keeps_every_kind_and_the_spider_filter_keeps_releases_and_statements() -> None:
    html = (FIXTURES / "listing_page0.html").read_text(encoding="utf-8")
    entries = OsceParser2023().parse_listing(LISTING_URL, html).entries
    assert {e.kind for e in entries} == {
        "News",
        "Press release",
        "Press statement",
        "Spot report",
        "Daily report",
    }
    kept = [e.url for e in entries if e.kind in SITE.release_kinds]
    assert kept == [
        "https://www.osce.org/programme-office-in-bishkek/570123",
        "https://www.osce.org/secretariat/531234",
    ]
    assert "download=true" in html
    assert not any("download=true" in e.url for e in entries)
    assert all(is_release_url(e.url) for e in entries)


def test_the_last_listing_page_has_no_next_url() -> None:
    releases = builder.demo_releases()
    page = OsceParser2023().parse_listing(
        builder.listing_url(2), builder.listing_html(releases[:2], 2, 3)
    )
    assert page.next_url is None
    assert len(page.entries) == 2


LISTING_2019 = """<html><body><nav><ul class="menu"><li><a href="/policing">Policing</a></li></ul>
</nav><div class="view-content">
<div class="search-result-news"><div class="search-title"><a href="/serbia/155501">OSCE Mission
to Serbia supports training</a></div><div class="search-snippet">BELGRADE, 25 April 2015- The
OSCE Mission…</div><div class="publishing-date">Publishing date: 25 April 2015</div>
<div class="content-type">Content type: Press release</div></div>
<div class="search-result-news"><div class="search-title"><a
href="/files/f/documents/1/2/155502.pdf?download=true">Training report</a></div>
<div class="publishing-date">Publishing date: 24 April 2015</div></div>
</div><ul class="pager"><li class="pager-next"><a href="/press-releases?page=1">next ›</a></li>
</ul></body></html>"""


def test_the_2019_listing_is_read_by_the_parser_of_its_time() -> None:
    parser = SITE.parser_for(date(2019, 6, 1))
    assert isinstance(parser, OsceParser2019) and not isinstance(parser, OsceParser2023)
    page = parser.parse_listing(LISTING_URL, LISTING_2019)
    assert [(e.url, e.published, e.kind) for e in page.entries] == [
        ("https://www.osce.org/serbia/155501", date(2015, 4, 25), "Press release")
    ]
    assert page.next_url == "https://www.osce.org/press-releases?page=1"
    assert isinstance(SITE.parser_for(date(2026, 1, 1)), OsceParser2023)


def test_snapshot_holds_robots_every_listing_page_and_every_release() -> None:
    releases = builder.demo_releases()
    pages = list(builder.snapshot_pages(releases, per_page=5))
    urls = [page.url for page, _ in pages]
    assert urls[0] == "https://www.osce.org/robots.txt"
    assert LISTING_URL in urls  # the spider's start URL
    assert [u for u in urls if "?page=" in u] == [builder.listing_url(n) for n in range(3)]
    assert {r.url for r in releases} <= set(urls)
    assert len({page.file for page, _ in pages}) == len(pages)


def test_demo_releases_carry_the_seed_bodies() -> None:
    seeds = Path(__file__).parent / "fixtures" / "seeds"
    for release, seed in zip(builder.demo_releases(), ("001_", "002_"), strict=False):
        text = next(seeds.glob(f"{seed}*.txt")).read_text(encoding="utf-8")
        body = "\n".join(release.paragraphs)
        assert text.rstrip("\n").endswith(body)


# parse_dateline is shared (crawler/extract.py); its date part was fixed for these OSCE forms,
# which used to stop at the first capital ("VIENNA, 17" of "VIENNA, 17 July 2008 - ").
@pytest.mark.parametrize(
    ("paragraph", "place", "day"),
    [
        *[(opening, place, day) for opening, place, day in DATELINES],
        ("VALLETTA/VIENNA, 12 July – Experts", "VALLETTA/VIENNA", date(2016, 7, 12)),
        ("VIENNA – Over 150 experts met", "VIENNA", None),
        (
            "LYON/VIENNA, 6 June 2018 (UN Information Service) - Yury",
            "LYON/VIENNA",
            date(2018, 6, 6),
        ),
        ("WIEN, 19. September 2007 (UNO-Informationsdienst) - Der", "WIEN", date(2007, 9, 19)),
    ],
)
def test_parse_dateline_forms(paragraph: str, place: str, day: date | None) -> None:
    dateline = parse_dateline(paragraph, default_year=2016)
    assert dateline is not None and (dateline.place, dateline.published) == (place, day)


@pytest.mark.parametrize(
    "paragraph", ["The OSCE today said", "OSCE Chairperson-in-Office said", "On 10 July 2019, the"]
)
def test_parse_dateline_ignores_plain_openings(paragraph: str) -> None:
    assert parse_dateline(paragraph) is None


def test_the_pane_opening_with_the_dateline_is_the_body_even_when_another_is_longer() -> None:
    """An unnamed pane before the body (a long teaser of another release) is not the body."""
    html = (FIXTURES / "release_2008_wrapped_panes.html").read_text(encoding="utf-8")
    teaser = "<p>" + "Earlier this year the Unit trained border police officers. " * 40 + "</p>"
    html = html.replace(
        '<div class="panel-pane pane-node-body">',
        f'<div class="panel-pane pane-node-field-teaser"><div class="pane-content">{teaser}</div></div>'
        '<div class="panel-pane pane-node-body">',
    )
    fields = OsceParser2023().parse_release("https://www.osce.org/spmu/50016", html)
    assert fields.body.startswith("VIENNA, 17 July 2008 - How international")
    assert "Earlier this year" not in fields.body and "Participants of the" not in fields.body


def test_labels_written_with_a_no_break_space_are_read() -> None:
    html = (FIXTURES / "release_2014_nbsp_labels.html").read_text(encoding="utf-8")
    assert "Source:&nbsp;" in html
    fields = OsceParser2023().parse_release("https://www.osce.org/secretariat/125986", html)
    assert fields.metadata["source"] == ["OSCE Secretariat", "OSCE Chairpersonship"]
    assert fields.place == "VIENNA, HOFBURG"
