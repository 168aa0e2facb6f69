"""Is a page served with status 200 the release it was fetched as? The one table of checks.

A page that is no release must end as an error of the run, never as a version: error pages
(not found, access denied, login walls, single sign-on, maintenance) that servers answer
with 200, and wrong pages (a listing, or a page whose canonical URL is another page's).
``ERROR_PAGES`` holds the phrases: a match in the page's title or first heading is enough,
a match in its text counts only when the main text is short, since a long release may
quote them. ``SIGN_ON_MARKERS`` are markup of identity providers, which no release carries.
Pure functions over HTML, like the site modules.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.extract import clean_text, node_text

if TYPE_CHECKING:
    from crawler.sites.base import Site

LOGIN_WALL = "login wall"
SIGN_ON = "single sign-on page"
ERROR_PAGE_MAX_CHARS = 1500  # error pages are short; a release quoting "access denied" is not
LISTING_MIN_LINKS = 2  # links to other releases, read by the listing parser, make a listing
_CHROME = "nav, header, footer, aside, script, style, noscript, template"


def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


_END = r"(?=\s*$|\s*[|:–-])"  # the phrase ends the heading or its first part
_ALONE = r"(?=\s*$|\s*[|–-])"  # ...and no colon follows: "Access denied: a report" is a title
# (reason, phrases that name an error page in a title or heading, phrases that do so in
# its short main text too: sentences a release would hardly write).
ERROR_PAGES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "page not found",
        _phrases(
            rf"(?:error )?404(?: error| not found)?{_END}",
            r"error 404",
            r"404 error",
            r"http 404",
            r"(?:page|file|document|resource|object) (?:was )?not found",
            r"seite nicht gefunden",
            r"page (?:cannot|can ?not|could not) be found",
            r"page introuvable",
            r"page (?:is )?(?:no longer|not) available",
        ),
        _phrases(
            r"not found on (?:this|the) server",
            r"(?:this|that) page (?:does not|doesn't) exist",
            r"page (?:you requested |you are looking for |you tried to access )"
            r"(?:could not be found|does not exist|cannot be found|no longer exists"
            r"|is no longer available|might have been removed)",
            r"(?:we|i) (?:could ?n[o'’]t|cannot|can[’']t) find (?:th(?:at|is|e) page|what you)",
        ),
    ),  # fmt: skip
    (
        "access denied",
        _phrases(
            rf"^\s*(?:error:? )?access denied{_ALONE}",
            rf"(?:403 )?forbidden{_END}",
            r"403 forbidden",
            r"attention required",
            r"just a moment\.\.\.",
            r"request (?:was )?blocked",
        ),
        _phrases(
            r"you don[’']t have permission to access",
            r"you are not authori[sz]ed to (?:view|access)",
            r"unusual traffic from your",
            r"are you a (?:robot|human)\?",
            r"verify (?:that )?you are (?:a )?human",
            r"complete the captcha",
            r"checking your browser",
            r"enable javascript and cookies to continue",
        ),
    ),  # fmt: skip
    (
        LOGIN_WALL,
        _phrases(
            rf"^\s*(?:user |member )?(?:log ?in|sign ?in){_END}",
            r"user account",
            r"(?:log ?in|sign ?in|login|authentication) required",
        ),
        _phrases(
            r"(?:please )?(?:log ?in|sign ?in) to (?:continue|proceed|view|access|read) (?:this|the)",
            r"(?:please )?(?:log ?in|sign ?in) to (?:continue|proceed|your account)",
            r"you (?:must|need to|have to) (?:be )?(?:logged in|signed in|log ?in|sign ?in) to",
            r"your session (?:has )?expired",
        ),
    ),  # fmt: skip
    (
        "maintenance page",
        _phrases(
            r"(?:under|down for|scheduled) maintenance",
            r"maintenance mode",
            r"(?:temporarily|service) unavailable",
            r"we(?:['’]ll| will) be back(?: soon| shortly)?",
        ),
        _phrases(
            r"we(?:['’]| a)re (?:currently )?(?:performing|doing|undergoing) (?:scheduled )?maintenance",
            r"site is (?:currently )?(?:down|offline) for",
            r"down for maintenance",
        ),
    ),  # fmt: skip
)
# Markup of identity providers and their redirect pages (SAML, OpenID Connect, Microsoft
# Entra, Okta, Keycloak, Shibboleth, CAS): searched in the raw HTML, whatever its length.
SIGN_ON_MARKERS = re.compile(
    r"name=[\"']?SAML(?:Request|Response)\b|login\.microsoftonline\.com|login\.live\.com/"
    r"|aadcdn\.msftauth\.net|okta-sign-in|okta-signin-widget|\.okta(?:preview)?\.com/oauth2/"
    r"|id=[\"']?kc-form-login|/protocol/openid-connect/auth|/oauth2/(?:v\d\.\d/)?authorize\?"
    r"|/idp/profile/SAML2/|/Shibboleth\.sso/|/cas/login\?service=",
    re.I,
)
# Literal parts of the markers: a page holding none of them is not searched (5x faster).
_SIGN_ON_HINTS = (
    "saml",
    "login.",
    "msftauth",
    "okta",
    "kc-form",
    "openid",
    "oauth2",
    "shibboleth",
    "/cas/",
)
_PASSWORD_FIELD = "input[type=password i]"


def error_page_reason(title: str | None, text: str) -> str | None:
    """Why a page served with status 200 is no release (not found, blocked, login wall,
    maintenance), or None. ``title`` is its title or a heading, ``text`` its main text."""
    title = clean_text(title or "")
    short = len(clean_text(text)) <= ERROR_PAGE_MAX_CHARS
    for reason, heading, sentence in ERROR_PAGES:
        if title and (heading.search(title) or sentence.search(title)):
            return reason
        if short and sentence.search(text):
            return reason
    return None


def main_text(sel: Selector) -> str:
    """The visible text of a page without its navigation, header, footer and sidebars."""
    body = sel.css("body") or sel
    for chrome in body.css(_CHROME):
        chrome.drop()
    return node_text(body) or ""


def html_error_reason(html: str) -> str | None:
    """Why a whole HTML page is an error page, or None: sign-on markup, a password form
    on a short page, or an error phrase in its title, first heading or short main text."""
    lower = html.lower()
    if any(hint in lower for hint in _SIGN_ON_HINTS) and SIGN_ON_MARKERS.search(html):
        return SIGN_ON
    sel = Selector(text=html)
    title = sel.css("title::text").get()
    has_password = bool(sel.css(_PASSWORD_FIELD))
    text = main_text(sel)  # after this, sel holds no navigation, header or footer
    heading = node_text(sel.css("h1, h2, h3")[:1] or None)
    for name in (title, heading):
        if reason := error_page_reason(name, ""):
            return reason
    if reason := error_page_reason(None, text):
        return reason
    if has_password and len(text) <= ERROR_PAGE_MAX_CHARS:
        return LOGIN_WALL
    return None


_SELF_LINKS = (
    ("canonical link", 'link[rel~="canonical" i]::attr(href)'),
    ("og:url", 'meta[property="og:url"]::attr(content)'),
)


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/").lower()


def _same_page(a: str, b: str) -> bool:
    """Same path; or the same last segment (the page moved to another section, as Drupal
    aliases do); or the same folder with one last segment extending the other (a slug after
    an id, ".html")."""
    (folder_a, _, last_a), (folder_b, _, last_b) = a.rpartition("/"), b.rpartition("/")
    if a == b or (last_a and last_a == last_b):
        return True
    return (
        folder_a == folder_b
        and bool(last_a and last_b)
        and (last_a.startswith(last_b) or last_b.startswith(last_a))
    )


def wrong_page_reason(site: Site, url: str, html: str) -> str | None:
    """Why a page fetched as release ``url`` is another page, or None.

    Its canonical link or og:url names another page (``_same_page``; the host may differ,
    e.g. a language mirror), or the site's listing parser finds links to other releases in
    it.
    """
    sel = Selector(text=html)
    own = _path(url)
    for label, query in _SELF_LINKS:
        href = (sel.css(query).get() or "").strip()
        if href and not _same_page(own, _path(urljoin(url, href))):
            return f"not the release asked for: its {label} is {href}"
    entries = site.parser_for().parse_listing(url, html).entries
    others = {e.url for e in entries if site.is_release_url(e.url) and _path(e.url) != own}
    if len(others) >= LISTING_MIN_LINKS:
        return f"not the release asked for: a listing page ({len(others)} release links)"
    return None


def release_page_problem(site: Site, url: str, html: str, status: int = 200) -> str | None:
    """Why a fetched release page must not be archived (error page or wrong page), or None."""
    if reason := html_error_reason(html):
        return f"error page served with status {status}: {reason}"
    return wrong_page_reason(site, url, html)
