"""Every site fixture page is read into exactly the fields in the JSON beside it.

A fixture is tests/fixtures/<site>/<name>.html (a whole page) with <name>.json::

    {"url": "...", "page": "release" | "listing", "crawled": "2026-11-01" (optional),
     "expected": {...fields...}}

Release pages go through ``read_release`` as bytes (parser eras, then fallback); the expected fields
are those of ReleaseFields (dates as ISO strings). Listing pages go through the parser's
``parse_listing``. Failures are reported per field.

After the fixtures: rules every site keeps (markup eras by crawl date, release URLs, demo
snapshot listings that chain to every release).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

from crawler.replay.demo import builder
from crawler.sites import (
    SITE_MODULES,
    UnreadablePage,
    eras,
    get_site,
    read_release,
    read_with_eras,
)
from crawler.sites.base import ListingPage, ReleaseFields, SiteParser
from crawler.sites.sco import ScoV1, ScoV2
from crawler.sites.unis import UnisV1, UnisV2

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for key in SITE_MODULES for p in (FIXTURES / key).glob("*.html"))


def _plain(value):
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _read(html_path: Path) -> tuple[dict, dict]:
    spec = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    site = get_site(html_path.parent.name)
    raw = html_path.read_bytes()
    html = raw.decode(spec.get("encoding", "utf-8"))
    day = date.fromisoformat(spec["crawled"]) if "crawled" in spec else None
    if spec["page"] == "listing":
        got: ListingPage = site.parser_for(day).parse_listing(spec["url"], html)
        actual = {"entries": [asdict(e) for e in got.entries], "next_url": got.next_url}
    else:  # raw bytes, decoded as a crawl decodes them (meta charset, BOM)
        fields: ReleaseFields = read_release(site, spec["url"], raw, day)
        actual = asdict(fields)
    return _plain(actual), spec["expected"]


@pytest.mark.parametrize("html_path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_fields(html_path: Path) -> None:
    actual, expected = _read(html_path)
    assert set(expected) == set(actual), "the expected JSON must name every field"
    wrong = {k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v}
    assert not wrong, "\n".join(f"{k}: got {a!r}, expected {e!r}" for k, (a, e) in wrong.items())


@pytest.mark.parametrize("key", SITE_MODULES)
def test_every_site_has_release_listing_and_fallback_fixtures(key: str) -> None:
    specs = [
        json.loads(p.with_suffix(".json").read_text()) for p in (FIXTURES / key).glob("*.html")
    ]
    pages = {s["page"] for s in specs}
    methods = {s["expected"].get("method") for s in specs if s["page"] == "release"}
    assert {"release", "listing"} <= pages
    assert {"site", "fallback"} <= methods


# Where each seed's article body starts and ends in its text (tests/fixtures/seeds/README.md).
SEED_BODIES = {
    "001": (
        "VIENNA, 17 July 2008 - How international",
        "training courses for law enforcement officers.",
    ),
    "002": ("VIENNA, 27 October 2014 – Representatives", "the diversion of chemical precursors."),
    "003": (
        "LYON/VIENNA, 6 June 2018 (UN Information Service) - Yury Fedotov",
        "and institutional capacity.",
    ),
    "004": ("On 10 July 2019, the UN's Vienna Office hosted", "to promote anti-drug cooperation."),
}
SEED_CASES = [
    p
    for p in CASES
    if json.loads(p.with_suffix(".json").read_text(encoding="utf-8")).get("seed") in SEED_BODIES
]


def seed_body(seed: str) -> str:
    text = next((FIXTURES / "seeds").glob(f"{seed}_*.txt")).read_text(encoding="utf-8")
    start, end = SEED_BODIES[seed]
    return text[text.index(start) : text.index(end) + len(end)]


def test_every_seed_has_a_fixture_page() -> None:
    seeds = {
        json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))["seed"] for p in SEED_CASES
    }
    assert seeds == set(SEED_BODIES)


@pytest.mark.parametrize("html_path", SEED_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_seed_page_body_is_the_seed_text_word_for_word(html_path: Path) -> None:
    spec = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    fields = read_release(
        get_site(html_path.parent.name), spec["url"], html_path.read_text(encoding="utf-8")
    )
    assert fields.method == "site"
    assert fields.body.split() == seed_body(spec["seed"]).split()


# --- rules every site keeps ----------------------------------------------------------------

# Crawl dates (None: today) and the parser of the markup era that must read their pages.
ERAS = [
    ("sco", date(2019, 7, 12), ScoV1),
    ("sco", date(2024, 1, 20), ScoV2),
    ("sco", None, ScoV2),
    ("unis", date(2018, 6, 7), UnisV1),
    ("unis", date(2023, 1, 25), UnisV2),
    ("unis", None, UnisV2),
]


@pytest.mark.parametrize(
    ("key", "day", "parser"), ERAS, ids=[f"{k}-{d or 'today'}-{p.__name__}" for k, d, p in ERAS]
)
def test_the_markup_era_follows_the_crawl_date(
    key: str, day: date | None, parser: type[SiteParser]
) -> None:
    assert type(get_site(key).parser_for(day)) is parser


ERA_ORDERS = [
    ("unis", date(2018, 6, 7), [UnisV1, UnisV2]),
    ("unis", date(2026, 11, 20), [UnisV2, UnisV1]),
    ("unis", None, [UnisV2, UnisV1]),
    ("sco", date(2019, 7, 12), [ScoV1, ScoV2]),
]


@pytest.mark.parametrize(("key", "day", "order"), ERA_ORDERS)
def test_eras_start_with_the_fetch_date_then_go_newest_first(
    key: str, day: date | None, order: list[type[SiteParser]]
) -> None:
    assert [type(p) for p in eras(key, day)] == order


def test_an_old_page_fetched_today_is_read_by_its_own_era() -> None:
    """A legacy static release still served after the redesign: today's parser misses its
    body, the 2018 era reads it exactly, and says so (the 2018 fixture, fetched in 2026)."""
    path = FIXTURES / "unis" / "release_2018_legacy.html"
    spec = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    today = date(2026, 11, 20)
    assert (
        get_site("unis").parser_for(today).parse_release(spec["url"], path.read_text()).body == ""
    )
    fields, era = read_with_eras("unis", spec["url"], path.read_bytes(), today)
    assert (era, fields.method, fields.parser_version) == ("unis/1", "site", "unis/1")
    assert fields.body == spec["expected"]["body"]


def test_no_era_reading_a_body_gives_the_fallback_body_with_the_era_metadata() -> None:
    path = FIXTURES / "unis" / "variant_2025_core_components.html"
    url = "https://unis.unvienna.org/unis/en/pressrels/2025/unisnar1478.html"
    fields, era = read_with_eras("unis", url, path.read_bytes(), date(2025, 6, 27))
    assert era == "unis/2" and fields.method == "fallback"
    assert fields.parser_version.startswith("unis/2+trafilatura-")
    assert fields.external_id == "UNIS/NAR/1478"  # from the file name, without the body


def test_a_page_nobody_reads_is_unreadable_with_its_reason() -> None:
    html = b"<html><head><title>Page not found</title></head><body><p>Sorry.</p></body></html>"
    with pytest.raises(UnreadablePage, match="page not found"):
        read_with_eras("osce", "https://www.osce.org/secretariat/1", html)


def test_bytes_and_text_read_the_same() -> None:
    path = FIXTURES / "sco" / "news_2019_ru_windows1251.html"
    spec = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    site, raw = get_site("sco"), path.read_bytes()
    from_bytes = read_release(site, spec["url"], raw)
    assert from_bytes == read_release(site, spec["url"], raw.decode("windows-1251"))
    assert from_bytes.title.startswith("ШОС")


RELEASE_URLS = [
    ("osce", "https://www.osce.org/secretariat/107413", True),
    ("osce", "https://www.osce.org/odihr/elections/523565", True),
    ("osce", "https://d6.web.osce.org/spmu/69310", True),
    ("osce", "https://www.osce.org/node/598132", True),
    ("osce", "https://www.osce.org/files/f/documents/5/7/477547.pdf?download=true", False),
    ("osce", "https://www.osce.org/secretariat/107413?download=true", False),
    ("osce", "https://www.osce.org/press-releases?page=2", False),
    ("osce", "https://www.osce.org/policing", False),
    ("osce", "https://www.example.org/secretariat/107413", False),
    ("sco", "https://eng.sectsco.org/news/20190711/565213.html", True),
    ("sco", "https://eng.sectsco.org/20220125/813122.html", True),
    ("sco", "https://eng.sectsco.org/20240117/1238128.html?utm_source=x", True),
    ("sco", "https://eng.sectsco.org/news/", False),
    ("sco", "https://eng.sectsco.org/20240117/", False),
    ("unis", "https://unis.unvienna.org/unis/en/pressrels/2018/uniscp1051.html", True),
    ("unis", "https://unis.unvienna.org/unis/pressrels/2007/unisnar1000.html", True),
    ("unis", "https://unis.unvienna.org/unis/de/pressrels/2007/unisnar1001.html", True),
    ("unis", "https://unis.unvienna.org/unis/en/pr/press-releases.html", False),
    ("unis", "https://unis.unvienna.org/unis/en/pressrels/2018.html", False),
]


@pytest.mark.parametrize(("key", "url", "expected"), RELEASE_URLS)
def test_release_urls(key: str, url: str, expected: bool) -> None:
    assert get_site(key).is_release_url(url) is expected


# Listing page sizes that split each site's demo releases over several pages.
SNAPSHOT_PER_PAGE = {"osce": 5, "sco": 3, "unis": 4, "unodc": 4}


@pytest.mark.parametrize("key", SNAPSHOT_PER_PAGE)
def test_the_snapshot_listing_pages_chain_to_every_release(key: str) -> None:
    site, releases = get_site(key), builder(key).demo_releases()
    pages = list(builder(key).snapshot_pages(releases, per_page=SNAPSHOT_PER_PAGE[key]))
    assert pages[0][0].url == f"{site.base_url}/robots.txt"
    served = {page.url: html for page, html in pages}
    assert len(served) == len(pages), "every page has its own URL"
    assert len({page.file for page, _ in pages}) == len(pages), "and its own file"
    url, found, parser = site.start_urls[0], [], site.parser_for()
    while url:
        listing = parser.parse_listing(url, served[url])
        found += listing.entries
        url = listing.next_url
    assert [e.url for e in found] == [
        r.url for r in sorted(releases, key=lambda r: r.published, reverse=True)
    ]
    assert all(e.url in served and e.published and e.title for e in found)
