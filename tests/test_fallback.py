"""The generic fallback reader (trafilatura) and the error-page check, on whole pages."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

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
    for widget in ("Widgetized Section", "Go to Admin", "Gabfire Widget", "Fedotov (right)"):
        assert widget not in fields.body
    assert fields.title == spec["expected"]["title"]
    assert fields.published == date(2012, 1, 9)  # published, not modified (2013-05-02)
    assert fields.method == "fallback"
    assert fields.parser_version.startswith("trafilatura-")
    assert fields.parser_version.endswith("/precision")


@pytest.mark.parametrize(
    "spec_path", sorted((FIXTURES / "generic").glob("*.json")), ids=lambda p: p.stem
)
def test_generic_fixture_fields(spec_path: Path) -> None:
    """Sites without a parser: every field the fallback reads equals the fixture's JSON."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    fields = extract_fallback(spec["url"], spec_path.with_suffix(".html").read_text("utf-8"))
    assert fields is not None
    actual = json.loads(json.dumps(asdict(fields), default=lambda v: v.isoformat()))
    wrong = {k: (actual[k], v) for k, v in spec["expected"].items() if actual[k] != v}
    assert not wrong, "\n".join(f"{k}: got {a!r}, expected {e!r}" for k, (a, e) in wrong.items())


def test_precision_running_paragraphs_together_falls_back_to_default() -> None:
    """An inline-bordered block makes precision mode return one merged block (2.3.1)."""
    html = (FIXTURES / "generic" / "styled-block.html").read_text(encoding="utf-8")
    fields = extract_fallback("https://www.border-centre.example/en/news/a", html)
    assert fields is not None and fields.parser_version.endswith("default(precision-merged)")
    assert len(fields.body.split("\n\n")) == 7


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


def test_precision_fragment_falls_back_to_default(monkeypatch: pytest.MonkeyPatch) -> None:
    full = [
        f"Paragraph {n} of a release long enough to count as prose in a body." for n in range(6)
    ]
    readings = {"precision": (full[:2], "T"), "default": (full, "T")}
    monkeypatch.setattr(extract, "_trafilatura_paragraphs", lambda u, h, s: readings[s])
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None
    assert fields.body == "\n\n".join(full)
    assert fields.parser_version.endswith("/default(precision-short)")


def test_precision_kept_when_close_to_default(monkeypatch: pytest.MonkeyPatch) -> None:
    full = [
        f"Paragraph {n} of a release long enough to count as prose in a body." for n in range(6)
    ]
    readings = {"precision": (full, "T"), "default": (full + ["Share this: Tweet"], "T")}
    monkeypatch.setattr(extract, "_trafilatura_paragraphs", lambda u, h, s: readings[s])
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None and fields.parser_version.endswith("/precision")
    assert "Share this" not in fields.body


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
    reading = (["Press release", "Ministers agree on a plan", *body], "Ministers agree on a plan")
    monkeypatch.setattr(extract, "_trafilatura_paragraphs", lambda u, h, s: reading)
    fields = extract_fallback("https://news.example/a", _page(""))
    assert fields is not None and fields.body == "\n\n".join(body)


def test_end_mark_cuts_the_contact_block_but_not_a_long_second_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = [f"Paragraph {n} of a release, long enough to count as prose." for n in range(4)]
    contact = ["For further information please contact:", "Media Relations, press[at]un.org"]
    readings = {"short": [*body, "* * *", *contact], "long": [*body, "***", *body, *body]}
    for kind, expected in (("short", body), ("long", readings["long"])):
        reading = (readings[kind], "Ministers agree on a plan")
        monkeypatch.setattr(extract, "_trafilatura_paragraphs", lambda u, h, s, r=reading: r)
        fields = extract_fallback("https://news.example/a", _page(""))
        assert fields is not None and fields.body == "\n\n".join(expected), kind


def test_a_page_starting_at_its_end_mark_has_no_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """An emptied release: trafilatura keeps only "* * *" and the contact block after it."""
    contact = [
        "For further information please contact:",
        "UNODC Media Relations Telephone: (+43-1) 26060-5629 Email: unodc-press[at]un.org",
        "Receive UNODC press releases by email: subscribe to the mailing list.",
    ]
    reading = (["* * *", *contact], "A release whose body went missing")
    monkeypatch.setattr(extract, "_trafilatura_paragraphs", lambda u, h, s: reading)
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
