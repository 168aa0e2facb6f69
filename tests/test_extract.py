"""The shared text tools of crawler/extract.py."""

from __future__ import annotations

from datetime import date

import pytest
from parsel import Selector

from crawler.extract import _page_title, first_text, node_texts, parse_dateline, text_lines

PAGE = Selector(
    text="""<html lang="en"><head><title>A title | Site</title>
<meta property="og:title" content="  The release\u00a0title ">
<meta name="date" content=""></head>
<body><h1 class="logo">Site</h1><p class="date"> </p><p class="date">4 May 2023</p>
<ul class="tags"><li><a> </a></li></ul>
<ul class="topics"><li><a>Drugs</a></li><li><a></a></li><li><a>Crime</a></li></ul>
<div class="contact">For further information:<br>Press desk<br/>
<p>Telephone: 123</p><p>Email: press@example.org</p><div>Vienna</div></div></body></html>"""
)


@pytest.mark.parametrize(
    ("paragraph", "place", "published", "country"),
    [
        ("Vienna (Austria), 26 June 2024 – The number", "Vienna", date(2024, 6, 26), "Austria"),
        (
            "New York (United States), 9 December 2024 - On",
            "New York",
            date(2024, 12, 9),
            "United States",
        ),
        ("Bogotá (Colombia), 3 October 2024 – Farmers", "Bogotá", date(2024, 10, 3), "Colombia"),
        ("VIENNA, 17 July 2008 - How", "VIENNA", date(2008, 7, 17), None),
    ],
)
def test_unodc_city_country_dateline(
    paragraph: str, place: str, published: date, country: str | None
) -> None:
    found = parse_dateline(paragraph)
    assert found is not None
    assert (found.place, found.published, found.country) == (place, published, country)


@pytest.mark.parametrize(
    "paragraph", ["Vienna (Austria) – The office said", "United Nations (UN) met"]
)
def test_parentheses_without_a_date_are_no_dateline(paragraph: str) -> None:
    assert parse_dateline(paragraph) is None


def test_first_text_reads_attribute_values_and_node_text() -> None:
    assert first_text(PAGE, "meta[property='og:title']::attr(content)") == "The release title"
    assert first_text(PAGE, "h1") == "Site"
    assert first_text(PAGE, "title") == "A title | Site"


def test_first_text_goes_on_while_a_query_gives_no_text() -> None:
    # the first match of p.date is empty: the query counts as giving nothing
    assert first_text(PAGE, "meta[name=date]::attr(content)", "p.date", "title") == "A title | Site"
    assert first_text(PAGE, "h2", "meta[name=date]::attr(content)", "h1") == "Site"
    assert first_text(PAGE, "h2", "meta[name=none]::attr(content)") is None


def test_node_texts_are_those_of_the_first_query_giving_any() -> None:
    assert node_texts(PAGE, "ul.tags a", "ul.topics a", "h1") == ["Drugs", "Crime"]
    assert node_texts(PAGE, "h2") == []


def test_text_lines_break_at_br_and_block_ends() -> None:
    assert text_lines(PAGE.css("div.contact")[0]) == [
        "For further information:",
        "Press desk",
        "Telephone: 123",
        "Email: press@example.org",
        "Vienna",
    ]


def test_the_fallback_title_is_og_title_over_a_logo_heading() -> None:
    # og:title is an attribute value: read as node text it was empty, and the logo won
    assert _page_title(PAGE, None) == "The release title"
    assert _page_title(PAGE, "Other") == "The release title"
