"""UNIS parser and builder behaviour the fixture pages do not pin down."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from crawler.replay.builders import unis as builder
from crawler.replay.builders.base import DemoRelease
from crawler.sites.unis import SITE, UnisV2

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
RELEASES = builder.demo_releases()
URL = "https://unis.unvienna.org/unis/en/pressrels/2019/unisnar1400.html"


def _release(paragraphs: list[str], **changes) -> DemoRelease:
    base = DemoRelease(
        url=URL,
        title="Test release",
        published=date(2019, 3, 4),
        paragraphs=paragraphs,
        external_id="UNIS/NAR/1400",
        metadata={"symbol": "UNIS/NAR/1400", "series": "NAR", "contact": "Press desk"},
    )
    return replace(base, **changes)


def _undated(html: str) -> str:
    """The page without its meta dates and printed date, as some copies are served."""
    html = re.sub(r'<meta name="(?:creation|posting)-date"[^>]*>', "", html)
    return re.sub(r'<span class="pressrelease__date">.*?</span>', "", html, flags=re.S)


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: r.external_id)
def test_every_demo_release_reads_back_into_its_own_fields(release: DemoRelease) -> None:
    fields = UnisV2().parse_release(release.url, builder.release_html(release))
    assert fields is not None
    assert fields.title == release.title
    assert fields.published == release.published
    assert fields.place == release.place
    assert fields.external_id == release.external_id
    assert fields.metadata == release.metadata
    assert fields.body == "\n\n".join(release.paragraphs)
    assert SITE.is_release_url(release.url)


def test_demo_releases_cover_the_series_and_carry_seed_003_word_for_word() -> None:
    assert len(RELEASES) >= 9
    assert {r.metadata["series"] for r in RELEASES} >= {"CP", "NAR", "MA"}
    seed = " ".join((SEEDS / "003_8406535e42b6d48f.txt").read_text(encoding="utf-8").split())
    start, end = seed.index("LYON/VIENNA, 6 June 2018"), seed.index("* *** *")
    (release,) = [r for r in RELEASES if r.external_id == "UNIS/CP/1051"]
    assert " ".join(" ".join(release.paragraphs).split()) == seed[start:end].strip()
    assert release.url.endswith("/unis/en/pressrels/2018/uniscp1051.html")


def test_the_symbol_comes_from_the_file_name_when_the_page_has_none() -> None:
    html = builder.release_html(_release(["VIENNA, 4 March 2019 (UN Information Service) - A."]))
    html = re.sub(r'<span class="pressrelease__symbol">.*?</span>', "", html)
    fields = UnisV2().parse_release(URL.replace("nar1400", "ous77"), html)
    assert fields is not None
    assert fields.external_id == "UNIS/OUS/77"
    assert fields.metadata["series"] == "OUS"


def test_without_date_markup_the_dateline_dates_the_release() -> None:
    release = _release(["VIENNA, 5 March 2019 (UN Information Service) - Text.", "More."])
    fields = UnisV2().parse_release(URL, _undated(builder.release_html(release)))
    assert fields is not None
    assert (fields.published, fields.place) == (date(2019, 3, 5), "VIENNA")


def test_a_dateline_without_year_takes_the_year_of_the_url() -> None:
    release = _release(["VIENNA, 5 March (UN Information Service) - Text.", "More."])
    fields = UnisV2().parse_release(URL, _undated(builder.release_html(release)))
    assert fields is not None
    assert (fields.published, fields.place) == (date(2019, 3, 5), "VIENNA")


def test_the_body_stops_at_the_closing_and_drops_lone_stars_and_the_disclaimer() -> None:
    paragraphs = ["VIENNA, 4 March 2019 (UN Information Service) - Opening.", "***", "After."]
    html = builder.release_html(_release(paragraphs))
    fields = UnisV2().parse_release(URL, html)
    assert fields is not None
    assert fields.body == "VIENNA, 4 March 2019 (UN Information Service) - Opening.\n\nAfter."
    assert "For information only" not in fields.body
    assert fields.metadata["contact"] == "Press desk"


def test_a_page_without_the_text_container_keeps_symbol_contact_and_date() -> None:
    """The body selector misses: no body, but what the page shows around it is kept."""
    html = builder.release_html(RELEASES[0]).replace("pressrelease__text", "cmp-text")
    fields = UnisV2().parse_release(RELEASES[0].url, html)
    assert fields.body == ""
    assert (fields.external_id, fields.published) == (
        RELEASES[0].external_id,
        RELEASES[0].published,
    )
    assert fields.metadata["contact"] == RELEASES[0].metadata["contact"]
