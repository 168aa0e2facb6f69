"""SCO parser and builder behaviour the fixture pages do not pin down."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from crawler.replay.builders import sco as builder
from crawler.replay.builders.base import DemoRelease
from crawler.sites.sco import SITE, ScoV1, ScoV2

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = builder.demo_releases()


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.url.rsplit("/", 1)[-1])
def test_every_demo_release_reads_back_into_its_own_fields(release: DemoRelease) -> None:
    fields = ScoV2().parse_release(release.url, builder.release_html(release))
    assert fields is not None
    assert fields.title == release.title
    assert fields.published == release.published
    assert fields.place is None
    assert fields.external_id == release.external_id
    assert fields.metadata == release.metadata
    assert fields.body == "\n\n".join(release.paragraphs)
    assert SITE.is_release_url(release.url)


def test_seed_004_is_among_the_demo_releases_word_for_word() -> None:
    seed = (FIXTURES / "seeds" / "004_fc371c4e5b7b40d3.txt").read_text(encoding="utf-8")
    (release,) = [r for r in RELEASES if r.url.endswith("/news/20190711/565213.html")]
    assert release.title == "SCO and UNODC outline further steps to fight drug threats"
    assert release.published == date(2019, 7, 10)
    body = " ".join(" ".join(release.paragraphs).split())
    assert body.startswith("On 10 July 2019, the UN's Vienna Office hosted")
    assert body.endswith("to promote anti-drug cooperation.")
    assert body in " ".join(seed.split())


def test_the_title_is_the_heading_not_the_truncated_page_title() -> None:
    (release,) = [r for r in RELEASES if r.url.endswith("565213.html")]
    html = builder.release_html(release)
    assert "<title>SCO and UNODC outline further steps to fight drug threa</title>" in html
    fields = ScoV2().parse_release(release.url, html)
    assert fields is not None and fields.title.endswith("drug threats")


def test_without_date_markup_the_date_comes_from_the_url() -> None:
    release = RELEASES[-1]
    html = re.sub(
        r'<div class="article__info-date">.*?</div>', "", builder.release_html(release), flags=re.S
    )
    html = re.sub(r'<meta property="article:published_time"[^>]*>', "", html)
    fields = ScoV2().parse_release(release.url.replace("20260305", "20260306"), html)
    assert fields is not None and fields.published == date(2026, 3, 6)


def test_place_needs_a_dated_dateline() -> None:
    opening = "UNODC, the SCO and the CSTO met today to discuss security cooperation in Asia."
    release = replace(RELEASES[0], paragraphs=[opening, "More text."])
    fields = ScoV2().parse_release(release.url, builder.release_html(release))
    assert fields is not None and fields.place is None
    dated = replace(release, paragraphs=["BEIJING, 10 July 2019 - The SCO met today.", "More."])
    fields = ScoV2().parse_release(release.url, builder.release_html(dated))
    assert fields is not None and fields.place == "BEIJING"


def test_a_page_without_an_article_body_keeps_title_date_and_id() -> None:
    html = builder.release_html(RELEASES[0]).replace("article__body", "news-page__content")
    fields = ScoV2().parse_release(RELEASES[0].url, html)
    assert fields.body == ""
    assert (fields.title, fields.published) == (RELEASES[0].title, RELEASES[0].published)
    assert fields.external_id == RELEASES[0].external_id


def test_a_windows_1251_page_reads_once_decoded() -> None:
    raw = (FIXTURES / "sco" / "news_2019_ru_windows1251.html").read_bytes()
    assert b'charset="windows-1251"' in raw
    fields = ScoV1().parse_release(
        "https://rus.sectsco.org/news/20190711/565210.html", raw.decode("windows-1251")
    )
    assert fields is not None
    assert fields.title.startswith("ШОС и УНП ООН")
    assert fields.metadata["language"] == "ru"
