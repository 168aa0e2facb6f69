"""Shared text tools for site parsers: block text with paragraphs, dates, datelines.

Everything here is pure and works on parsel selectors or strings. The generic fallback
reader (trafilatura) is at the end: ``extract_fallback``; error pages are told apart in
crawler.pagecheck.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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


_LINE_BREAK = "\x00"  # a line break while paragraphs are gathered


class _Paragraphs:
    """Gathers the text of an element tree into paragraphs: block elements end one, and so
    does a double line break when ``split_breaks``; a single line break is a space.

    ``block`` tells block tags, ``line_break`` is the tag of a line break, ``skip`` tells the
    elements to leave out, and ``whole`` gives the text of an element read as one paragraph
    (or None to walk into it).
    """

    def __init__(
        self,
        block: Callable[[str], bool],
        line_break: str,
        split_breaks: bool,
        skip: Callable[[etree._Element], bool] = lambda el: False,
        whole: Callable[[etree._Element], str | None] = lambda el: None,
    ) -> None:
        self.block, self.line_break, self.split_breaks = block, line_break, split_breaks
        self.skip, self.whole = skip, whole
        self.paragraphs: list[str] = []
        self.current: list[str] = []

    def flush(self) -> None:
        text = "".join(self.current)
        parts = re.split(rf"{_LINE_BREAK}\s*{_LINE_BREAK}", text) if self.split_breaks else [text]
        for part in parts:
            if cleaned := clean_text(part.replace(_LINE_BREAK, " ")):
                self.paragraphs.append(cleaned)
        self.current.clear()

    def walk(self, el: etree._Element) -> None:
        if not isinstance(el.tag, str) or self.skip(el):
            return
        if (line := self.whole(el)) is not None:
            self.flush()
            self.current.append(line)
            self.flush()
            return
        tag = el.tag.lower()
        block = self.block(tag)
        if block:
            self.flush()
        if tag == self.line_break:
            self.current.append(_LINE_BREAK)
        if el.text:
            self.current.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.current.append(child.tail)
        if block:
            self.flush()


def block_text(
    node: Selector | SelectorList | None, skip: tuple[str, ...] = (), split_breaks: bool = False
) -> str:
    """The text under ``node`` with block elements as paragraphs, one blank line apart.

    ``skip`` holds CSS selectors of descendants to leave out (share bars, contact blocks);
    ``split_breaks``: two line breaks in a row (``<br><br>``) end a paragraph too.
    """
    if node is None:
        return ""
    nodes = list(node) if isinstance(node, SelectorList) else [node]
    skipped: set[etree._Element] = set()
    for sel in nodes:
        for query in skip:
            skipped.update(s.root for s in sel.css(query))
    gather = _Paragraphs(
        BLOCK_TAGS.__contains__,
        "br",
        split_breaks=split_breaks,
        skip=lambda el: el in skipped or el.tag.lower() in SKIP_TAGS,
    )
    for sel in nodes:
        if isinstance(sel.root, etree._Element):
            gather.walk(sel.root)
            gather.flush()
    return "\n\n".join(gather.paragraphs)


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


# --- decoding ------------------------------------------------------------------------------


def as_text(html: str | bytes) -> str:
    """A page as text; bytes are decoded as a crawl decodes them (w3lib: the byte order
    mark, then ``<meta charset>``, else UTF-8)."""
    if isinstance(html, str):
        return html
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(None, html)[1]


# --- the generic fallback (trafilatura) --------------------------------------------------

# One trafilatura extraction per page, in its default (balanced) setting: precision mode
# truncated some pages while keeping most of their words (docs/fallback.md); the heading,
# kicker, date line and what follows an end mark are trimmed here instead.
FALLBACK_SETTING = "default"
FALLBACK_MIN_CHARS = 120  # less than this is no plausible release body
FALLBACK_TAIL_SHARE = 0.5  # text after an end mark longer than this share of the body is kept
FALLBACK_DATELINE_BLOCKS = 20  # without the heading among the blocks, a dateline this early
FALLBACK_LEAD_BLOCKS = 2  # prose blocks printed before the heading (a lead) that are kept
FALLBACK_MOVED_BLOCKS = 5  # a dateline this close above the heading: trafilatura moved it
LEAD_MIN_CHARS = 80
HEADING_MAX_CHARS = 200
_END_MARK = re.compile(r"^(?:\*[\s*]*|#{3}|-+\s*ends?\s*-+|ends|-30-)$", re.I)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*$")
_TITLE_QUERIES = (
    "article h1",
    "main h1",
    "h1.entry-title",
    "h1.post-title",
    "[role=main] h1",
    ".entry-title",
    ".post-title",
)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")  # " | Site name" after a <title>
# trafilatura's output elements that are blocks; others (hi, ref, lb, del) are inline.
_OUT_BLOCKS = frozenset(
    ["p", "head", "list", "item", "table", "row", "cell", "quote", "code", "div", "note"]
)


def _row_is_line(row: etree._Element) -> bool:
    """A table row whose cells hold only inline text: one paragraph (a data row, a menu)."""
    return not any(
        isinstance(child.tag, str) and child.tag in _OUT_BLOCKS
        for cell in row
        for child in cell.iter()
        if child is not cell
    )


def fallback_blocks(body: etree._Element) -> list[str]:
    """The paragraphs of trafilatura's output, every piece of text kept.

    Text kept as the tail of an element (loose text after a heading or paragraph) is a
    paragraph of its own; two line breaks in a row end a paragraph; table cells that hold
    paragraphs (nested-table layouts) are split, rows of inline cells are one paragraph.
    """

    def whole(el: etree._Element) -> str | None:
        if el.tag != "row" or not _row_is_line(el):
            return None
        return " ".join(clean_text(" ".join(cell.itertext())) for cell in el)

    gather = _Paragraphs(_OUT_BLOCKS.__contains__, "lb", split_breaks=True, whole=whole)
    gather.walk(body)
    gather.flush()
    return gather.paragraphs


def _trafilatura_blocks(url: str, tree: etree._Element) -> list[str]:
    """Paragraphs of the main text: one trafilatura extraction of the parsed page."""
    import trafilatura  # late: slow to import, and only the fallback needs it

    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,  # metadata is read from the page's own markup (pagemeta)
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    return fallback_blocks(doc.body) if doc is not None and doc.body is not None else []


def _page_title(sel: Selector, reference: str | None) -> str | None:
    """The page heading first (site <title>s get truncated), then og:title or the headline.

    An h1 that agrees with og:title (or the JSON-LD headline, or the <title>) is the title in
    full; another h1 may be the site's logo.
    """
    for query in _TITLE_QUERIES:
        if title := node_text(sel.css(query)):
            return title
    reference = first_text(sel, "meta[property='og:title']::attr(content)") or reference
    if not reference and (site_title := first_text(sel, "title")):
        reference = _TITLE_SUFFIX.sub("", site_title)
    headings = [t for t in (node_text(h) for h in sel.css("h1")) if t]
    if reference:
        key = reference.lower().rstrip("…. ")
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


def _published(url: str, html: str, marked: date | None, dateline: Dateline | None) -> date | None:
    """The page's structured metadata, other date markup (htmldate), the dateline, the URL,
    then htmldate's text search (last: it can pick up a date from the sidebar)."""
    return (
        marked
        or _htmldate("", html, extensive=False)  # "" keeps htmldate from reading the URL yet
        or (dateline.published if dateline else None)
        or date_in_url(url)
        or _htmldate(url, html, extensive=True)
    )


def _is_prose(paragraph: str) -> bool:
    return len(paragraph) >= LEAD_MIN_CHARS and bool(_SENTENCE_END.search(paragraph))


def _is_heading(paragraph: str) -> bool:
    return len(paragraph) <= HEADING_MAX_CHARS and not _SENTENCE_END.search(paragraph)


def _chars(paragraphs: list[str]) -> int:
    return sum(map(len, paragraphs))


def _after_date_line(paragraphs: list[str]) -> list[str]:
    """Without the short date line under a heading ("4 May 2023")."""
    while paragraphs and len(paragraphs[0]) <= 40 and parse_date(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return paragraphs


def _dateline_at(paragraphs: list[str]) -> int | None:
    """The index of the first paragraph opening with a dated dateline."""
    return next(
        (i for i, p in enumerate(paragraphs) if (d := parse_dateline(p)) and d.published), None
    )


def _lead(before: list[str]) -> list[str]:
    """The prose blocks right before the heading (a standfirst), at most two."""
    lead: list[str] = []
    for paragraph in reversed(before[-FALLBACK_LEAD_BLOCKS:]):
        if not _is_prose(paragraph):
            break
        lead.insert(0, paragraph)
    return lead


def _release_part(paragraphs: list[str], title: str | None) -> tuple[list[str], str | None]:
    """The release's paragraphs, and its title when the blocks show a better one.

    The body starts after the heading, keeping a lead printed above it (prose right before
    the heading) and dropping what else precedes it (kickers, menus) and a date line under
    it. trafilatura sometimes puts the heading below the opening text: a dateline shortly
    above the heading then starts the body, and the heading block goes. When the heading is
    not among the blocks (table layouts), a dated dateline starts the body, and a
    heading-like line right above it is the title. The body ends at an end mark ("* * *",
    "###") followed by less text than half the body (contacts, disclaimers); a mark
    followed by much text is a section break, and is kept.
    """
    key = (title or "").lower()
    at = next((i for i, p in enumerate(paragraphs) if key and p.lower() == key), None)
    if at is not None:
        before, after = paragraphs[:at], _after_date_line(paragraphs[at + 1 :])
        opening = max(0, at - FALLBACK_MOVED_BLOCKS)
        if (dated := _dateline_at(before[opening:])) is not None:
            paragraphs = before[opening + dated :] + after  # the heading moved below the opening
        elif _chars(before) > _chars(after):
            paragraphs = before + after  # the title quoted below the text ("read more")
        else:
            paragraphs = _lead(before) + after
    elif dated := _dateline_at(paragraphs[:FALLBACK_DATELINE_BLOCKS]):
        if _is_heading(paragraphs[dated - 1]):
            title = paragraphs[dated - 1]
        paragraphs = paragraphs[dated:]
    else:
        paragraphs = _after_date_line(paragraphs)
    for i, paragraph in enumerate(paragraphs):
        if _END_MARK.match(paragraph):
            before, after = _chars(paragraphs[:i]), _chars(paragraphs[i + 1 :])
            if not before or after <= FALLBACK_TAIL_SHARE * before:  # nothing before: no body
                return paragraphs[:i], title
    return paragraphs, title


def fallback_title(sel: Selector, today: date | None = None) -> str | None:
    """A page's title as the fallback reads it: the heading, og:title, the headline."""
    from crawler.pagemeta import page_meta  # late: it imports this module

    return _page_title(sel, page_meta(sel, today).headline)


def fallback_date(
    url: str, sel: Selector, today: date | None = None, first_paragraph: str = ""
) -> date | None:
    """A page's publication date as the fallback reads it (none after ``today``): its
    structured metadata, other date markup (htmldate), a dateline opening the body, the URL."""
    from crawler.pagemeta import page_meta

    url_date = date_in_url(url)
    year = url_date.year if url_date else None
    dateline = parse_dateline(first_paragraph, year) if first_paragraph else None
    return _published(url, sel.get(), page_meta(sel, today).published, dateline)


def fallback_version(setting: str = FALLBACK_SETTING, note: str = "") -> str:
    """The parser_version recorded for a fallback body, e.g. "trafilatura-2.3.1/default"."""
    from importlib.metadata import version

    label = f"trafilatura-{version('trafilatura')}/{setting}"
    return f"{label}({note})" if note else label


def extract_fallback(
    url: str, html: str | bytes, today: date | None = None
) -> ReleaseFields | None:
    """A release read by trafilatura, for pages the site selectors miss; None without a body.

    One trafilatura extraction of the page; the page's structured metadata (JSON-LD,
    article:published_time, <time datetime>, <dl> fact lists) gives the date, the headline
    and ``metadata``. Error pages served with status 200 (not found, blocked, maintenance)
    give None. ``today`` bounds the dates read (none is in the future).
    """
    # late: these import this module
    from crawler.pagecheck import error_page_reason
    from crawler.pagemeta import page_meta
    from crawler.sites.base import ReleaseFields

    text = as_text(html)
    sel = Selector(text=text)
    meta = page_meta(sel, today)
    title = _page_title(sel, meta.headline)
    for facts in meta.fact_lists:  # read already: kept out of the body
        facts.root.getparent().remove(facts.root)
    paragraphs, title = _release_part(_trafilatura_blocks(url, sel.root), title)
    body = "\n\n".join(paragraphs)
    if len(body) < FALLBACK_MIN_CHARS or error_page_reason(title, body):
        return None
    url_date = date_in_url(url)
    dateline = parse_dateline(paragraphs[0], url_date.year if url_date else None)
    return ReleaseFields(
        title=title or "",
        body=body,
        published=_published(url, text, meta.published, dateline),
        place=meta.facts.get("place") or (dateline.place if dateline else None),
        metadata=dict(meta.facts),
        method="fallback",
        parser_version=fallback_version(),
    )
