"""The sites presswatch knows, and reading a release page with the fallback behind it."""

from __future__ import annotations

import importlib
from datetime import date
from functools import cache

from crawler.extract import as_text, extract_fallback
from crawler.pagecheck import html_error_reason
from crawler.sites.base import ReleaseFields, Site, SiteParser, UnreadablePage

SITE_MODULES = ("osce", "unis", "sco", "unodc")
MIN_BODY_CHARS = 120  # a site body shorter than this is implausible: let the fallback read it


@cache
def registry() -> dict[str, Site]:
    sites = [importlib.import_module(f"crawler.sites.{name}").SITE for name in SITE_MODULES]
    return {site.key: site for site in sites}


def get_site(key: str) -> Site:
    try:
        return registry()[key]
    except KeyError:
        known = ", ".join(sorted(registry()))
        raise KeyError(f"unknown source {key!r} (known: {known})") from None


def eras(source: str | Site, day: date | None = None) -> list[SiteParser]:
    """The parsers to try on a page fetched on ``day``: that day's era first, then the other
    eras newest first (today's when ``day`` is None)."""
    site = source if isinstance(source, Site) else get_site(source)
    return [parser() for parser in site.eras(day)]


def plausible(fields: ReleaseFields) -> bool:
    """Whether a parser read a release: a title and a body of release length."""
    return bool(fields.title) and len(fields.body) >= MIN_BODY_CHARS


def _read_anything(fields: ReleaseFields) -> bool:
    return bool(fields.title or fields.published or fields.external_id or fields.metadata)


def read_with_eras(
    source: str | Site, url: str, html: str | bytes, fetched: date | None = None
) -> tuple[ReleaseFields, str | None]:
    """The fields of a release page, and the parser era that read them (its parser_version,
    e.g. "unis/1"; None when the fallback alone read the page).

    The era of the fetch date is tried first, then the others newest first; the first that
    reads a plausible release wins. When none does, the fallback reads the body and keeps
    what the fetch date's era read without it (title, date, identifiers, contacts); then
    method is "fallback" and parser_version names both ("unis/2+trafilatura-2.3.1/default").
    Bytes are decoded as a crawl decodes them. Raises UnreadablePage when no body is found,
    with the reason when the page is an error page served with status 200.
    """
    site = source if isinstance(source, Site) else get_site(source)
    text = as_text(html)
    if site.reader is not None:  # a configured source reads its pages itself
        fields = site.reader(url, text, fetched)
        return fields, fields.parser_version
    partial: ReleaseFields | None = None
    for parser in eras(site, fetched):
        fields = parser.parse_release(url, text)
        fields.parser_version = fields.parser_version or f"{site.key}/{parser.version}"
        if plausible(fields):
            return fields, fields.parser_version
        partial = partial or fields
    fallback = extract_fallback(url, text, today=fetched)
    if fallback is None:
        reason = html_error_reason(text) or "no article body found"
        raise UnreadablePage(f"{reason} (site parser and fallback found no release)")
    if partial is None or not _read_anything(partial):
        return fallback, None
    fallback.title = partial.title or fallback.title
    fallback.published = partial.published or fallback.published
    fallback.place = partial.place or fallback.place
    fallback.external_id = partial.external_id or fallback.external_id
    fallback.metadata = {**fallback.metadata, **partial.metadata}
    fallback.parser_version = f"{partial.parser_version}+{fallback.parser_version}"
    return fallback, partial.parser_version


def read_release(site: Site, url: str, html: str | bytes, day: date | None = None) -> ReleaseFields:
    """The fields of a release page fetched on ``day``: ``read_with_eras`` without the era."""
    return read_with_eras(site, url, html, day)[0]
