"""What counts as the same content, and what counts as a change."""

from __future__ import annotations

from datetime import date

import pytest

from storage.fingerprint import canonical_text, content_hash
from storage.urls import canonical_url

D = date(2008, 7, 17)
BODY = 'VIENNA, 17 July 2008 - "Combating illicit drugs is complex," said Kevin Carty.\n\nIt was financed by 4 States.'

SAME = [
    ("extra spaces and tabs", BODY.replace(" - ", "   -\t")),
    (
        "curly double quotes",
        BODY.replace('"Combating', "\u201cCombating").replace('," said', ",\u201d said"),
    ),
    ("en dash for hyphen", BODY.replace(" - ", " \u2013 ")),
    ("em dash without spaces", BODY.replace(" - ", "\u2014")),
    ("no-break spaces", BODY.replace("Kevin Carty", "Kevin\u00a0Carty")),
    ("soft hyphen", BODY.replace("illicit", "il\u00adlicit")),
    ("zero-width space", BODY.replace("drugs", "drugs\u200b")),
    ("paragraph re-wrapped", BODY.replace("illicit drugs is", "illicit\ndrugs\n is")),
    ("windows line ends", BODY.replace("\n", "\r\n")),
    ("leading and trailing blank", "\n  " + BODY + "  \n\n"),
]
DIFFERENT = [
    ("one word", BODY.replace("complex", "complicated")),
    ("one digit", BODY.replace("4 States", "5 States")),
    ("word case", BODY.replace("Kevin", "KEVIN")),
    ("one word removed", BODY.replace(" illicit", "")),
    ("sentence added", BODY + " More follows."),
]


@pytest.mark.parametrize(("name", "variant"), SAME, ids=[n for n, _ in SAME])
def test_same_content_hashes_equal(name: str, variant: str) -> None:
    assert content_hash("Title", D, variant) == content_hash("Title", D, BODY)


@pytest.mark.parametrize(("name", "variant"), DIFFERENT, ids=[n for n, _ in DIFFERENT])
def test_changed_body_hashes_differ(name: str, variant: str) -> None:
    assert content_hash("Title", D, variant) != content_hash("Title", D, BODY)


def test_title_and_date_are_part_of_the_content() -> None:
    base = content_hash("OSCE experts meet", D, BODY)
    assert content_hash("OSCE experts met", D, BODY) != base
    assert content_hash("OSCE experts meet", date(2008, 7, 18), BODY) != base
    assert content_hash("OSCE experts meet", None, BODY) != base
    assert content_hash("OSCE  experts\u00a0meet ", D, BODY) == base


def test_canonical_text_folds_styles() -> None:
    assert canonical_text("\u2018a\u2019 \u201cb\u201d \u2013 c\u2026") == "'a' \"b\"-c..."
    assert canonical_text("2015 -- next") == canonical_text("2015\u2014next")
    assert canonical_text("co-operation") == "co-operation"  # a hyphen inside a word stays


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.OSCE.ORG:443/secretariat/107413/", "https://www.osce.org/secretariat/107413"),
        ("https://www.osce.org/secretariat/107413#main", "https://www.osce.org/secretariat/107413"),
        (
            "https://www.osce.org/press-releases?utm_source=x&page=2&fbclid=1&utm_medium=y",
            "https://www.osce.org/press-releases?page=2",
        ),
        ("http://unis.unvienna.org:8080/a?b=2&a=1", "http://unis.unvienna.org:8080/a?a=1&b=2"),
        ("https://eng.sectsco.org/", "https://eng.sectsco.org/"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_trailing_slash_kept_where_the_site_needs_it() -> None:
    assert canonical_url("https://eng.sectsco.org/news/", keep_trailing_slash=True).endswith(
        "/news/"
    )


def test_the_ascii_shortcut_hashes_every_fixture_as_the_full_normalisation_does() -> None:
    """A zero-width space (folded away) sends a text through NFKC and both tables."""
    import json
    from pathlib import Path

    texts = [BODY, *(t for _, t in SAME), *(t for _, t in DIFFERENT), "`quoted` -- text"]
    for path in sorted((Path(__file__).parent / "fixtures").glob("*/*.json")):
        expected = json.loads(path.read_text()).get("expected") or {}
        texts += [expected.get("title") or "", expected.get("body") or ""]
    ascii_texts = [t.encode("ascii", "ignore").decode() for t in texts]
    assert sum(t.isascii() for t in texts) > 10 and not all(t.isascii() for t in texts)
    for text in (*texts, *ascii_texts):
        full = text + "\u200b"
        assert not full.isascii()
        assert canonical_text(text) == canonical_text(full), text[:60]
        assert content_hash(text, D, text) == content_hash(full, D, full)
