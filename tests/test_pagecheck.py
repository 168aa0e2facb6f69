"""Pages that are no release are told apart from releases (crawler.pagecheck, crawler.charset).

Error pages are whole pages in tests/fixtures/error_pages/ (login walls, single sign-on
pages of Microsoft, Okta, Keycloak, SAML and OpenID Connect, old-style "not found" pages,
access denied, maintenance); every site fixture, also with the same phrases written into
its body, must pass as a release.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.charset import corrected_encoding
from crawler.middlewares import CharsetMiddleware
from crawler.pagecheck import LOGIN_WALL, SIGN_ON, html_error_reason, release_page_problem
from crawler.sites import SITE_MODULES, get_site

FIXTURES = Path(__file__).parent / "fixtures"
ERROR_PAGES = sorted((FIXTURES / "error_pages").glob("*.html"))
REASONS = {
    "login": LOGIN_WALL,
    "signin": LOGIN_WALL,
    "sso": SIGN_ON,
    "notfound": "page not found",
    "denied": "access denied",
    "maintenance": "maintenance page",
}
SITE_PAGES = sorted(p for key in SITE_MODULES for p in (FIXTURES / key).glob("*.html"))
RELEASES = [p for p in SITE_PAGES if "listing" not in p.stem]
LISTINGS = [p for p in SITE_PAGES if "listing" in p.stem]
# What releases do write: none of it makes a page an error page.
MENTIONS = (
    "<p>Journalists can log in to the accreditation portal; access denied to detainees and "
    "the border crossing temporarily unavailable were discussed. The missing boats were not "
    "found. Some 404 officers were trained, and the page not found in the archive is now "
    "online. Users must sign in to the new e-services; forgot your password? Call us.</p>"
)


def _page(path: Path) -> tuple[str, str]:
    spec = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return spec["url"], path.read_bytes().decode(spec.get("encoding", "utf-8"))


@pytest.mark.parametrize("path", ERROR_PAGES, ids=lambda p: p.stem)
def test_error_pages_served_with_200_are_recognised(path: Path) -> None:
    expected = REASONS[path.stem.split("_")[0]]
    assert html_error_reason(path.read_text(encoding="utf-8")) == expected
    problem = release_page_problem(get_site("osce"), "https://www.osce.org/a/1", path.read_text())
    assert problem == f"error page served with status 200: {expected}"


@pytest.mark.parametrize("path", RELEASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_releases_pass_even_when_they_mention_logins_and_missing_pages(path: Path) -> None:
    url, html = _page(path)
    site = get_site(path.parent.name)
    assert release_page_problem(site, url, html) is None
    mentioning = html.replace("</body>", f"{MENTIONS}</body>")
    assert release_page_problem(site, url, mentioning) is None


@pytest.mark.parametrize("path", LISTINGS, ids=lambda p: p.parent.name)
def test_a_listing_at_a_release_url_is_a_wrong_page(path: Path) -> None:
    """By its canonical link (OSCE) or, without one, by the release links it holds."""
    _, html = _page(path)
    site = get_site(path.parent.name)
    release_url = _page(next(p for p in RELEASES if p.parent == path.parent))[0]
    assert "not the release asked for: " in (release_page_problem(site, release_url, html) or "")


@pytest.mark.parametrize(
    ("canonical", "problem"),
    [
        ("https://www.osce.org/secretariat/125986", None),
        ("/secretariat/125986", None),
        ("https://www.osce.org/secretariat/125986-experts-meet", None),  # a slug after the id
        ("https://www.osce.org/odihr/125986", None),  # moved to another section
        ("https://www.osce.org/secretariat/999999", "canonical link is"),
        ("https://www.osce.org/secretariat", "canonical link is"),  # the section, not the page
        ("https://www.osce.org/", "canonical link is"),  # a soft 404 to the home page
    ],
)
def test_a_canonical_link_to_another_page_is_a_wrong_page(
    canonical: str, problem: str | None
) -> None:
    url, html = _page(FIXTURES / "osce" / "release_2014_seed002.html")
    html = html.replace('href="https://www.osce.org/secretariat/125986"', f'href="{canonical}"')
    html = html.replace(
        'content="https://www.osce.org/secretariat/125986"', f'content="{canonical}"'
    )
    found = release_page_problem(get_site("osce"), url, html)
    assert (found is None) if problem is None else (problem in (found or "")), found


UTF8_PAGE = (
    '<html><head><meta charset="utf-8"><title>Déclaration à Vienne</title></head><body>'
    "<p>L’OSCE a salué l’accord — « une étape » — signé à Zürich.</p></body></html>"
).encode()
RU_TEXT = "Представители тридцати государств обсудили меры"
RU_PAGE = f'<html><head><meta charset="windows-1251"></head><body><p>{RU_TEXT}</p></body></html>'


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("text/html; charset=windows-1251", UTF8_PAGE, "utf-8"),  # was "DГ©claration"
        ("text/html; charset=iso-8859-1", UTF8_PAGE, "utf-8"),  # was "DÃ©claration", "â€™"
        ("text/html; charset=windows-1251", RU_PAGE.encode("cp1251"), None),  # truly 1251
        ("text/html; charset=iso-8859-1", RU_PAGE.encode("cp1251"), "cp1251"),  # meta wins
        ("text/html; charset=utf-8", RU_PAGE.encode("cp1251"), "cp1251"),  # not UTF-8
        ("text/html; charset=utf-8", UTF8_PAGE, None),
        ("text/html", UTF8_PAGE, None),  # no claim: Scrapy reads the meta charset
        ("text/html; charset=windows-1251", b"\xef\xbb\xbf" + UTF8_PAGE, None),  # BOM first
        ("text/html; charset=iso-8859-1", "<p>Déclaration à Vienne</p>".encode("cp1252"), None),
    ],
)
def test_a_header_charset_the_page_contradicts_is_corrected(
    header: str, body: bytes, expected: str | None
) -> None:
    found = corrected_encoding(header, body)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize("header", ["windows-1251", "iso-8859-1", "utf-8"])
@pytest.mark.parametrize(
    ("body", "text"), [(UTF8_PAGE, "L’OSCE a salué l’accord"), (RU_PAGE.encode("cp1251"), RU_TEXT)]
)
def test_the_middleware_hands_parsers_the_right_text(header: str, body: bytes, text: str) -> None:
    """Whatever the header claims, both pages read right (the windows-1251 one by its meta)."""
    crawler = get_crawler()
    middleware = CharsetMiddleware.from_crawler(crawler)
    headers = {"Content-Type": f"text/html; charset={header}"}
    response = HtmlResponse("https://www.osce.org/a", body=body, headers=headers)
    read = middleware.process_response(Request(response.url), response)
    assert text in read.text, read.encoding
