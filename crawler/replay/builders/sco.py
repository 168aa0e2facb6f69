"""SCO (eng.sectsco.org) as the replay server serves it: article pages and the /news/ listing.

The site's <title> is cut at 55 characters, as it was on the seed page ("…drug threa",
2019); the heading carries the full title. Pages of 2019 keep their /news/ URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html import escape

from crawler.replay.builders.base import DemoRelease, site_pages, text_paragraphs
from crawler.replay.snapshot import SnapshotPage

BASE_URL = "https://eng.sectsco.org"
TITLE_CUT = 55
MENU = (
    ("About SCO", "/about_sco/"),
    ("Secretariat", "/secretariat/"),
    ("RATS", "/rats/"),
    ("News", "/news/"),
    ("Events", "/events/"),
    ("Documents", "/documents/"),
    ("Media", "/media/"),
    ("Partners", "/partners/"),
    ("Contacts", "/contacts/"),
)
ASIDE_NEWS = (
    ("/20260302/1528810.html", "SCO Secretary-General receives the Ambassador of Kyrgyzstan"),
    ("/20260226/1527342.html", "SCO Film Festival to be held in Qingdao"),
    ("/20260219/1526001.html", "Tourism ministers of the SCO Member States meet in Almaty"),
)


def _menu() -> str:
    return "".join(f'<li class="menu__item"><a href="{h}">{t}</a></li>' for t, h in MENU)


HEADER = f"""<header class="header">
<div class="header__top"><a class="header__logo" href="/"><img src="/i/logo_en.svg"
 alt="Shanghai Cooperation Organisation"></a>
<ul class="header__lang"><li><a href="https://rus.sectsco.org/">Русский</a></li>
<li><a href="https://chn.sectsco.org/">中文</a></li>
<li class="active"><a href="/">English</a></li></ul>
<form class="header__search" action="/search/"><input name="query" placeholder="Search"></form>
</div>
<nav class="menu"><ul class="menu__list">{_menu()}</ul></nav>
</header>"""

ASIDE = (
    '<aside class="layout-article__aside"><div class="aside-news"><h3>Latest news</h3>'
    + "".join(
        f'<div class="aside-news__item"><a href="{h}">{escape(t)}</a></div>' for h, t in ASIDE_NEWS
    )
    + '</div><div class="aside-banner"><a href="/sco_20/">SCO: 25 years</a></div></aside>'
)

FOOTER = f"""<footer class="footer"><nav class="footer__menu"><ul>{_menu()}</ul></nav>
<div class="footer__contacts">Secretariat of the Shanghai Cooperation Organisation<br>
41 Liangmaqiao Road, Chaoyang District, Beijing, 100600, People's Republic of China<br>
Tel: +86 10 6532 9807 · E-mail: sco[at]sectsco.org</div>
<div class="footer__social"><a href="https://x.com/SCO_secretariat">X</a>
<a href="https://t.me/sco_secretariat">Telegram</a>
<a href="https://www.youtube.com/@SCOSecretariat">YouTube</a></div>
<div class="footer__copy">© 2001–2026 SCO Secretariat. All rights reserved.</div></footer>
<script src="/js/main.min.js"></script>"""


def _page(title: str, head: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title[:TITLE_CUT])}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}
<link rel="stylesheet" href="/css/main.min.css">
</head>
<body>
{HEADER}
<div class="layout">
{main}
</div>
{FOOTER}
</body>
</html>
"""


def _article_id(r: DemoRelease) -> str:
    return r.url.rsplit("/", 1)[-1].removesuffix(".html")


def release_html(r: DemoRelease) -> str:
    """An article page of the current markup (since 2022), driven by the DemoRelease only."""
    blocks = "\n".join(
        f'<div class="article__block" data-type="text"><div class="article__text">{escape(p)}'
        "</div></div>"
        for p in r.paragraphs
    )
    tags = "".join(
        f'<a class="article__tags-item" href="/tag_{escape(t.lower().replace(" ", "_"))}/">'
        f"{escape(t)}</a>"
        for t in r.metadata.get("tags", [])
    )
    aid = _article_id(r)
    head = (
        f'<meta property="og:title" content="{escape(r.title)}">\n'
        f'<meta property="article:published_time" content="{r.published:%Y%m%d}T1200">\n'
        f'<link rel="canonical" href="{r.url}">'
    )
    main = f"""<div class="layout-article"><div class="article" data-article-id="{aid}">
<div class="article__header"><div class="article__info">
<div class="article__info-date">
<a href="/{r.published:%Y%m%d}/">12:00 {r.published:%d.%m.%Y}</a></div>
<div class="article__views" data-counter="{aid}">views 0</div></div>
<h1 class="article__title">{escape(r.title)}</h1></div>
<div class="article__body">
<div class="article__block" data-type="media"><figure><img src="/images/{aid}.jpg" alt="">
<figcaption>Photo: SCO Secretariat</figcaption></figure></div>
{blocks}
</div>
<div class="article__tags">{tags}</div>
<div class="article__share">Share: <a href="#">Telegram</a> <a href="#">X</a> <a href="#">VK</a>
<a href="#">Weibo</a></div>
</div>
{ASIDE}
</div>"""
    return _page(r.title, head, main)


def listing_url(page_no: int) -> str:
    """Listing page ``page_no`` (0 is the first, newest page)."""
    return f"{BASE_URL}/news/" + (f"?page={page_no + 1}" if page_no else "")


def listing_html(releases: list[DemoRelease], page_no: int, n_pages: int) -> str:
    items = []
    for r in releases:
        href = r.url.removeprefix(BASE_URL)
        items.append(
            f'<div class="list-item" data-id="{_article_id(r)}">'
            f'<a class="list-item__image" href="{href}"><img src="/images/{_article_id(r)}_s.jpg"'
            f' alt=""></a>\n<div class="list-item__content"><a class="list-item__title" '
            f'href="{href}">{escape(r.title)}</a></div>\n<div class="list-item__info">'
            f'<div class="list-item__date">{r.published:%d.%m.%Y}</div></div></div>'
        )
    links = []
    if page_no:
        links.append(f'<a class="pagination__prev" href="{listing_url(page_no - 1)}">Previous</a>')
    links += [
        f'<a class="pagination__page{" active" if n == page_no else ""}" '
        f'href="{listing_url(n)}">{n + 1}</a>'
        for n in range(n_pages)
    ]
    if page_no + 1 < n_pages:
        links.append(f'<a class="pagination__next" href="{listing_url(page_no + 1)}">Next</a>')
    main = f"""<div class="layout-list"><h1 class="layout-list__title">News</h1>
<div class="list">
{"".join(items)}
</div>
<div class="pagination">{" ".join(links)}</div>
</div>
{ASIDE}"""
    return _page("News - SCO", "", main)


def snapshot_pages(
    releases: list[DemoRelease], per_page: int = 5
) -> Iterator[tuple[SnapshotPage, str]]:
    """robots.txt, every listing page (newest first) and every release page."""
    return site_pages(
        releases, per_page, listing_url, listing_html, release_html, modified_at="12:00:00Z"
    )


def _release(path: str, day: date, title: str, text: str, tags: list[str]) -> DemoRelease:
    return DemoRelease(
        url=f"{BASE_URL}{path}",
        title=title,
        published=day,
        paragraphs=text_paragraphs(text),
        kind="News",
        external_id=path.rsplit("/", 1)[1].removesuffix(".html"),
        metadata={"language": "en", "tags": tags},
    )


TEXT_565213 = """
On 10 July 2019, the UN's Vienna Office hosted a meeting between SCO Secretary-General Vladimir
Norov and UNODC Executive Director Yuri Fedotov.

During the meeting, the officials noted that cooperation between the two organisations had
increased: together they held a high-level event "The UN and the SCO in the fight against drugs:
Cooperation for strengthening international drug control" as part of the 62nd session of the UN
Commission on Narcotic Drugs this March, which was praised by the SCO Member States' heads
at the Bishkek Summit.

The officials discussed issues related to the practical implementation of the Memorandum
of Understanding between the SCO Secretariat and UNODC of 2011 by approving a corresponding
joint Action Plan.

Vladimir Norov and Yury Fedotov agreed that the growing drug problem was a serious threat
to stability in Eurasia. In this context, both expressed interest in promoting cooperation
with other UN agencies as well as international and regional organisations, including by holding
trilateral events.

The Secretary-General described the SCO Summit held on 13-14 June 2019 in Bishkek as well as the
main provisions of the Working Plan on the implementation of the Action Programme to Implement
the SCO Anti-Drug Strategy for 2018-2023 adopted by the SCO Member States' heads.

Yury Fedotov praised the results of the SCO Heads of State Council Meeting, spoke about the work
carried out by UNODC to counter the drug threat as

well as the new Global Report on Drugs UNODC published in June and expressed his readiness
to step up cooperation with the SCO.

The United Nations Commission on Narcotic Drugs, founded in 1997, is a UN agency based in Vienna
that coordinates efforts to combat illegal drug and weapons trafficking, organised crime, human
trafficking and international terrorism.

On 14 June 2011, the Memorandum of Understanding between the Secretariat of the Shanghai
Cooperation Organisation and the UN Office on Drugs and Crime was signed in Astana. Joint
expert-analytical and information work was launched, and joint activities are carried out to
promote anti-drug cooperation.
"""

TEXT_593540 = """
On 17 October 2019, the Council of the Regional Anti-Terrorist Structure (RATS) of the Shanghai
Cooperation Organisation held a regular meeting in Tashkent.

The Council members reviewed the preparations for joint counter-terrorism exercises of the
competent authorities of the SCO Member States and approved a plan for exchanging information on
persons suspected of involvement in terrorist activities.

The participants also discussed measures to counter the use of the internet for spreading
terrorist and extremist ideas and for recruiting young people.
"""

TEXT_650321 = """
Today the world marks the International Day against Drug Abuse and Illicit Trafficking. The SCO
Secretariat notes that the spread of narcotic drugs and their illicit trafficking remain a
serious threat to the security and stable development of the region.

Even under the restrictions caused by the pandemic, the competent authorities of the SCO Member
States have continued to exchange information and to conduct joint operations against drug
trafficking.

The SCO Secretariat reaffirms its readiness to develop cooperation with the United Nations
Office on Drugs and Crime and other international and regional organisations in this field.
"""

TEXT_733902 = """
On 18 March 2021, the SCO Secretariat held a briefing for the diplomatic corps on the
cooperation of the Member States in countering the financing of terrorism.

Experts of the Regional Anti-Terrorist Structure described the channels used to move money to
terrorist groups, including cash couriers, informal transfer systems and virtual assets.

The participants noted the importance of sharing financial intelligence in good time and of
bringing national legislation into line with international standards.
"""

TEXT_813122 = """
On 25 January 2022, SCO Secretary-General Zhang Ming met via videoconference with the Regional
Representative of the United Nations Office on Drugs and Crime for Central Asia.

The sides discussed the situation in Afghanistan and its consequences for drug trafficking in
the region, and the implementation of the joint Action Plan between the SCO Secretariat and
UNODC.

They agreed to hold a joint expert event on countering the trafficking of synthetic drugs and
precursors in the first half of the year.
"""

TEXT_924417 = """
On 3 November 2022, a meeting of the heads of the competent authorities of the SCO Member States
responsible for combating illicit drug trafficking took place in Samarkand.

The participants exchanged views on the drug situation in the region and approved the plan of
joint anti-drug operations for the coming year.

Particular attention was paid to the trafficking of drugs through postal items and online
marketplaces, and to cooperation in training personnel.
"""

TEXT_1065320 = """
On 14 June 2023, the Secretary-General of the Shanghai Cooperation Organisation held
consultations with the Secretary-General of the Collective Security Treaty Organization.

The sides discussed countering terrorism, extremism and drug trafficking, as well as ensuring
international information security.

They noted the usefulness of regular contacts between the two secretariats and agreed to
continue exchanging information on events of mutual interest.
"""

TEXT_1238128 = """
On 17 January 2024, the Secretary-General of the Shanghai Cooperation Organisation met with the
Executive Director of the United Nations Office on Drugs and Crime at the Vienna International
Centre.

The sides reviewed the implementation of the Memorandum of Understanding between the SCO
Secretariat and UNODC and discussed joint projects to counter drug trafficking, transnational
organised crime and the financing of terrorism.

The Secretary-General informed the Executive Director about the priorities of the current Kazakh
chairmanship of the SCO, including the fight against new psychoactive substances.
"""

TEXT_1402215 = """
On 26 June 2025, the SCO Secretariat held a round table dedicated to the International Day
against Drug Abuse and Illicit Trafficking.

Representatives of the Permanent Missions of the Member States, experts and young volunteers
discussed prevention among young people and the risks posed by synthetic drugs sold online.

Participants called for closer cooperation between law enforcement agencies, health services and
civil society in reducing the demand for drugs.
"""

TEXT_1530087 = """
On 5 March 2026, the SCO Secretariat hosted a meeting of experts of the Member States on
countering extremism and radicalisation on the internet.

The participants shared national practices in detecting and removing extremist content and in
working with online platforms.

The meeting recommended preparing a joint information campaign aimed at young people for the
next SCO summit.
"""


def demo_releases() -> list[DemoRelease]:
    """Ten news items on drugs, terrorism and security, seed 004 (10 July 2019) among them."""
    return [
        _release(
            "/news/20190711/565213.html",
            date(2019, 7, 10),
            "SCO and UNODC outline further steps to fight drug threats",
            TEXT_565213,
            ["UNODC", "Drugs"],
        ),
        _release(
            "/news/20191017/593540.html",
            date(2019, 10, 17),
            "RATS Council discusses joint counter-terrorism exercises of SCO Member States",
            TEXT_593540,
            ["RATS", "Terrorism"],
        ),
        _release(
            "/news/20200626/650321.html",
            date(2020, 6, 26),
            "SCO Secretariat statement on the International Day against Drug Abuse",
            TEXT_650321,
            ["Drugs"],
        ),
        _release(
            "/news/20210318/733902.html",
            date(2021, 3, 18),
            "SCO Secretariat hosts briefing on countering the financing of terrorism",
            TEXT_733902,
            ["RATS", "Terrorism", "Security"],
        ),
        _release(
            "/20220125/813122.html",
            date(2022, 1, 25),
            "SCO Secretary-General meets UNODC Regional Representative for Central Asia",
            TEXT_813122,
            ["UNODC", "Drugs", "Afghanistan"],
        ),
        _release(
            "/20221103/924417.html",
            date(2022, 11, 3),
            "Heads of SCO drug control agencies meet in Samarkand",
            TEXT_924417,
            ["Drugs"],
        ),
        _release(
            "/20230614/1065320.html",
            date(2023, 6, 14),
            "SCO and CSTO secretariats discuss cooperation in security matters",
            TEXT_1065320,
            ["Security", "CSTO"],
        ),
        _release(
            "/20240117/1238128.html",
            date(2024, 1, 17),
            "SCO Secretary-General meets UNODC Executive Director",
            TEXT_1238128,
            ["UNODC", "Drugs", "Terrorism"],
        ),
        _release(
            "/20250626/1402215.html",
            date(2025, 6, 26),
            "SCO Secretariat marks the International Day against Drug Abuse",
            TEXT_1402215,
            ["Drugs", "Youth"],
        ),
        _release(
            "/20260305/1530087.html",
            date(2026, 3, 5),
            "SCO experts meet on countering extremism and radicalisation online",
            TEXT_1530087,
            ["Extremism", "Security"],
        ),
    ]
