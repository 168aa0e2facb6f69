"""How presswatch's tools read one page: the one place they call crawler.sites' reading.

``read_page`` reads a page as a crawl of its source would today (the site parser, the
fallback behind it); `inspect` and `reparse` use it, so a change to how crawls choose a
parser is made here once.
"""

from __future__ import annotations

from datetime import date
from importlib.metadata import version

from crawler.extract import as_text
from crawler.sites import read_with_eras, registry
from crawler.sites.base import ReleaseFields, Site


def decode_page(body: bytes) -> str:
    """An archived page's text: its byte order mark, then its declared charset, else UTF-8.

    The response headers are not kept, so the page's own evidence decides, as a crawl would.
    """
    return as_text(body)


def read_page(
    source: str | Site, url: str, html: bytes | str, fetched: date | None
) -> ReleaseFields:
    """The fields a crawl of ``source`` fetching ``url`` on ``fetched`` records today: the
    parser era of the fetch date first, the others newest first, the fallback behind them
    (a configured source: its selectors, the fallback for the rest).

    Raises KeyError for an unknown source key, crawler.sites.UnreadablePage for a page
    without a release.
    """
    return read_with_eras(source, url, html, fetched)[0]


def parsers_signature(source: str | None = None, known: dict[str, Site] | None = None) -> str:
    """Today's parsers of ``source`` (every source when None) and the fallback, as one string.

    ``known``: the sites by key (default: the built-in ones); a configured source's parser
    version names its definition, so editing its selectors changes the signature."""
    known = known or registry()
    sites = [known[source]] if source else list(known.values())
    eras = ",".join(f"{s.key}/{p.version}" for s in sites for p in s.parsers)
    return f"presswatch-{version('presswatch')};{eras};trafilatura-{version('trafilatura')}"
