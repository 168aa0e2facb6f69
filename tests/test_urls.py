"""Canonical URLs (storage.urls): every spelling of one release's URL is one URL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from storage.archive import Archive, Outcome, ParsedRelease
from storage.models import Release
from storage.urls import canonical_url

R = "https://www.osce.org/secretariat/107413"
SAME = {
    "percent-encoding case": ["https://x.org/a%2fb", "https://x.org/a%2Fb"],
    "unicode path": ["https://x.org/café", "https://x.org/caf%C3%A9", "https://x.org/caf%c3%a9"],
    "unreserved escaped": ["https://x.org/~user/x", "https://x.org/%7Euser/x"],
    "space": ["https://x.org/a b", "https://x.org/a%20b"],
    "query encoding": ["https://x.org/s?q=a b", "https://x.org/s?q=a+b", "https://x.org/s?q=a%20b"],
    "query order": ["https://x.org/s?b=2&a=1", "https://x.org/s?a=1&b=2"],
    "unicode query": ["https://x.org/s?q=é", "https://x.org/s?q=%C3%A9"],
    "idn host": ["https://bücher.example/x", "https://xn--bcher-kva.example/x"],
    "dot segments": ["https://x.org/a/./b/../c", "https://x.org/a/c"],
    "scheme and host case": ["HTTPS://WWW.OSCE.ORG/secretariat/107413", R],
    "default port": ["https://www.osce.org:443/secretariat/107413", R],
    "trailing dot": ["https://www.osce.org./secretariat/107413", R],
    "fragment": ["https://www.osce.org/secretariat/107413#main", R],
    "trailing slash": ["https://www.osce.org/secretariat/107413/", R],
    "tracking": [
        "https://www.osce.org/secretariat/107413?utm_source=x&fbclid=1&UTM_Medium=y&pk_c=2",
        "https://www.osce.org/secretariat/107413?_ga=1&mc_cid=3",
        R,
    ],
    "whitespace": ["  https://www.osce.org/secretariat/107413\n", R],
}
APART = [
    ("https://x.org/a%2Fb", "https://x.org/a/b"),  # an encoded slash is not a path separator
    ("https://x.org/a?x=1", "https://x.org/a?x=2"),
    ("http://x.org:8080/a", "http://x.org/a"),  # a port other than the default is kept
    ("https://x.org/a%3Fb", "https://x.org/a?b"),
    ("https://x.org/A", "https://x.org/a"),  # paths are case-sensitive
]


@pytest.mark.parametrize("forms", SAME.values(), ids=SAME.keys())
def test_every_form_is_one_url(forms: list[str]) -> None:
    assert len({canonical_url(form) for form in forms}) == 1, [canonical_url(f) for f in forms]
    canonical = canonical_url(forms[0])
    assert canonical_url(canonical) == canonical  # idempotent
    assert canonical.isascii()


@pytest.mark.parametrize(("a", "b"), APART)
def test_different_urls_stay_apart(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_the_canonical_spelling() -> None:
    assert canonical_url("https://x.org/café?z=1&utm_source=x&a=%2f") == (
        "https://x.org/caf%C3%A9?a=%2F&z=1"
    )
    assert canonical_url("http://unis.unvienna.org:8080/a?b=2&a=1&c") == (
        "http://unis.unvienna.org:8080/a?a=1&b=2&c="
    )
    assert canonical_url("http://[::1]:8080/x/") == "http://[::1]:8080/x"
    assert canonical_url("https://eng.sectsco.org/") == "https://eng.sectsco.org/"
    assert canonical_url("https://eng.sectsco.org/news/", keep_trailing_slash=True) == (
        "https://eng.sectsco.org/news/"
    )


@pytest.mark.parametrize("bad", ["http://[::1", "https://www.osce.org:99999/x"])
def test_an_unreadable_url_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(bad)


def test_duplicate_forms_are_archived_once(archive: Archive) -> None:
    base = ParsedRelease(
        source="osce", url="https://www.osce.org/press/café-a%2fb", title="T",
        body="VIENNA, 1 June 2026 - Text.", published=None, place=None,
    )  # fmt: skip
    assert archive.record(base).outcome is Outcome.NEW
    for url in (
        "https://WWW.osce.org/press/caf%C3%A9-a%2Fb/",
        "https://www.osce.org/press/caf%c3%a9-a%2fb#x",
    ):
        assert archive.record(replace(base, url=url)).outcome is Outcome.UNCHANGED
    with archive.sessions() as s:
        assert s.scalars(select(Release.url)).all() == [
            "https://www.osce.org/press/caf%C3%A9-a%2Fb"
        ]


def test_urls_taking_the_shortcut_are_those_the_full_rules_leave_alone() -> None:
    import json
    from pathlib import Path

    from storage.urls import _PLAIN, _rewrite

    urls = [u for forms in SAME.values() for u in forms] + [u for pair in APART for u in pair]
    for path in (Path(__file__).parent / "fixtures").glob("*/*.json"):
        data = json.loads(path.read_text())
        urls.append(data.get("url") or "")
        urls += [e.get("url", "") for e in (data.get("expected") or {}).get("entries", [])]
    urls += ["https://x.org", "https://x.org/", "https://x.org/a/", "https://x.org/a/.",
             "https://x.org/a/..", "https://x.org/.hidden", "https://x.org/a.b-c_d/1.html",
             "https://x.org:443/a", "https://x-y.org/~a", "https://1.2.3.4/a"]  # fmt: skip
    plain = [u for u in urls if _PLAIN.fullmatch(u)]
    assert len(plain) > 20
    for url in urls:
        assert canonical_url(url) == _rewrite(url, False), url
