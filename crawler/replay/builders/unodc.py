"""UNODC pages as www.unodc.org publishes them, rendered from DemoRelease items.

No saved copy of the site is at hand (SITES.md gives only the URL patterns), so the markup
is a reconstruction of the site's classic layout: top navigation, breadcrumbs, the Press
section menu on the left, the release in ``div#mainColumn`` (h1, a date line, the body,
"* * *", a contact block, topics), a right sidebar and the footer. Listings are
``/unodc/en/press/releases.html`` then ``releases.html?page=N`` (N from 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html import escape

from crawler.replay.builders.base import DemoRelease, paragraphs_html, site_pages
from crawler.replay.snapshot import SnapshotPage

BASE_URL = "https://www.unodc.org"
LISTING_PATH = "/unodc/en/press/releases.html"
RELEASES_PATH = "/unodc/en/press/releases"

TOP_NAV = (
    ("About UNODC", "/unodc/en/about-unodc/index.html"),
    ("Drug prevention, treatment and care", "/unodc/en/drug-prevention-and-treatment/index.html"),
    ("Alternative development", "/unodc/en/alternative-development/index.html"),
    ("Organized crime", "/unodc/en/organized-crime/index.html"),
    ("Human trafficking", "/unodc/en/human-trafficking/index.html"),
    ("Corruption", "/unodc/en/corruption/index.html"),
    ("Terrorism prevention", "/unodc/en/terrorism/index.html"),
    ("Cybercrime", "/unodc/en/cybercrime/index.html"),
    ("Data and analysis", "/unodc/en/data-and-analysis/index.html"),
    ("Press", "/unodc/en/press/index.html"),
)
SECTION_MENU = (
    ("Press releases", LISTING_PATH),
    ("Speeches", "/unodc/en/speeches/index.html"),
    ("Statements", "/unodc/en/press/statements.html"),
    ("Media advisories", "/unodc/en/press/media-advisories.html"),
    ("Feature stories", "/unodc/en/frontpage/index.html"),
    ("Multimedia", "/unodc/en/multimedia.html"),
    ("Media contacts", "/unodc/en/press/contacts.html"),
)
LANGUAGES = (("English", "en"), ("Français", "fr"), ("Español", "es"), ("Русский", "ru"))

HEAD = """<!DOCTYPE html>
<html lang="en" xml:lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="author" content="United Nations : Office on Drugs and Crime">
{meta}
<link rel="stylesheet" type="text/css" href="/unodc/css/unodc-main.css">
<link rel="alternate" type="application/rss+xml" title="UNODC press releases"
 href="/unodc/feed/press-releases.xml">
<script src="/unodc/js/jquery.min.js"></script>
<script>var _paq = window._paq || []; _paq.push(['trackPageView']);</script>
</head>
"""


def _header() -> str:
    nav = "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for label, href in TOP_NAV)
    langs = " | ".join(
        f'<a href="/unodc/{code}/press/releases.html" lang="{code}">{name}</a>'
        for name, code in LANGUAGES
    )
    return f"""<div id="header">
<div id="logo"><a href="/unodc/index.html"><img src="/unodc/images/logo-unodc.png"
 alt="UNODC - United Nations Office on Drugs and Crime"></a></div>
<div id="language">{langs}</div>
<form id="searchForm" action="/unodc/en/search.html" method="get"><input type="text"
 name="q" title="Search"><input type="submit" value="Search"></form>
</div>
<div id="topnav"><ul class="topnav">{nav}</ul></div>
"""


def _left_menu(active: str, years: list[int]) -> str:
    rows = []
    for label, href in SECTION_MENU:
        cls = ' class="active"' if label == active else ""
        sub = ""
        if label == "Press releases":
            sub = (
                "<ul>"
                + "".join(f'<li><a href="{RELEASES_PATH}/{y}.html">{y}</a></li>' for y in years)
                + "</ul>"
            )
        rows.append(f'<li{cls}><a href="{href}">{escape(label)}</a>{sub}</li>')
    menu = "".join(rows)
    return f'<div id="leftColumn"><div id="navigation"><h2>Press</h2><ul>{menu}</ul></div></div>'


RIGHT_COLUMN = """<div id="rightColumn">
<div class="box"><h3>UNODC on social media</h3><ul class="social">
<li><a href="https://x.com/UNODC">X</a></li><li><a href="https://www.facebook.com/UNODC">Facebook</a></li>
<li><a href="https://www.instagram.com/unodc/">Instagram</a></li>
<li><a href="https://www.youtube.com/user/UNODCHQ">YouTube</a></li></ul></div>
<div class="box"><h3>Publications</h3><ul>
<li><a href="/unodc/en/data-and-analysis/world-drug-report.html">World Drug Report</a></li>
<li><a href="/unodc/en/data-and-analysis/glotip.html">Global Report on Trafficking in
Persons</a></li>
<li><a href="/unodc/en/data-and-analysis/global-study-on-homicide.html">Global Study on
Homicide</a></li>
</ul></div>
<div class="box"><h3>Subscribe</h3><p>Receive UNODC press releases by email:
<a href="/unodc/en/press/subscribe.html">subscribe to the mailing list</a>.</p></div>
</div>
"""
FOOTER = """<div id="footer">
<ul class="footer-links"><li><a href="/unodc/en/about-unodc/index.html">About UNODC</a></li>
<li><a href="/unodc/en/about-unodc/employment.html">Employment</a></li>
<li><a href="/unodc/en/about-unodc/contact.html">Contact us</a></li>
<li><a href="/unodc/en/legal-notice.html">Legal notice</a></li>
<li><a href="/unodc/en/fraud-alert.html">Fraud alert</a></li></ul>
<p>&copy; United Nations Office on Drugs and Crime. All rights reserved.<br>
Vienna International Centre, Wagramer Strasse 5, A 1400 Vienna, Austria.</p>
</div>
"""


def _page(
    title: str, meta: str, crumbs: list[tuple[str, str | None]], main: str, years: list[int]
) -> str:
    trail = " &gt; ".join(
        f'<a href="{href}">{escape(label)}</a>' if href else f"<span>{escape(label)}</span>"
        for label, href in [("Home", "/unodc/index.html"), *crumbs]
    )
    return (
        HEAD.format(title=escape(title), meta=meta)
        + '<body>\n<div id="container">\n'
        + _header()
        + f'<div id="breadcrumb">{trail}</div>\n<div id="page">\n'
        + _left_menu("Press releases", years)
        + f'\n<div id="mainColumn">\n{main}\n</div>\n'
        + RIGHT_COLUMN
        + "</div>\n"
        + FOOTER
        + "</div>\n</body>\n</html>\n"
    )


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _contact_html(contact: str) -> str:
    lines = "<br>\n".join(escape(line) for line in contact.split("\n"))
    return (
        '<div class="contact"><p><strong>For further information please contact:</strong></p>'
        f"\n<p>{lines}</p></div>"
    )


def release_html(r: DemoRelease) -> str:
    """A release page, driven by the DemoRelease only."""
    contact = str(r.metadata.get("contact") or "")
    topics = r.metadata.get("topics") or []
    topics = [topics] if isinstance(topics, str) else topics
    tags = "".join(
        f'<li><a href="/unodc/en/{t.lower().replace(" ", "-")}/index.html">{escape(t)}</a></li>'
        for t in topics
    )
    teaser = r.paragraphs[0] if r.paragraphs else ""
    meta = (
        f'<meta name="description" content="{escape(teaser[:160])}">\n'
        f'<meta property="og:title" content="{escape(r.title)}">\n'
        f'<meta property="og:type" content="article">\n'
        f'<meta name="DC.date.created" content="{r.published.isoformat()}">\n'
        f'<link rel="canonical" href="{r.url}">'
    )
    main = f"""<div class="pressrelease">
<p class="doctype">{escape(r.kind)}</p>
<h1>{escape(r.title)}</h1>
<div class="date-line"><span class="date"><time datetime="{r.published.isoformat()}">\
{_long(r.published)}</time></span></div>
<div class="pressrelease-body">
{paragraphs_html(r.paragraphs)}
<p class="separator">* * *</p>
{_contact_html(contact) if contact else ""}
</div>
{f'<div class="topics"><h3>Topics</h3><ul class="tags">{tags}</ul></div>' if tags else ""}
<div class="share"><span>Share:</span> <a href="https://x.com/share?url={r.url}">X</a>
<a href="https://www.facebook.com/sharer.php?u={r.url}">Facebook</a>
<a href="mailto:?subject={escape(r.title)}">Email</a>
<a href="javascript:window.print()">Print</a></div>
</div>"""
    year = r.published.year
    crumbs = [
        ("Press", "/unodc/en/press/index.html"),
        ("Press releases", LISTING_PATH),
        (str(year), f"{RELEASES_PATH}/{year}.html"),
    ]
    return _page(f"{r.title}", meta, crumbs, main, list(range(year, year - 5, -1)))


def listing_url(page_no: int) -> str:
    """Listing page ``page_no`` (0 is the first, newest page)."""
    return f"{BASE_URL}{LISTING_PATH}" + (f"?page={page_no + 1}" if page_no else "")


def listing_html(releases: list[DemoRelease], page_no: int, n_pages: int) -> str:
    """One page of the press release listing: date, linked title and teaser per item."""
    items = "\n".join(
        f'<div class="list-item">\n<p class="date">{_long(r.published)}</p>\n'
        f'<h3><a href="{r.url.removeprefix(BASE_URL)}">{escape(r.title)}</a></h3>\n'
        f'<p class="teaser">{escape(r.paragraphs[0][:200] if r.paragraphs else "")}</p>\n</div>'
        for r in releases
    )
    pager = " ".join(
        f"<strong>{n + 1}</strong>"
        if n == page_no
        else f'<a href="{listing_url(n).removeprefix(BASE_URL)}">{n + 1}</a>'
        for n in range(n_pages)
    )
    if page_no + 1 < n_pages:
        href = listing_url(page_no + 1).removeprefix(BASE_URL)
        pager += f' <a class="next" rel="next" href="{href}">Next &gt;</a>'
    main = f"""<h1>Press releases</h1>
<div class="pressreleases-list">
{items}
</div>
<div class="pager">{pager}</div>"""
    years = sorted({r.published.year for r in releases}, reverse=True) or [date.today().year]
    return _page(
        "Press releases",
        "",
        [("Press", "/unodc/en/press/index.html"), ("Press releases", None)],
        main,
        years,
    )


def snapshot_pages(
    releases: list[DemoRelease], per_page: int = 5
) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt, every listing page (newest first) and every release page."""
    return site_pages(releases, per_page, listing_url, listing_html, release_html)


def _url(day: date, slug: str) -> str:
    return f"{BASE_URL}{RELEASES_PATH}/{day.year}/{day:%B}/{slug}.html"


MEDIA = "UNODC Media Relations\nTelephone: (+43-1) 26060-5629\nEmail: unodc-press[at]un.org"


def _release(
    day: date, slug: str, title: str, place: str, paragraphs: list[str], topics: list[str]
) -> DemoRelease:
    country = {
        "Vienna": "Austria",
        "Bangkok": "Thailand",
        "Nairobi": "Kenya",
        "Bogotá": "Colombia",
        "New York": "United States",
        "Tashkent": "Uzbekistan",
        "Dakar": "Senegal",
    }[place]
    first = f"{place} ({country}), {_long(day)} – {paragraphs[0]}"
    return DemoRelease(
        url=_url(day, slug),
        title=title,
        published=day,
        paragraphs=[first, *paragraphs[1:]],
        place=place,
        metadata={"contact": MEDIA, "topics": topics, "country": country},
    )


def demo_releases() -> list[DemoRelease]:
    """Nine releases of the kind UNODC publishes (invented text), 2023–2025, newest last."""
    return [
        _release(
            date(2023, 3, 14),
            "commission-on-narcotic-drugs-opens-66th-session",
            "Commission on Narcotic Drugs opens its sixty-sixth session in Vienna",
            "Vienna",
            [
                "The Commission on Narcotic Drugs opened its sixty-sixth session today, bringing "
                "together Member States, civil society and United Nations entities to review "
                "progress on international drug policy commitments.",
                "Delegations will discuss access to controlled medicines, the scheduling of new "
                "psychoactive substances and the links between drug trafficking and other forms "
                "of organized crime.",
                "The session runs until Friday and includes more than one hundred side events "
                "organized by Member States and civil society organizations.",
            ],
            ["Drug prevention, treatment and care"],
        ),
        _release(
            date(2023, 6, 26),
            "world-drug-report-2023-launch",
            "World Drug Report 2023 warns of converging crises as illicit drug markets "
            "continue to expand",
            "Vienna",
            [
                "The number of people who use drugs continued to rise, according to the World "
                "Drug Report 2023 released today by UNODC on the International Day against "
                "Drug Abuse and Illicit Trafficking.",
                "The report highlights how drug markets interact with other global crises, from "
                "armed conflict to environmental degradation, and calls for services that reach "
                "people who need them most.",
                "Treatment coverage remains low: only one in five people suffering from drug use "
                "disorders received treatment in the last year, with wide disparities between "
                "regions.",
            ],
            ["Data and analysis", "Drug prevention, treatment and care"],
        ),
        _release(
            date(2023, 11, 8),
            "mekong-countries-agree-joint-border-operations",
            "Mekong countries agree on joint operations against synthetic drug trafficking",
            "Bangkok",
            [
                "Law enforcement agencies from six countries of the Mekong region agreed today "
                "to conduct joint operations along their shared borders to curb record flows of "
                "methamphetamine.",
                "The agreement, reached at a ministerial meeting supported by UNODC, foresees "
                "the exchange of intelligence through border liaison offices and joint training "
                "for customs and police officers.",
                "Seizures of methamphetamine in East and Southeast Asia have reached new highs "
                "for several consecutive years.",
            ],
            ["Organized crime"],
        ),
        _release(
            date(2024, 2, 20),
            "east-africa-maritime-crime-programme-expands",
            "UNODC expands maritime crime programme along the East African coast",
            "Nairobi",
            [
                "UNODC today announced the expansion of its Global Maritime Crime Programme to "
                "three additional ports on the East African coast, to support coast guards in "
                "countering trafficking by sea.",
                "The programme will provide training in vessel boarding, evidence collection and "
                "the prosecution of maritime offences.",
                "\u201cCriminal networks exploit gaps between jurisdictions at sea,\u201d the "
                "programme coordinator said. \u201cClosing them requires shared skills and "
                "shared information.\u201d",
            ],
            ["Organized crime"],
        ),
        _release(
            date(2024, 6, 26),
            "world-drug-report-2024-launch",
            "World Drug Report 2024: harms of the world drug problem continue to mount",
            "Vienna",
            [
                "The number of people who use drugs has risen to 292 million, a 20 per cent "
                "increase over ten years, according to the World Drug Report 2024 released "
                "today.",
                "Cannabis remains the most widely used drug, followed by opioids, amphetamines "
                "and cocaine. The report also documents the emergence of new synthetic opioids "
                "in several regions.",
                "The report calls for greater investment in evidence-based prevention and "
                "treatment and for addressing the environmental impact of illicit drug "
                "production.",
            ],
            ["Data and analysis"],
        ),
        _release(
            date(2024, 10, 3),
            "andean-alternative-development-coffee-exports",
            "Farmers in former coca-growing areas export their first specialty coffee",
            "Bogotá",
            [
                "Farmers' cooperatives supported by UNODC's alternative development programme "
                "shipped their first container of specialty coffee to European buyers this week.",
                "The cooperatives bring together more than 1,200 families who replaced coca with "
                "legal crops over the past five years.",
                "Alternative development offers rural communities a sustainable livelihood and "
                "strengthens the presence of the State in remote areas.",
            ],
            ["Alternative development"],
        ),
        _release(
            date(2024, 12, 9),
            "anti-corruption-day-2024",
            "International Anti-Corruption Day: youth at the centre of integrity efforts",
            "New York",
            [
                "On International Anti-Corruption Day, UNODC and the United Nations Development "
                "Programme called on governments to involve young people in shaping the "
                "integrity standards of tomorrow.",
                "Corruption undermines trust in institutions and diverts resources from "
                "education, health care and infrastructure.",
                "The United Nations Convention against Corruption, with 191 parties, remains the "
                "only legally binding universal anti-corruption instrument.",
            ],
            ["Corruption"],
        ),
        _release(
            date(2025, 3, 18),
            "central-asia-border-liaison-offices",
            "Central Asian States open new border liaison offices with UNODC support",
            "Tashkent",
            [
                "Four new border liaison offices opened today on the borders of Uzbekistan, "
                "Tajikistan and Kyrgyzstan, bringing the number of such offices in Central Asia "
                "to twenty-two.",
                "The offices allow border guards, customs and police of neighbouring countries "
                "to share information on trafficking routes in real time.",
                "The project is funded by the European Union and implemented by UNODC together "
                "with national authorities.",
            ],
            ["Organized crime", "Border management"],
        ),
        _release(
            date(2025, 7, 30),
            "world-day-against-trafficking-in-persons-2025",
            "World Day against Trafficking in Persons: reaching every victim",
            "Dakar",
            [
                "Marking the World Day against Trafficking in Persons, UNODC called for stronger "
                "protection of victims, many of whom are children exploited for forced labour "
                "and begging.",
                "In West Africa, UNODC supports national task forces that bring together "
                "prosecutors, labour inspectors and social workers to identify victims early.",
                "Victims who receive protection and support are more likely to testify against "
                "traffickers, helping to dismantle the networks that exploit them.",
            ],
            ["Human trafficking"],
        ),
    ]
