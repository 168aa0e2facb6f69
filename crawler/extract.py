"""Shared text tools for site parsers: block text with paragraphs, dates, datelines.

Everything here is pure and works on parsel selectors or strings. The generic fallback
reader (trafilatura) is at the end: ``extract_fallback``; error pages are told apart in
crawler.pagecheck.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from lxml import etree
from parsel import Selector, SelectorList

if TYPE_CHECKING:
    from crawler.sites.base import ReleaseFields

BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "table",
        "tr",
        "pre",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "header",
        "footer",
        "aside",
        "nav",
        "address",
        "hr",
    ]
)
SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "button", "form", "iframe", "svg", "select"]
)
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def clean_text(text: str) -> str:
    """One line of text with its whitespace collapsed and invisible characters dropped."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACE.sub(" ", text.replace("\n", " ")).strip()


def node_text(node: Selector | SelectorList | None) -> str | None:
    """All text under a node as one cleaned line, or None when there is none."""
    if node is None:
        return None
    if isinstance(node, SelectorList):
        if not node:
            return None
        node = node[0]
    text = clean_text(
        " ".join(node.xpath(".//text()[not(ancestor::script|ancestor::style)]").getall())
    )
    return text or None


def first_text(sel: Selector, *queries: str) -> str | None:
    """The text (or attribute value, for ``::attr`` queries) of the first query that gives one.

    ``node_text`` reads no attribute value: an ``::attr()`` match is an attribute node.
    """
    for query in queries:
        if found := sel.css(query):
            text = clean_text(found.get() or "") if "::attr" in query else node_text(found)
            if text:
                return text
    return None


def node_texts(sel: Selector, *queries: str) -> list[str]:
    """The texts of every node matched by the first query that gives any (tags, topics)."""
    for query in queries:
        if texts := [t for t in (node_text(n) for n in sel.css(query)) if t]:
            return texts
    return []


_LINE_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h\d)>")


def text_lines(node: Selector) -> list[str]:
    """The text lines of a node: <br> and block ends break lines (contact blocks use <br>)."""
    text = "".join(Selector(text=_LINE_END.sub("\n", node.get())).xpath("//body//text()").getall())
    return [line for line in (clean_text(t) for t in text.split("\n")) if line]


def block_text(node: Selector | SelectorList | None, skip: tuple[str, ...] = ()) -> str:
    """The text under ``node`` with block elements as paragraphs, one blank line apart.

    ``skip`` holds CSS selectors of descendants to leave out (share bars, contact blocks).
    """
    if node is None:
        return ""
    nodes = list(node) if isinstance(node, SelectorList) else [node]
    skipped: set[etree._Element] = set()
    for sel in nodes:
        for query in skip:
            skipped.update(s.root for s in sel.css(query))
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = clean_text("".join(current))
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str) or el in skipped:
            return
        tag = el.tag.lower()
        if tag in SKIP_TAGS:
            return
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if tag == "br":
            current.append("\n")
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    for sel in nodes:
        if isinstance(sel.root, etree._Element):
            walk(sel.root)
            flush()
    return "\n\n".join(paragraphs)


def paragraphs_of(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


# --- dates -------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "january jan januar jänner janvier",
            "february feb februar février fevrier",
            "march mar märz maerz mars",
            "april apr avril",
            "may mai",
            "june jun juni juin",
            "july jul juli juillet",
            "august aug août aout",
            "september sep sept septembre",
            "october oct oktober octobre okt",
            "november nov novembre",
            "december dec dezember décembre decembre dez",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = r"(?P<month>[A-Za-zÄäÉéÛûô]{3,10})\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+{_MONTH}(?:,?\s+(?P<year>\d{{4}}))?\b"
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?\b"
)
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})")
_NUMERIC = re.compile(r"\b(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4})\b")
_COMPACT = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)")


def _make_date(year: int | str, month: int | str, day: int | str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None


def parse_date(text: str | None, default_year: int | None = None) -> date | None:
    """A date written in any of the forms these sites use, or None.

    ISO ("2018-06-06", also datetimes), day first ("6 June 2018", "06/06/2018",
    "19. September 2007"), month first ("June 6, 2018"). Numeric dates are read day first,
    as all four sites write them. ``default_year`` completes a date written without one.
    """
    if not text:
        return None
    text = clean_text(text)
    if m := _ISO.search(text):
        return _make_date(m["year"], m["month"], m["day"])
    if m := _NUMERIC.search(text):
        return _make_date(m["year"], m["month"], m["day"])
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in pattern.finditer(text):
            month = MONTHS.get(m["month"].lower())
            year = m["year"] or default_year
            if month and year:
                return _make_date(year, month, m["day"])
    return None


def date_in_url(url: str) -> date | None:
    """A date written into a URL as YYYYMMDD or /YYYY/MonthName/ (day 1), or None."""
    if m := _COMPACT.search(url):
        return _make_date(m["year"], m["month"], m["day"])
    if m := re.search(r"/(?P<year>(?:19|20)\d{2})/(?P<month>[A-Za-z]+)/", url):
        month = MONTHS.get(m["month"].lower())
        return _make_date(m["year"], month, 1) if month else None
    return None


# --- datelines ---------------------------------------------------------------------------

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſ"
_PLACE_WORD = rf"[{_UPPER}][{_UPPER}.'’\-]*"
# The date must look like one: a lazy "anything" stopped at the first capital ("17 July").
_DATELINE_DATE = (
    r"\d{1,2}(?:st|nd|rd|th)?\.?\s+[A-Za-zÄäÉéÛûô]{3,10}\.?(?:,?\s+\d{4})?"
    r"|[A-Za-zÄäÉéÛûô]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}"
)
_DATELINE = re.compile(
    rf"^\s*(?P<place>{_PLACE_WORD}(?:(?:\s*/\s*|\s+){_PLACE_WORD})*)"
    r"\s*(?:,|[-–—])\s*"
    rf"(?P<date>{_DATELINE_DATE})?"
    r"\s*(?:\([^)]{0,60}\))?\s*"
    r"(?:[-–—.:,]|(?<=\s)(?=[A-Z\"“‘'])|(?=\s+[A-Z\"“‘']))"
)


# UNODC (2020s) writes the city in mixed case with its country: "Vienna (Austria), 26 June 2024 – ".
_DATELINE_CITY_COUNTRY = re.compile(
    rf"^\s*(?P<place>[{_UPPER}][\w'’.\-]*(?:[ /][{_UPPER}][\w'’.\-]*){{0,3}})\s*"
    r"\((?P<country>[^)]{2,40})\)\s*,\s*"
    rf"(?P<date>{_DATELINE_DATE})\s*(?:[-–—:]|(?=\s+[A-Z\"“‘']))"
)


@dataclass(frozen=True)
class Dateline:
    place: str
    published: date | None
    country: str | None = None  # when the dateline names it: "Vienna (Austria), …"


def parse_dateline(paragraph: str, default_year: int | None = None) -> Dateline | None:
    """Place and date of a dateline opening a release, as the sites write them.

    Handles "VIENNA, 17 July 2008 - ", "BELGRADE, 25 April 2015- ", "VALLETTA/VIENNA,
    12 July – " (no year: ``default_year`` or None), "NEW YORK CITY, 28 September 2015 A…"
    (no dash), "TIRANA / BRUSSELS / GENEVA – 6 October 2020.", em dashes and the UNIS
    "(UN Information Service) - " marker, and UNODC's "Vienna (Austria), 26 June 2024 – ".
    """
    if m := _DATELINE_CITY_COUNTRY.match(paragraph):
        published = parse_date(m["date"], default_year)
        return Dateline(place=m["place"], published=published, country=clean_text(m["country"]))
    m = _DATELINE.match(paragraph)
    if not m:
        return None
    place = re.sub(r"\s*/\s*", "/", m["place"]).strip(" .")
    if len(place) < 3 or not any(c.isalpha() for c in place):
        return None
    return Dateline(place=place, published=parse_date(m["date"], default_year))


# --- truncated documents -----------------------------------------------------------------


def is_truncated(html: str) -> bool:
    """Whether an HTML document stopped before its end (a dropped connection): it has
    neither </body> nor </html>. Whatever a server appends after them does not count."""
    lower = html.lower()
    return "</body" not in lower and "</html" not in lower


# --- the generic fallback (trafilatura) --------------------------------------------------

# Tuned on the fixture pages (docs/fallback.md): precision mode first; when it keeps much
# less than the default mode, it dropped part of the article, so the default body is used.
FALLBACK_PRIMARY = "precision"
FALLBACK_GUARD = "default"
FALLBACK_SETTINGS: dict[str, dict[str, bool]] = {
    "precision": {"favor_precision": True},
    "default": {},
    "recall": {"favor_recall": True},
}
FALLBACK_SHORT_RATIO = 0.8  # precision keeping fewer words than this share of the guard's
FALLBACK_MERGED_WORDS = 0.9  # ...or as many words in half the blocks: paragraphs run together
FALLBACK_MIN_CHARS = 120  # less than this is no plausible release body
FALLBACK_HEAD_BLOCKS = 3  # the heading, if among the first blocks, ends what precedes the body
FALLBACK_TAIL_SHARE = 0.5  # text after an end mark longer than this share of the body is kept
_END_MARK = re.compile(r"^(?:\*[\s*]*|#{3}|-+\s*ends?\s*-+|ends|-30-)$", re.I)
_TITLE_QUERIES = (
    "article h1",
    "main h1",
    "h1.entry-title",
    "h1.post-title",
    "[role=main] h1",
    ".entry-title",
    ".post-title",
)


def _trafilatura_paragraphs(url: str, html: str, setting: str) -> tuple[list[str], str | None]:
    """Paragraphs of the main text under one trafilatura setting, and its metadata title."""
    import trafilatura  # late: slow to import, and only the fallback needs it

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,  # with favor_precision, links make pruning over-aggressive (#821)
        deduplicate=False,
        **FALLBACK_SETTINGS[setting],
    )
    if doc is None or doc.body is None:
        return [], None
    paragraphs: list[str] = []
    for el in doc.body:
        if el.tag == "list":
            items = el.iterfind(".//item")
        elif el.tag == "table":
            items = el.iterfind(".//row")
        else:
            items = iter([el])
        for item in items:
            text = clean_text(" ".join(item.itertext()))
            if text:
                paragraphs.append(text)
    return paragraphs, doc.title


def _page_title(sel: Selector, meta_title: str | None) -> str | None:
    """The page heading first (site <title>s get truncated), then og:title, then trafilatura's.

    An h1 that agrees with og:title (or trafilatura's title) is the title in full; another h1
    may be the site's logo.
    """
    for query in _TITLE_QUERIES:
        if title := node_text(sel.css(query)):
            return title
    reference = first_text(sel, "meta[property='og:title']::attr(content)") or meta_title
    headings = [t for t in (node_text(h) for h in sel.css("h1")) if t]
    if reference:
        key = reference.lower()
        for heading in headings:
            if heading.lower().startswith(key[:40]) or key.startswith(heading.lower()):
                return heading
        return reference
    return headings[0] if headings else None


def _htmldate(url: str, html: str, extensive: bool) -> date | None:
    from htmldate import find_date

    found = find_date(
        html,
        url=url,
        original_date=True,  # publication date, not last-modified
        extensive_search=extensive,
        deferred_url_extractor=True,
    )
    return date.fromisoformat(found) if found else None


def _published(url: str, html: str, dateline: Dateline | None) -> date | None:
    """Date markup (htmldate), then the dateline, then the URL, then htmldate's text search."""
    return (
        _htmldate("", html, extensive=False)  # "" keeps htmldate from reading the URL yet
        or (dateline.published if dateline else None)
        or date_in_url(url)
        or _htmldate(url, html, extensive=True)
    )


def _flaw(primary: list[str], guard: list[str]) -> str | None:
    """Why the primary reading is worse than the guard's: "short" or "merged", else None.

    Seen with trafilatura 2.3 (docs/fallback.md): when precision prunes part of the article
    (a <header>, a "bottom" class, an inline border style) it either keeps a fragment or falls
    back to its baseline, which returns the text as one block with the paragraphs run together.
    """
    words = len(" ".join(primary).split())
    guard_words = len(" ".join(guard).split())
    if words < FALLBACK_SHORT_RATIO * guard_words:
        return "short"
    if len(primary) * 2 <= len(guard) and words >= FALLBACK_MERGED_WORDS * guard_words:
        return "merged"
    return None


def _release_part(paragraphs: list[str], title: str | None) -> list[str]:
    """The paragraphs after the heading (and its date line), before the end mark ("* * *").

    trafilatura keeps the heading (and a kicker such as "Press release" above it) as blocks;
    after an end mark press releases carry only contacts. A mark followed by much text is a
    section break, not the end, and is kept.
    """
    key = (title or "").lower()
    for i, paragraph in enumerate(paragraphs[:FALLBACK_HEAD_BLOCKS]):
        if key and paragraph.lower() == key:
            paragraphs = paragraphs[i + 1 :]
            break
    while paragraphs and len(paragraphs[0]) <= 40 and parse_date(paragraphs[0]):
        paragraphs = paragraphs[1:]  # a date line under the heading ("4 May 2023")
    for i, paragraph in enumerate(paragraphs):
        if _END_MARK.match(paragraph):
            before, after = sum(map(len, paragraphs[:i])), sum(map(len, paragraphs[i + 1 :]))
            if not before or after <= FALLBACK_TAIL_SHARE * before:  # nothing before: no body
                return paragraphs[:i]
    return paragraphs


def fallback_version(setting: str, note: str = "") -> str:
    """The parser_version recorded for a fallback body, e.g. "trafilatura-2.3.1/precision"."""
    from importlib.metadata import version

    label = f"trafilatura-{version('trafilatura')}/{setting}"
    return f"{label}({note})" if note else label


def extract_fallback(url: str, html: str) -> ReleaseFields | None:
    """A release read by trafilatura, for pages the site selectors miss; None without a body.

    Runs the precision setting and the default one; when precision keeps much less (it
    drops parts of some layouts) or runs the paragraphs together, the default body is used
    and parser_version says so ("trafilatura-2.3.1/default(precision-short)").
    Error pages served with status 200 (not found, blocked, maintenance) give None.
    """
    # late: both import this module
    from crawler.pagecheck import error_page_reason
    from crawler.sites.base import ReleaseFields

    primary, meta_title = _trafilatura_paragraphs(url, html, FALLBACK_PRIMARY)
    guard, guard_title = _trafilatura_paragraphs(url, html, FALLBACK_GUARD)
    setting, paragraphs, note = FALLBACK_PRIMARY, primary, ""
    if flaw := _flaw(primary, guard):
        setting, paragraphs, note = FALLBACK_GUARD, guard, f"{FALLBACK_PRIMARY}-{flaw}"
    title = _page_title(Selector(text=html), meta_title or guard_title)
    paragraphs = _release_part(paragraphs, title)
    body = "\n\n".join(paragraphs)
    if len(body) < FALLBACK_MIN_CHARS or error_page_reason(title, body):
        return None
    url_date = date_in_url(url)
    dateline = parse_dateline(paragraphs[0], url_date.year if url_date else None)
    return ReleaseFields(
        title=title or "",
        body=body,
        published=_published(url, html, dateline),
        place=dateline.place if dateline else None,
        method="fallback",
        parser_version=fallback_version(setting, note),
    )
