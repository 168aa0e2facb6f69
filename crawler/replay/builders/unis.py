"""UNIS Vienna as the replay server serves it: AEM release pages and the 2026 archive listing.

Pages carry the whole chrome (language bar, main menu, breadcrumb, sidebar teasers, rotating
Secretary-General quotations, footer). Releases of 2023 put the quotations and news teasers
right after the contact block, as the site did that year.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html import escape

from crawler.replay.builders.base import DemoRelease, paragraphs_html, site_pages, text_paragraphs
from crawler.replay.snapshot import SnapshotPage

BASE_URL = "https://unis.unvienna.org"
LISTING_PATH = "/unis/en/pr/press-releases.html"
QUOTES = (  # well-known lines; the site rotates them on each load
    "Climate change is the defining issue of our time.",
    "The era of global warming has ended; the era of global boiling has arrived.",
    "We are in the fight of our lives, and we are losing.",
)
NEWS_TEASERS = (
    ("/unis/en/events/2026/open-day.html", "Vienna International Centre Open Day"),
    ("/unis/en/visitors/guided-tours.html", "Guided tours of the Vienna International Centre"),
    ("/unis/en/library/index.html", "UNIS Library: new reading-room hours"),
)
MENU = {
    "About us": ("About UNIS", "Director", "Mandate", "Jobs"),
    "Press": ("Press releases", "Media advisories", "Accreditation", "Photos"),
    "Events": ("Calendar", "Observances", "Exhibitions"),
    "Topics": ("Drugs and crime", "Outer space", "Nuclear", "Sustainable development"),
    "Visitors Centre": ("Guided tours", "Groups", "Shop"),
    "Library": ("Catalogue", "Depository", "Opening hours"),
}


def _nav() -> str:
    items = []
    for label, children in MENU.items():
        subs = "".join(
            f'<li><a href="/unis/en/{c.lower().replace(" ", "-")}.html">{c}</a></li>'
            for c in children
        )
        items.append(
            f'<li class="main-nav__item"><a href="#">{label}</a>'
            f'<ul class="main-nav__sub">{subs}</ul></li>'
        )
    return "".join(items)


HEAD_CHROME = f"""<div class="skip-link"><a href="#main">Skip to main content</a></div>
<header class="header">
<div class="header__top"><ul class="lang-nav">
<li class="active"><a href="/unis/en/index.html">English</a></li>
<li><a href="/unis/de/index.html">Deutsch</a></li><li><a href="/unis/hu/index.html">Magyar</a></li>
<li><a href="/unis/sk/index.html">Slovenčina</a></li>
<li><a href="/unis/sl/index.html">Slovenščina</a></li></ul></div>
<div class="header__brand"><a href="/unis/en/index.html"><img src="/content/dam/unis/logo-en.svg"
 alt="United Nations Information Service Vienna"></a></div>
<nav class="main-nav" aria-label="Main"><ul class="main-nav__list">{_nav()}
<li class="main-nav__item"><a href="/unis/en/contact.html">Contact</a></li></ul></nav>
<form class="header__search" action="/unis/en/search.html"><input name="q" placeholder="Search">
<button type="submit">Search</button></form>
</header>"""

FOOTER = """<footer class="footer"><div class="container">
<div class="footer__col"><h3>United Nations Information Service Vienna</h3>
<p>Vienna International Centre, Wagramer Strasse 5, 1220 Vienna, Austria</p>
<p>Telephone: (+43 1) 26060-3325 · Email: unis-vienna[at]un.org</p></div>
<div class="footer__col"><ul class="footer__links">
<li><a href="/unis/en/contact.html">Contact</a></li>
<li><a href="/unis/en/copyright.html">Copyright</a></li>
<li><a href="/unis/en/privacy.html">Privacy notice</a></li>
<li><a href="/unis/en/terms.html">Terms of use</a></li>
<li><a href="/unis/en/sitemap.html">Site map</a></li></ul></div>
<div class="footer__social"><a href="https://x.com/UNISVienna">X</a>
<a href="https://www.facebook.com/UNISVienna">Facebook</a>
<a href="https://www.instagram.com/unisvienna">Instagram</a></div>
<p class="footer__copy">© United Nations Information Service Vienna</p></div></footer>
<script src="/etc.clientlibs/unis/clientlibs/clientlib-site.min.js"></script>"""

TEASERS_BOX = (
    '<div class="sidebar__box news-teasers"><h2>UNIS News</h2><ul class="teaser-list">'
    + "".join(f'<li><a href="{href}">{escape(t)}</a></li>' for href, t in NEWS_TEASERS)
    + "</ul></div>"
)


def _quote_box(key: str) -> str:
    """One Secretary-General quotation, rotating with the page (the site rotates on reload)."""
    quote = QUOTES[len(key) % len(QUOTES)]
    return (
        f'<div class="sg-quotes"><blockquote class="sg-quote"><p>“{escape(quote)}”</p>'
        "<footer>— António Guterres, United Nations Secretary-General</footer></blockquote></div>"
    )


def _page(title: str, head: str, breadcrumb: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | UNIS Vienna</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}
<link rel="stylesheet" href="/etc.clientlibs/unis/clientlibs/clientlib-site.min.css">
</head>
<body class="page basicpage">
{HEAD_CHROME}
<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/unis/en/index.html">Home</a></li>
<li><a href="/unis/en/press.html">Press</a></li>{breadcrumb}</ol></nav>
<main id="main" class="main-content"><div class="container"><div class="row">
{main}
</div></div></main>
{FOOTER}
</body>
</html>
"""


def _contact_html(contact: str) -> str:
    name, *rest = contact.split("\n") or [""]
    lines = "<br>\n".join(escape(line) for line in rest)
    return (
        '<div class="pressrelease__contact"><p><strong>For further information, please contact:'
        f"</strong></p>\n<p><strong>{escape(name)}</strong><br>\n{lines}</p></div>"
    )


def release_html(r: DemoRelease) -> str:
    """A release page of the current AEM markup, driven by the DemoRelease only."""
    symbol = str(r.metadata.get("symbol") or r.external_id or "")
    contact = str(r.metadata.get("contact") or "")
    stars = "<p>***</p>\n" if "/MA/" in symbol else ""
    after_contact = _quote_box(r.url) + TEASERS_BOX if r.published.year == 2023 else ""
    stamp = f"{r.published.isoformat()}T10:00:00.000+02:00"
    head = (
        f'<meta name="creation-date" content="{stamp}">\n'
        f'<meta name="posting-date" content="{stamp}">\n'
        f'<meta property="og:title" content="{escape(r.title)}">\n'
        f'<link rel="canonical" href="{r.url}">'
    )
    side = "" if after_contact else _quote_box(r.url) + TEASERS_BOX
    main = f"""<article class="col-md-8 pressrelease">
<p class="pressrelease__disclaimer">For information only - not an official document</p>
<div class="pressrelease__meta"><span class="pressrelease__symbol">{escape(symbol)}</span>
<span class="pressrelease__date">
<time datetime="{r.published.isoformat()}">{_long(r.published)}</time></span></div>
<h1 class="pressrelease__title">{escape(r.title)}</h1>
<div class="pressrelease__text text parbase">
{paragraphs_html(r.paragraphs)}
{stars}<p class="text-center">* *** *</p>
{_contact_html(contact) if contact else ""}
{after_contact}
</div>
<div class="share-bar">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">LinkedIn</a>
<a href="#">Email</a> <a href="javascript:window.print()">Print</a></div>
</article>
<aside class="col-md-4 sidebar">
<div class="sidebar__box"><h2>Media contacts</h2>
<p>UNIS Vienna press desk<br>Telephone: (+43 1) 26060-3325</p></div>
{side}
</aside>"""
    return _page(
        r.title,
        head,
        f'<li><a href="{LISTING_PATH}">Press releases</a></li><li>{escape(symbol)}</li>',
        main,
    )


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def listing_url(page_no: int) -> str:
    """Listing page ``page_no`` (0 is the first, newest page)."""
    return f"{BASE_URL}{LISTING_PATH}" + (f"?page={page_no + 1}" if page_no else "")


def listing_html(releases: list[DemoRelease], page_no: int, n_pages: int) -> str:
    """The 2026 archive listing: div.arch__item with day-first dates, titles with line breaks."""
    items = []
    for i, r in enumerate(releases):
        title = escape(r.title)
        if len(r.title) > 60:  # long titles come with a hard line break from the CMS
            cut = r.title.rfind(" ", 0, 60)
            title = f"{escape(r.title[:cut])}\n<br>{escape(r.title[cut + 1 :])}"
        iso = f"{r.published.isoformat()}T09:{i % 60:02d}:08.487"
        href = r.url.removeprefix(BASE_URL)
        items.append(
            f'<div class="arch__item" data-iso-date="{iso}">\n<div class="item__date">'
            f'<span class="std-item-date">{r.published:%d/%m/%Y}</span></div>\n'
            f'<div class="item__title"><a href="{href}">\n{title}\n</a></div></div>'
        )
    pager = "".join(
        f'<li{" class=active" if n == page_no else ""}><a href="{listing_url(n)}">{n + 1}</a></li>'
        for n in range(n_pages)
    )
    if page_no + 1 < n_pages:
        pager += f'<li><a class="pagination__next" href="{listing_url(page_no + 1)}">Next</a></li>'
    main = f"""<div class="col-md-12"><h1>Press releases</h1>
<ul class="nav nav-tabs archive__tabs"><li class="active"><a href="#all">All</a></li>
<li><a href="/unis/en/pr/press-releases-unodc.html">UNODC</a></li>
<li><a href="/unis/en/pr/press-releases-unoosa.html">UNOOSA</a></li></ul>
<div class="tab-content archive__container">
{"".join(items)}
</div>
<nav class="pagination"><ul>{pager}</ul></nav></div>"""
    return _page("Press releases", "", "<li>Press releases</li>", main)


def snapshot_pages(
    releases: list[DemoRelease], per_page: int = 5
) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt, every listing page (newest first) and every release page."""
    return site_pages(
        releases, per_page, listing_url, listing_html, release_html, modified_at="10:00:00Z"
    )


def _release(symbol: str, day: date, title: str, text: str, contact: str) -> DemoRelease:
    series, number = symbol.split("/")[1:]
    paragraphs = text_paragraphs(text)
    return DemoRelease(
        url=f"{BASE_URL}/unis/en/pressrels/{day.year}/unis{series.lower()}{number}.html",
        title=title,
        published=day,
        paragraphs=paragraphs,
        place=paragraphs[0].split(",")[0],
        kind="Media advisory" if series == "MA" else "Press release",
        external_id=symbol,
        metadata={"symbol": symbol, "series": series, "contact": contact},
    )


PRESS = "UNODC Advocacy Section\nTelephone: (+43 1) 26060-5629\nEmail: unodc-press[at]un.org"
CND = (
    "Secretariat of the Commission on Narcotic Drugs\nTelephone: (+43 1) 26060-4421\n"
    "Email: unodc-cnd[at]un.org"
)
UNIS = "UNIS Vienna press desk\nTelephone: (+43 1) 26060-3325\nEmail: unis-press[at]un.org"
SEED_003_CONTACT = (
    "Sonya Yee\nSpeechwriter and Spokesperson, UNODC\nTelephone: (+43 1) 26060-4990\n"
    "Mobile: (+43-699) 1459-4990\nEmail: sonya.yee[at]un.org"
)

TEXT_CP_1051 = """
LYON/VIENNA, 6 June 2018 (UN Information Service) - Yury Fedotov, Executive Director of the
United Nations Office on Drugs and Crime (UNODC), visited INTERPOL headquarters in Lyon today to
discuss enhancing cooperation to support countries in countering crime and terrorism threats.

The UNODC Executive Director and INTERPOL Secretary General Jürgen Stock opened a steering
committee meeting to review progress under a joint action plan and cooperation agreement, as
well as explore opportunities for further strategic and operational coordination, including
through UNODC field offices.

"The partnership between UNODC and INTERPOL capitalizes on our respective strengths to deliver
the most effective criminal justice and law enforcement support to Member States," said Mr.
Fedotov. "With the joint action plan and cooperation arrangement, we have a solid foundation for
further advancing our work together to prevent and address threats posed by organized crime,
drugs and terrorism, and contribute to international security and sustainable development."

"At a time of unprecedented threats against society, maximizing our resources through
cooperation with UNODC will help us better support our member countries in tackling criminal
enterprises," said INTERPOL Secretary General Stock.

The UNODC Executive Director highlighted areas for future collaboration, including data sharing,
countering the challenges posed by foreign terrorist fighters, and regional and inter-regional
law enforcement cooperation.

In particular he emphasized the need for enhanced partnerships to address record levels of opium
poppy cultivation and opiate production in Afghanistan, as well as related potential threats,
including increased sources of terrorist financing and supply-driven expansion of drug markets.

UNODC developed "Strategic Actions to Respond to the global Threats of Opiates", or SARTO, to
reinforce international support to Afghanistan to address drug demand and supply reduction,
alternative development and crime prevention.

The cooperation agreement and joint action plan draw on UNODC technical assistance expertise and
INTERPOL's policing capabilities, with a focus on areas including terrorism, illicit trafficking
and organized crime, cybercrime, maritime and border security, forensic and criminal justice
capacity, and institutional capacity.
"""

TEXT_NAR_1379 = """
VIENNA, 26 June 2019 (UN Information Service) - The number of people who suffer from drug use
disorders worldwide is higher than previously estimated, according to the World Drug Report 2019
released today by the United Nations Office on Drugs and Crime (UNODC).

The report, launched on the International Day against Drug Abuse and Illicit Trafficking, draws
on improved data from national surveys and presents revised estimates of drug use, drug-related
deaths and the availability of treatment services.

It also looks at the supply side, noting continued high levels of cocaine manufacture and the
spread of synthetic opioids, and calls for stronger international cooperation so that prevention
and treatment reach those who need them.
"""

TEXT_CP_1089 = """
VIENNA, 30 July 2020 (UN Information Service) - On the World Day against Trafficking in Persons,
the United Nations Office on Drugs and Crime (UNODC) paid tribute to the first responders who
identify, support and counsel victims of trafficking and seek justice for them.

Social workers, law enforcement officers, health-care staff and civil society organizations have
continued their work through the COVID-19 pandemic, often in difficult conditions and with fewer
resources.

UNODC called on Governments to recognize the role of these responders and to make sure that
victims can still reach shelters, legal aid and medical care while restrictions on movement
remain in place.
"""

TEXT_CP_1112 = """
SHARM EL-SHEIKH/VIENNA, 13 December 2021 (UN Information Service) - The ninth session of the
Conference of the States Parties to the United Nations Convention against Corruption opened
today in Sharm El-Sheikh, Egypt, bringing together Government delegations, international
organizations and civil society.

Over five days, delegations will review how countries implement the Convention, discuss the
recovery of stolen assets and consider how anti-corruption measures can support a fair recovery
from the pandemic.

The United Nations Office on Drugs and Crime (UNODC) serves as the secretariat of the
Conference.
"""

TEXT_CP_1148 = """
VIENNA, 24 January 2023 (UN Information Service) - Fewer victims of trafficking in persons were
detected worldwide during the pandemic, while conflicts, displacement and climate-related
disasters raised the risk of exploitation, according to the Global Report on Trafficking in
Persons released today by UNODC.

The report finds that restrictions on movement pushed some forms of trafficking further
underground and that victims were less likely to be identified and referred to assistance.

UNODC urged States to invest in the detection of victims, to strengthen cross-border cooperation
between investigators and to improve support for survivors.
"""

TEXT_MA_712 = """
VIENNA, 20 June 2023 (UN Information Service) - The United Nations Office on Drugs and Crime
(UNODC) will launch its World Drug Report 2023 at a press conference in Vienna on the
International Day against Drug Abuse and Illicit Trafficking.

When: Monday, 26 June 2023, 11:00 a.m. CEST

Where: Press Briefing Room (M0E100), Vienna International Centre

Speakers: Chief of the Research and Trend Analysis Branch, UNODC; Director of the Division for
Policy Analysis and Public Affairs, UNODC

Journalists who do not hold a valid UNIS Vienna press accreditation are asked to register in
advance through the UNIS accreditation page.
"""

TEXT_NAR_1462 = """
VIENNA, 14 March 2024 (UN Information Service) - The Commission on Narcotic Drugs opened its
sixty-seventh session in Vienna today with a high-level segment reviewing the progress made by
Member States in implementing their joint commitments on the world drug problem.

Ministers and senior officials from more than 100 countries are taking part, together with
United Nations entities, international organizations and civil society.

The session continues until 22 March with debates on drug demand and supply reduction, access to
controlled medicines and the scheduling of substances under international control.
"""

TEXT_CP_1176 = """
VIENNA, 14 October 2024 (UN Information Service) - The Conference of the Parties to the United
Nations Convention against Transnational Organized Crime opened its twelfth session in Vienna
today.

Delegations will review the mechanism that examines how the Convention and its Protocols are
implemented, and discuss firearms trafficking, crimes that affect the environment and the
smuggling of migrants.

The Conference meets every two years; UNODC serves as its secretariat.
"""

TEXT_NAR_1478 = """
VIENNA, 26 June 2025 (UN Information Service) - Markets for synthetic drugs continue to expand
and to reach new regions, according to the World Drug Report 2025 released today by the United
Nations Office on Drugs and Crime (UNODC).

The report describes how instability and conflict create openings for organized criminal groups
and how drug trafficking feeds other forms of crime, from corruption to environmental harm.

UNODC calls for sustained investment in prevention, treatment and international cooperation, and
for evidence-based responses that protect health and human rights.
"""

TEXT_CP_1201 = """
NAIROBI/VIENNA, 10 June 2026 (UN Information Service) - The United Nations Office on Drugs and
Crime (UNODC) and coastal States of East Africa agreed today to expand their joint programme
against maritime crime in the western Indian Ocean.

The programme trains coast guards, prosecutors and judges to handle cases of piracy, fisheries
crime and drug trafficking at sea, and supports regional centres that share information on
suspicious vessels.

The expansion adds courses on the collection of evidence at sea and on cooperation between
maritime agencies across borders.
"""


def demo_releases() -> list[DemoRelease]:
    """Ten releases of series CP, NAR and MA, seed 003 (UNIS/CP/1051) among them."""
    return [
        _release(
            "UNIS/CP/1051",
            date(2018, 6, 6),
            "UNODC chief visits INTERPOL to strengthen cooperation against crime and terrorism",
            TEXT_CP_1051,
            SEED_003_CONTACT,
        ),
        _release(
            "UNIS/NAR/1379",
            date(2019, 6, 26),
            "World Drug Report 2019: more people suffer from drug use disorders than estimated",
            TEXT_NAR_1379,
            PRESS,
        ),
        _release(
            "UNIS/CP/1089",
            date(2020, 7, 30),
            "First responders honoured on World Day against Trafficking in Persons",
            TEXT_CP_1089,
            PRESS,
        ),
        _release(
            "UNIS/CP/1112",
            date(2021, 12, 13),
            "States parties to the UN Convention against Corruption meet in Sharm El-Sheikh",
            TEXT_CP_1112,
            PRESS,
        ),
        _release(
            "UNIS/CP/1148",
            date(2023, 1, 24),
            "Global Report on Trafficking in Persons: crises raise the risk of exploitation",
            TEXT_CP_1148,
            PRESS,
        ),
        _release(
            "UNIS/MA/712",
            date(2023, 6, 20),
            "Media advisory: launch of the World Drug Report 2023",
            TEXT_MA_712,
            UNIS,
        ),
        _release(
            "UNIS/NAR/1462",
            date(2024, 3, 14),
            "Commission on Narcotic Drugs opens its sixty-seventh session in Vienna",
            TEXT_NAR_1462,
            CND,
        ),
        _release(
            "UNIS/CP/1176",
            date(2024, 10, 14),
            "Conference on the UN Convention against Transnational Organized Crime opens in Vienna",
            TEXT_CP_1176,
            PRESS,
        ),
        _release(
            "UNIS/NAR/1478",
            date(2025, 6, 26),
            "World Drug Report 2025 warns of expanding markets for synthetic drugs",
            TEXT_NAR_1478,
            PRESS,
        ),
        _release(
            "UNIS/CP/1201",
            date(2026, 6, 10),
            "UNODC and East African partners expand maritime crime programme in the Indian Ocean",
            TEXT_CP_1201,
            PRESS,
        ),
    ]
