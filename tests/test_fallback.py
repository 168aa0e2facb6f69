"""The generic fallback reader (trafilatura) and the error-page check, on whole pages."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from crawler import extract
from crawler.extract import clean_text, extract_fallback, is_truncated
from crawler.pagecheck import error_page_reason, html_error_reason

FIXTURES = Path(__file__).parent / "fixtures"
GENERIC = FIXTURES / "generic" / "europesecuritynews"
SEED_000 = FIXTURES / "seeds" / "000_9b76510cfc46487a.txt"


def _normalised(text: str) -> str:
    return clean_text(text.replace("\n", " "))


def _seed_body(path: Path, first: str, last: str) -> str:
    text = path.read_text(encoding="utf-8")
    return text[text.index(first) : text.index(last) + len(last)]


def _page(body: str, title: str = "Ministers agree on a plan", head: str = "") -> str:
    return (
        f"<html><head><title>{title} | News</title>{head}</head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer><p>Copyright 2024 News. All rights reserved.</p></footer></body></html>"
    )


LONG_PARAGRAPHS = "".join(
    f"<p>Paragraph {n} of the release says what the ministers agreed on, in enough words "
    "to read as prose: border controls, training of officers and the exchange of data.</p>"
    for n in range(1, 5)
)


def test_wordpress_page_gives_seed_000_body_without_widgets() -> None:
    spec = json.loads(GENERIC.with_suffix(".json").read_text(encoding="utf-8"))
    html = GENERIC.with_suffix(".html").read_text(encoding="utf-8")
    fields = extract_fallback(spec["url"], html)
    assert fields is not None
    seed = _seed_body(
        SEED_000,
        "Before Christmas, the Executive Director",
        "through its network of field missions.",
    )
    assert _normalised(fields.body) == _normalised(seed)
    for widget in ("Widgetized Section", "Go to Admin", "Gabfire Widget", "Fedotov (right)",
                   "Good to see the OSCE", "joint assessment of opiates", "Leave a Reply"):  # fmt: skip
        assert widget not in fields.body  # the masthead widget, the caption, the comments
    assert fields.title == spec["expected"]["title"]
    assert fields.published == date(2012, 1, 9)  # published, not modified (2013-05-02)
    assert fields.method == "fallback"
    assert fields.parser_version.startswith("trafilatura-")
    assert fields.parser_version.endswith("/default")


@pytest.mark.parametrize(
    "spec_path", sorted((FIXTURES / "generic").glob("*.json")), ids=lambda p: p.stem
)
def test_generic_fixture_fields(spec_path: Path) -> None:
    """Sites without a parser: every field the fallback reads equals the fixture's JSON.

    The pages go in as bytes, decoded as a crawl decodes them (nested-tables-2004 declares
    iso-8859-1 in a <meta http-equiv>).
    """
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    fields = extract_fallback(spec["url"], spec_path.with_suffix(".html").read_bytes())
    assert fields is not None
    actual = json.loads(json.dumps(asdict(fields), default=lambda v: v.isoformat()))
    wrong = {k: (actual[k], v) for k, v in spec["expected"].items() if actual[k] != v}
    assert not wrong, "\n".join(f"{k}: got {a!r}, expected {e!r}" for k, (a, e) in wrong.items())


def test_inline_bordered_block_keeps_its_paragraphs() -> None:
    """An inline-bordered block made precision mode run the paragraphs together (2.3.1)."""
    html = (FIXTURES / "generic" / "styled-block.html").read_text(encoding="utf-8")
    fields = extract_fallback("https://www.border-centre.example/en/news/a", html)
    assert fields is not None and len(fields.body.split("\n\n")) == 7


def test_body_paragraphs_are_one_blank_line_apart_and_place_comes_from_dateline() -> None:
    dateline = "<p>VIENNA, 3 March 2020 - The ministers met in Vienna to agree on a plan.</p>"
    fields = extract_fallback("https://news.example/a", _page(dateline + LONG_PARAGRAPHS))
    assert fields is not None
    paragraphs = fields.body.split("\n\n")
    assert paragraphs[0].startswith("VIENNA, 3 March 2020 - ")
    assert len(paragraphs) == 5 and all(p.strip() == p and p for p in paragraphs)
    assert fields.place == "VIENNA"
    assert fields.published == date(2020, 3, 3)
    assert fields.title == "Ministers agree on a plan"


def test_date_markup_wins_over_dateline_and_url() -> None:
    head = "<meta property='article:published_time' content='2020-03-04T09:00:00+00:00'>"
    dateline = "<p>VIENNA, 3 March 2020 - The ministers met in Vienna to agree on a plan.</p>"
    html = _page(dateline + LONG_PARAGRAPHS, head=head)
    fields = extract_fallback("https://news.example/2019/May/a.html", html)
    assert fields is not None and fields.published == date(2020, 3, 4)


def test_url_date_when_page_has_none() -> None:
    fields = extract_fallback("https://news.example/2019/May/a.html", _page(LONG_PARAGRAPHS))
    assert fields is not None and fields.published == date(2019, 5, 1)
    assert fields.place is None


def test_title_prefers_page_heading_over_truncated_og_title() -> None:
    title = "SCO and UNODC outline further steps to fight drug threats"
    head = f"<meta property='og:title' content='{title[:-2]}'>"  # cut off as SCO's own title
    fields = extract_fallback("https://news.example/a", _page(LONG_PARAGRAPHS, title, head))
    assert fields is not None and fields.title == title
    assert not fields.body.startswith(title)  # the heading is the title, not body


@pytest.mark.parametrize(
    "html",
    [
        "<html><body></body></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/n'>News</a></nav></body></html>",
        _page("<p>Too short to be a release.</p>"),
        _page("<p>The page you requested could not be found. Try the search.</p>" * 3, "Oops"),
    ],
    ids=["empty", "menu-only", "too-short", "not-found"],
)
def test_no_plausible_body_gives_none(html: str) -> None:
    assert extract_fallback("https://news.example/a", html) is None


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        ("Page not found | UNODC", "", "page not found"),
        ("404", "", "page not found"),
        ("Error 404 - OSCE", "", "page not found"),
        ("UNODC", "Sorry, the page you are looking for does not exist.", "page not found"),
        ("Access Denied", "You don't have permission to access this server.", "access denied"),
        ("Just a moment...", "Checking your browser before accessing osce.org.", "access denied"),
        ("Attention Required! | Cloudflare", "Please complete the captcha", "access denied"),
        ("Log in", "Please log in to continue.", "login wall"),
        ("Site under maintenance", "We will be back soon.", "maintenance page"),
        (None, "We are performing scheduled maintenance. Please try later.", "maintenance page"),
    ],
)
def test_error_page_reason_names_the_reason(title: str | None, text: str, reason: str) -> None:
    assert error_page_reason(title, text) == reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("UNODC and OSCE agree on a joint action plan", "VIENNA, 3 March 2020 - The two…"),
        ("Forbidden weapons trade on the rise", "Trade in forbidden weapons rose in 2020."),
        ("New report on access to justice", "Access denied to detainees " + "x " * 900),
        ("404 officers trained in Tajikistan", "DUSHANBE, 2 May 2021 - Some 404 officers…"),
        ("Access denied: report on detention", "VIENNA, 3 March 2020 - A report on access…"),
    ],
)
def test_error_page_reason_lets_releases_through(title: str, text: str) -> None:
    assert error_page_reason(title, text) is None


def test_kicker_and_heading_before_the_body_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    body = [f"Paragraph {n} of a release, long enough to count as prose." for n in range(4)]
    reading = ["Press release", "Ministers agree on a plan", *body]
    monkeypatch.setattr(extract, "_trafilatura_blocks", lambda u, t: reading)
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None and fields.body == "\n\n".join(body)


def test_end_mark_cuts_the_contact_block_but_not_a_long_second_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = [f"Paragraph {n} of a release, long enough to count as prose." for n in range(4)]
    contact = ["For further information please contact:", "Media Relations, press[at]un.org"]
    readings = {"short": [*body, "* * *", *contact], "long": [*body, "***", *body, *body]}
    for kind, expected in (("short", body), ("long", readings["long"])):
        monkeypatch.setattr(extract, "_trafilatura_blocks", lambda u, t, r=readings[kind]: r)
        fields = extract_fallback("https://news.example/a", _page(""))
        assert fields is not None and fields.body == "\n\n".join(expected), kind


def test_a_page_starting_at_its_end_mark_has_no_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """An emptied release: trafilatura keeps only "* * *" and the contact block after it."""
    contact = [
        "For further information please contact:",
        "UNODC Media Relations Telephone: (+43-1) 26060-5629 Email: unodc-press[at]un.org",
        "Receive UNODC press releases by email: subscribe to the mailing list.",
    ]
    reading = ["* * *", *contact]
    monkeypatch.setattr(extract, "_trafilatura_blocks", lambda u, t: reading)
    assert extract_fallback("https://news.example/a", _page("")) is None


@pytest.mark.parametrize(
    ("html", "truncated"),
    [
        ("<html><body><p>Whole.</p></body></html>\n", False),
        ("<HTML><BODY><p>Upper case.</p></BODY></HTML>", False),
        ("<html><body><p>No html end tag.</p></body>", False),
        ("<html><body><p>Cut in the mid", True),
        ("<html><body><p>" + "x" * 5000 + "</p></body></html>", False),
        ("<html><body></body></html>" + "<!-- appended by a proxy -->" * 300, False),
    ],
)
def test_truncated_documents_have_no_closing_tags_at_their_end(html: str, truncated: bool) -> None:
    assert is_truncated(html) is truncated


def test_html_error_reason_reads_title_and_visible_text() -> None:
    blocked = "<html><head><title>Oops</title><script>var x='release';</script></head><body>"
    blocked += "<p>You don't have permission to access this page.</p></body></html>"
    assert html_error_reason(blocked) == "access denied"
    titled = "<html><head><title>Page Not Found | UNODC</title></head><body></body></html>"
    assert html_error_reason(titled) == "page not found"
    release = "<html><head><title>Ministers agree</title></head><body><p>Text.</p></body></html>"
    assert html_error_reason(release) is None


def test_one_trafilatura_extraction_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    calls = []
    real = trafilatura.bare_extraction
    monkeypatch.setattr(
        trafilatura, "bare_extraction", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    dateline = "<p>VIENNA, 3 March 2020 - The ministers met in Vienna to agree on a plan.</p>"
    assert extract_fallback("https://news.example/a", _page(dateline + LONG_PARAGRAPHS))
    assert len(calls) == 1


def test_blocks_keep_tails_line_breaks_and_table_cells() -> None:
    """trafilatura's output as it comes for loose text, <br><br> and nested-table layouts."""
    body = etree.fromstring(
        "<body><head>Background</head>Loose text after the heading."
        "<p>One line<lb/>still the same paragraph<lb/> <lb/>a new paragraph</p>Tail text."
        "<table><row><cell>HOME - PRESS</cell><cell>LINKS</cell></row>"
        "<row><cell>Lead in the cell.<p>Second paragraph in the cell.</p></cell></row></table>"
        "<list><item>First item</item><item>Second item</item></list></body>"
    )
    assert extract.fallback_blocks(body) == [
        "Background",
        "Loose text after the heading.",
        "One line still the same paragraph",
        "a new paragraph",
        "Tail text.",
        "HOME - PRESS LINKS",
        "Lead in the cell.",
        "Second paragraph in the cell.",
        "First item",
        "Second item",
    ]


def test_future_dates_are_never_the_publication_date() -> None:
    """An event announced in JSON-LD or a <time> is not when the release was published."""
    head = (
        '<script type="application/ld+json">{"@type": "Event", "datePublished": "2035-01-01"}'
        '</script><meta property="article:published_time" content="2035-02-02">'
    )
    body = "<p>Forum on <time datetime='2035-03-15'>15 March 2035</time>.</p>" + LONG_PARAGRAPHS
    dateline = "<p>VIENNA, 3 March 2020 - The ministers met in Vienna to agree on a plan.</p>"
    fields = extract_fallback("https://news.example/a", _page(dateline + body, head=head))
    assert fields is not None and fields.published == date(2020, 3, 3)


def test_json_ld_headline_and_date_when_the_page_has_no_heading() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebPage"}, {"@type": "NewsArticle", "headline": "Ministers agree on a plan",'
        ' "datePublished": "2020-03-04T10:00:00Z"}]}</script>'
    )
    html = f"<html><head><title>News</title>{ld}</head><body><div>{LONG_PARAGRAPHS}</div></body></html>"
    fields = extract_fallback("https://news.example/a", html)
    assert fields is not None
    assert (fields.title, fields.published) == ("Ministers agree on a plan", date(2020, 3, 4))


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("\ufeff<html><body><p>Grüße</p></body></html>".encode("utf-8-sig"), "Grüße"),
        (
            b"<html><head><meta charset='windows-1251'></head><body>\xcf\xf0\xe8</body></html>",
            "При",
        ),
        ("<html><body><p>Grüße</p></body></html>".encode(), "Grüße"),
    ],
    ids=["bom", "meta-charset", "utf-8-default"],
)
def test_bytes_are_decoded_as_a_crawl_decodes_them(raw: bytes, text: str) -> None:
    assert text in extract.as_text(raw)


def test_the_title_quoted_below_the_text_does_not_cut_the_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A "read more" block repeats the title after the text: the text is kept, the title not."""
    body = [f"Paragraph {n} of a release, long enough to count as prose." for n in range(4)]
    reading = [*body, "Ministers agree on a plan"]
    monkeypatch.setattr(extract, "_trafilatura_blocks", lambda u, t: reading)
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None and fields.body == "\n\n".join(body)


def test_a_lead_printed_above_the_heading_is_kept_and_a_kicker_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lead = (
        "Ministers of five countries agreed on Monday on a plan to patrol their borders together."
    )
    body = [f"Paragraph {n} of a release, long enough to count as prose." for n in range(4)]
    reading = ["Border security", lead, "Ministers agree on a plan", "3 March 2020", *body]
    monkeypatch.setattr(extract, "_trafilatura_blocks", lambda u, t: reading)
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None and fields.body == "\n\n".join([lead, *body])
