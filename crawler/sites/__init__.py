"""The sites presswatch knows, and reading a release page with the fallback behind it."""

from __future__ import annotations

import importlib
from datetime import date
from functools import cache

from crawler.extract import extract_fallback
from crawler.pagecheck import html_error_reason
from crawler.sites.base import ReleaseFields, Site

SITE_MODULES = ("osce", "unis", "sco", "unodc")
MIN_BODY_CHARS = 120  # a site body shorter than this is implausible: let the fallback read it


class UnreadablePage(Exception):
    """Neither the site parser nor the fallback found a release in the page."""


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


def read_release(site: Site, url: str, html: str, day: date | None = None) -> ReleaseFields:
    """The fields of a release page: the site parser's, or the fallback's when it finds none.

    Raises UnreadablePage when neither finds a body, with the reason when the page is an
    error page served with status 200 (blocked, not found, maintenance).
    """
    parser = site.parser_for(day)
    fields = parser.parse_release(url, html)
    if fields is not None and len(fields.body) >= MIN_BODY_CHARS:
        fields.parser_version = fields.parser_version or f"{site.key}/{parser.version}"
        return fields
    fallback = extract_fallback(url, html)
    if fallback is None:
        reason = html_error_reason(html) or "no article body found"
        raise UnreadablePage(f"{reason} (site parser and fallback found no release)")
    if fields is not None:  # keep what the site parser did read: title, date, metadata
        fallback.title = fields.title or fallback.title
        fallback.published = fields.published or fallback.published
        fallback.place = fields.place or fallback.place
        fallback.external_id = fields.external_id or fallback.external_id
        fallback.metadata = {**fallback.metadata, **fields.metadata}
    return fallback
