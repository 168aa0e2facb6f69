"""OSCE pages as www.osce.org publishes them (Drupal), rendered from DemoRelease items.

The structure follows SITES.md and seeds 001/002: the long main menu, the "Press release"
label and the title in ``div.content--header``, the Date/Place/Source/Fields of work block,
the body in ``div.content--content > div > div.pane-content``, a share bar, a related-content
sidebar and the footer. Listings use the 2023–2024 search view (``dt.search-title>h3>a``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from html import escape
from pathlib import Path

from crawler.replay.builders.base import DemoRelease, paragraphs_html, site_pages
from crawler.replay.snapshot import SnapshotPage

BASE_URL = "https://www.osce.org"
LISTING_PATH = "/press-releases"

# --- the menu of seeds 001/002 -------------------------------------------------------------


def _items(text: str) -> list[str]:
    """Menu labels written " | "-separated, to keep the long menus compact."""
    return [item.strip() for item in text.split("|")]


FIELDS_OF_WORK = _items(
    "Arms control | Border management | Combating trafficking in human beings | Conflict "
    "prevention and resolution | Countering terrorism | Cyber/ICT Security | Democratization "
    "| Economic activities | Education | Elections | Environmental activities | Gender "
    "equality | Good governance | Human rights | Media freedom and development | Migration | "
    "National minority issues | Policing | Reform and co-operation in the security sector | "
    "Roma and Sinti | Rule of law | Tolerance and non-discrimination | Youth"
)
MEETINGS = _items(
    "Summit meetings | Review Conferences | Ministerial Council meetings | Plenary meetings "
    "of the Permanent Council | Plenary Meetings of the Forum for Security Co-operation | "
    "Security Review Conferences | Annual Implementation Assessment Meetings | Economic and "
    "Environmental Forum | Economic and Environmental Dimension Implementation Meetings | "
    "Human rights meetings | Media conferences | Cyber/ICT security conferences | Conference "
    "of the Alliance against Trafficking in Persons | Gender equality conferences | Annual "
    "OSCE Mediterranean conferences | Annual OSCE Asian conferences"
)
PARTICIPATING_STATES = _items(
    "Albania | Andorra | Armenia | Austria | Azerbaijan | Belgium | Belarus | Bosnia and "
    "Herzegovina | Bulgaria | Canada | Croatia | Cyprus | Czechia | Denmark | Estonia | "
    "Finland – OSCE Chairpersonship 2025 | France | Georgia | Germany | Greece | Holy See | "
    "Hungary | Iceland | Ireland | Italy | Kazakhstan | Kyrgyzstan | Latvia | Liechtenstein |"
    " Lithuania | Luxembourg | Malta | Moldova | Monaco | Mongolia | Montenegro | The "
    "Netherlands | North Macedonia | Norway | Poland | Portugal | Romania | Russian "
    "Federation | San Marino | Serbia | Slovakia | Slovenia | Spain | Sweden | Switzerland | "
    "Tajikistan | Türkiye | Turkmenistan | Ukraine | United Kingdom | United States of "
    "America | Uzbekistan"
)
SECRETARIAT = _items(
    "Secretary General | Office of the Secretary General | Conflict Prevention Centre | "
    "Transnational Threats Department | Office of the Special Representative and Co-ordinator"
    " for Combating Trafficking in Human Beings | Office of the Co-ordinator of OSCE Economic"
    " and Environmental Activities | Gender Issues Programme | Opportunities for Youth | "
    "Department of Human Resources | Department of Management and Finance | Office of "
    "Internal Oversight | Documentation Centre in Prague"
)
FIELD_OPERATIONS = _items(
    "Presence in Albania | Centre in Ashgabat | Programme Office in Astana | Programme Office"
    " in Bishkek | Mission to Bosnia and Herzegovina | Programme Office in Dushanbe | Mission"
    " in Kosovo | Mission to Moldova | Mission to Montenegro | Mission to Serbia | Mission to"
    " Skopje | Project Co-ordinator in Uzbekistan | Closed field activities"
)

MenuItem = str | tuple[str, "list[MenuItem]"]
MENU: list[MenuItem] = [
    (
        "Our work",
        [
            ("Fields of work", FIELDS_OF_WORK),
            "Field operations",
            "Projects",
            ("Meetings and conferences", MEETINGS),
            "Partnerships",
        ],
    ),
    ("Fields of work", []),
    (
        "Countries",
        [
            "All",
            ("Participating States", PARTICIPATING_STATES),
            "Asian Partners for Co-operation",
            "Mediterranean Partners for Co-operation",
        ],
    ),
    (
        "Structures and institutions",
        [
            "Chairpersonship",
            ("Secretariat", SECRETARIAT),
            "Institutions",
            ("Field operations", FIELD_OPERATIONS),
            "Parliamentary Assembly",
            "Court of Conciliation and Arbitration",
            "Organizational structure",
        ],
    ),
    "About us",
]


def slug(text: str) -> str:
    """The path Drupal's pathauto gives a menu label."""
    kept = "".join(c if c.isalnum() else " " for c in text.lower().split("–")[0])
    return "/" + "-".join(kept.split())


def _menu(items: list[MenuItem], depth: int = 0) -> str:
    rows = []
    for item in items:
        if isinstance(item, str):
            rows.append(f'<li class="leaf"><a href="{slug(item)}">{escape(item)}</a></li>')
        else:
            label, children = item
            sub = _menu(children, depth + 1) if children else ""
            rows.append(
                f'<li class="expanded"><div class="menu-item"><span class="nolink">'
                f"{escape(label)}</span></div>{sub}</li>"
            )
    return f'<ul class="menu menu-level-{depth}">' + "".join(rows) + "</ul>"


HEAD = """<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: http://ogp.me/ns# dc: http://purl.org/dc/terms/">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="shortcut icon" href="https://www.osce.org/sites/all/themes/osce/favicon.ico">
<title>{title} | OSCE</title>
{meta}
<link rel="stylesheet" href="https://www.osce.org/sites/default/files/css/css_osce_main.css">
<script src="https://www.osce.org/sites/default/files/js/js_osce_main.js"></script>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"contentType": "{kind}"}});
</script>
</head>
"""
HEADER = f"""<div id="skip-link"><a href="#main-content" class="element-invisible">Skip to main
content</a></div>
<header id="header" class="osce-header" role="banner">
<div class="header-top">
<a href="/" title="Home" rel="home" class="logo"><img src="/sites/all/themes/osce/logo.svg"
alt="Organization for Security and Co-operation in Europe"></a>
<ul class="language-switcher"><li class="active"><a href="#">English</a></li>
<li><a href="#">Русский</a></li><li><a href="#">Français</a></li><li><a href="#">Deutsch</a></li>
</ul>
<form class="search-form" action="/search" method="get"><label for="edit-keys"
class="element-invisible">Search</label><input type="text" id="edit-keys" name="keys"
placeholder="Search"><button type="submit">Search</button></form>
</div>
<nav id="main-menu" class="main-menu" role="navigation">{_menu(MENU)}</nav>
<ul class="secondary-menu"><li><a href="/newsroom">Newsroom</a></li>
<li><a href="/resources">Resources</a></li><li><a href="/employment">Employment</a></li>
<li><a href="/contacts">Contacts</a></li></ul>
</header>
"""
FOOTER = """<footer id="footer" class="osce-footer" role="contentinfo">
<div class="footer-columns">
<div class="footer-column"><h2>Newsroom</h2><ul><li><a href="/press-releases">Press
releases</a></li><li><a href="/stories">Stories</a></li><li><a href="/media-advisories">Media
advisories</a></li><li><a href="/osce-social-media">Social media</a></li></ul></div>
<div class="footer-column"><h2>Resources</h2><ul><li><a href="/resources/publications">
Publications</a></li><li><a href="/resources/documents">Documents</a></li><li><a
href="/resources/multimedia">Multimedia</a></li></ul></div>
<div class="footer-column"><h2>Follow us</h2><ul class="social"><li><a
href="https://x.com/OSCE">X</a></li><li><a href="https://www.facebook.com/osce.org">Facebook</a>
</li><li><a href="https://www.youtube.com/user/osce">YouTube</a></li></ul>
<p>Sign up for the OSCE newsletter to receive our latest news.</p></div>
</div>
<div class="footer-bottom"><p>© OSCE 1995–2026. Organization for Security and Co-operation
in Europe, Secretariat, Wallnerstrasse 6, 1010 Vienna, Austria.</p>
<ul><li><a href="/terms-of-use">Terms of use</a></li><li><a href="/privacy-policy">Privacy
policy</a></li><li><a href="/contacts">Contacts</a></li></ul></div>
</footer>
<script>jQuery.extend(Drupal.settings, {"basePath": "/", "pathPrefix": ""});</script>
</body>
</html>
"""
SHARE = """<div class="panel-pane pane-osce-share"><div class="pane-content">
<div class="osce-share"><span class="share-label">Share this:</span>
<a href="https://www.facebook.com/sharer/sharer.php?u={url}" class="share-facebook">Facebook</a>
<a href="https://x.com/intent/tweet?url={url}" class="share-x">X</a>
<a href="https://www.linkedin.com/shareArticle?url={url}" class="share-linkedin">LinkedIn</a>
<a href="mailto:?subject={title}&amp;body={url}" class="share-email">Email</a>
<a href="javascript:window.print()" class="share-print">Print</a></div>
</div></div>
"""
SIDEBAR = """<aside class="content--sidebar" role="complementary">
<div class="panel-pane pane-related-content"><h2 class="pane-title">Related content</h2>
<div class="pane-content"><ul class="related-list">{related}</ul></div></div>
<div class="panel-pane pane-newsletter"><h2 class="pane-title">Stay informed</h2>
<div class="pane-content"><p>Subscribe to OSCE press releases and receive them by e-mail.</p>
<a href="/newsletter" class="button">Subscribe</a></div></div>
</aside>
"""


def _head(title: str, kind: str, meta: str) -> str:
    return HEAD.format(title=escape(title), kind=escape(kind), meta=meta)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _values(value: str | list[str] | None, link: bool = True) -> str:
    values = [value] if isinstance(value, str) else list(value or [])
    if not link:
        return escape(", ".join(values))
    return ", ".join(f'<a href="{slug(v)}">{escape(v)}</a>' for v in values)


def _metadata(r: DemoRelease) -> str:
    rows = [
        '<li class="metadata-item metadata-date"><span class="metadata-label">Date:</span>'
        f' <span class="metadata-value"><span class="date-display-single" property="dc:date"'
        f' datatype="xsd:dateTime" content="{r.published.isoformat()}T00:00:00+02:00">'
        f"{_day(r.published)}</span></span></li>"
    ]
    for label, value, link in (
        ("Place", r.place, False),
        ("Source", r.metadata.get("source"), True),
        ("Fields of work", r.metadata.get("fields_of_work"), True),
    ):
        if value:
            rows.append(
                f'<li class="metadata-item"><span class="metadata-label">{label}:</span>'
                f'<ul class="metadata-values"><li>{_values(value, link)}</li></ul></li>'
            )
    return (
        '<div class="content--metadata"><ul class="osce-metadata">'
        + "".join(rows)
        + ("</ul></div>")
    )


def _related(r: DemoRelease) -> str:
    fields = r.metadata.get("fields_of_work") or ["Policing"]
    fields = [fields] if isinstance(fields, str) else fields
    rows = [f'<li><a href="{slug(f)}">More on {escape(f)}</a></li>' for f in fields]
    rows.append(
        '<li><a href="/secretariat/107413">OSCE Strategic Framework for Police-Related '
        'Activities</a><span class="related-type">Publication</span></li>'
    )
    rows.append(
        '<li><a href="/files/f/documents/2/4/107413.pdf?download=true">Download the '
        "Strategic Framework (PDF)</a></li>"
    )
    return "\n".join(rows)


def release_html(r: DemoRelease) -> str:
    """A whole release page of www.osce.org."""
    kind = str(r.metadata.get("content_type") or r.kind)
    node = r.url.rstrip("/").rsplit("/", 1)[-1]
    teaser = escape(r.paragraphs[0][:200]) if r.paragraphs else ""
    meta = (
        f'<link rel="canonical" href="{r.url}">\n<link rel="shortlink" href="/node/{node}">\n'
        f'<meta property="og:site_name" content="OSCE">\n'
        f'<meta property="og:type" content="article">\n<meta property="og:url" content="{r.url}">\n'
        f'<meta property="og:title" content="{escape(r.title)}">\n'
        f'<meta property="og:description" content="{teaser}">\n'
        f'<meta property="article:published_time" content="{r.published.isoformat()}T00:00:00'
        '+02:00">'
    )
    css_kind = kind.lower().replace(" ", "-")
    return (
        _head(r.title, kind, meta)
        + f'<body class="html not-front not-logged-in page-node page-node-{node} '
        f'node-type-{css_kind}">\n'
        + HEADER
        + '<div class="breadcrumb"><a href="/">Home</a> › <a href="/newsroom">Newsroom</a> › '
        '<a href="/press-releases">Press releases</a></div>\n'
        '<main id="main-content" class="osce-main" role="main">\n'
        f'<article class="node node-{css_kind} osce-node-layout">\n'
        f'<div class="content--header"><div class="content--type"><span class="content-type-label">'
        f"{escape(kind)}</span></div>\n<h1>{escape(r.title)}</h1></div>\n"
        + _metadata(r)
        + '\n<div class="content--content">\n<div class="panel-pane pane-node-body">'
        '<div class="pane-content">\n'
        + paragraphs_html(r.paragraphs)
        + "\n</div></div>\n"
        + SHARE.format(url=r.url, title=escape(r.title))
        + "</div>\n</article>\n"
        + SIDEBAR.format(related=_related(r))
        + "</main>\n"
        + FOOTER
    )


# --- listings ------------------------------------------------------------------------------


def listing_url(page_no: int) -> str:
    return f"{BASE_URL}{LISTING_PATH}?page={page_no}"


def _page_href(page_no: int) -> str:
    # Drupal links the first page without a query.
    return LISTING_PATH if page_no == 0 else f"{LISTING_PATH}?page={page_no}"


def _pager(page_no: int, n_pages: int) -> str:
    items = []
    if page_no > 0:
        items.append(f'<li class="pager-first first"><a href="{_page_href(0)}">« first</a></li>')
        items.append(
            f'<li class="pager-previous"><a href="{_page_href(page_no - 1)}">‹ previous</a></li>'
        )
    for n in range(max(0, page_no - 4), min(n_pages, page_no + 5)):
        if n == page_no:
            items.append(f'<li class="pager-current">{n + 1}</li>')
        else:
            items.append(
                f'<li class="pager-item"><a title="Go to page {n + 1}" '
                f'href="{_page_href(n)}">{n + 1}</a></li>'
            )
    if page_no < n_pages - 1:
        items.append(
            f'<li class="pager-next"><a title="Go to next page" '
            f'href="{_page_href(page_no + 1)}">next ›</a></li>'
        )
        items.append(
            f'<li class="pager-last last"><a title="Go to last page" '
            f'href="{_page_href(n_pages - 1)}">last »</a></li>'
        )
    return (
        '<h2 class="element-invisible">Pages</h2><div class="item-list"><ul class="pager">'
        + "".join(items)
        + "</ul></div>"
    )


def _listing_item(r: DemoRelease, n: int) -> str:
    href = r.url.removeprefix(BASE_URL)
    kind = str(r.metadata.get("content_type") or r.kind)
    fields = r.metadata.get("fields_of_work")
    what = (
        f'<li class="what-we-do"><span class="search-label">What we do:</span> '
        f"{_values(fields, link=False)}</li>"
        if fields
        else ""
    )
    where = (
        f'<li class="where-we-are"><span class="search-label">Where we are:</span> '
        f"{escape(r.place.title())}</li>"
        if r.place
        else ""
    )
    teaser = r.paragraphs[0] if r.paragraphs else ""
    teaser = escape(teaser if len(teaser) <= 300 else teaser[:300].rsplit(" ", 1)[0] + " …")
    return (
        f'<div class="views-row views-row-{n} search-result">\n'
        f'<dt class="search-title"><h3><a href="{href}">{escape(r.title)}</a></h3></dt>\n'
        f'<dd class="search-result-info"><div class="search-snippet"><p>{teaser}</p></div>\n'
        f'<ul class="search-info"><li class="publishing-date"><span class="search-label">'
        f"Publishing date:</span> {_day(r.published)}</li>"
        f'<li class="content-type"><span class="search-label">Content type:</span> '
        f"{escape(kind)}</li>{where}{what}</ul></dd>\n</div>"
    )


# A document result links straight to its file; seen among press releases in 2024.
DOCUMENT_ITEM = """<div class="views-row search-result search-result-document">
<dt class="search-title"><h3><a href="/files/f/documents/5/7/477547.pdf?download=true">OSCE
Annual Report 2024</a></h3></dt>
<dd class="search-result-info"><ul class="search-info"><li class="publishing-date"><span
class="search-label">Publishing date:</span> 2 April 2025</li><li class="content-type"><span
class="search-label">Content type:</span> Publication</li></ul></dd>
</div>"""

FACETS = """<div class="view-filters"><form action="/press-releases" method="get"
class="osce-facets"><fieldset><legend>Content type</legend>
<label><input type="checkbox" name="type[]" value="press_release"> Press release</label>
<label><input type="checkbox" name="type[]" value="press_statement"> Press statement</label>
<label><input type="checkbox" name="type[]" value="news"> News</label></fieldset>
<fieldset><legend>Fields of work</legend><select name="fields"><option value="">- Any -</option>
<option value="6">Policing</option><option value="2">Border management</option></select>
</fieldset><button type="submit">Apply</button></form></div>"""


def listing_html(releases: list[DemoRelease], page_no: int, n_pages: int) -> str:
    """Page ``page_no`` (from 0) of the press-release listing, holding ``releases``."""
    items = [_listing_item(r, n) for n, r in enumerate(releases, start=1)]
    if page_no == 0:
        items.insert(min(2, len(items)), DOCUMENT_ITEM)
    return (
        _head("Press releases", "Listing", f'<link rel="canonical" href="{listing_url(page_no)}">')
        + '<body class="html not-front not-logged-in page-press-releases">\n'
        + HEADER
        + '<main id="main-content" class="osce-main" role="main">\n'
        '<h1 class="page-title">Press releases</h1>\n'
        '<div class="view view-osce-search view-display-id-press_releases">\n'
        + FACETS
        + '\n<div class="view-content"><dl class="search-results osce-search-results">\n'
        + "\n".join(items)
        + "\n</dl></div>\n"
        + _pager(page_no, n_pages)
        + "\n</div>\n"
        + SIDEBAR.format(related='<li><a href="/media-advisories">Media advisories</a></li>')
        + "</main>\n"
        + FOOTER
    )


def snapshot_pages(
    releases: list[DemoRelease], per_page: int = 5
) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt, every listing page (newest first) and every release page."""
    start = BASE_URL + LISTING_PATH  # the start URL, and the pager's first-page link
    return site_pages(
        releases, per_page, listing_url, listing_html, release_html, start_aliases=(start,)
    )


# --- demo releases -------------------------------------------------------------------------

DEMO_FILE = Path(__file__).with_name("osce_demo.json")


def demo_releases() -> list[DemoRelease]:
    """Seeds 001 and 002 (bodies verbatim), releases with every dateline style, and items
    of kinds that are not kept (News, Daily report, Spot report); data in osce_demo.json."""
    rows = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return [
        DemoRelease(
            url=row["url"],
            title=row["title"],
            published=date.fromisoformat(row["published"]),
            paragraphs=row["paragraphs"],
            place=row["place"],
            kind=row["kind"],
            metadata={
                "source": row["source"],
                "fields_of_work": row["fields_of_work"],
                "content_type": row["kind"],
            },
        )
        for row in rows
    ]
