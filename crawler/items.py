"""What the spiders yield: a release read from its page, or what became of a page instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crawler.sites.base import ReleaseFields


@dataclass
class Release:
    """One release page, read."""

    source: str
    url: str
    fields: ReleaseFields
    fetched_at: datetime
    raw_html: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class PageGone:
    """A release page answered 404 or 410."""

    source: str
    url: str
    status: int


@dataclass
class PageNotModified:
    """A release page answered 304 to a conditional request."""

    source: str
    url: str


@dataclass
class PageError:
    """A page that could not be read: an error of the run, never a change."""

    source: str
    url: str
    reason: str
    page: Literal["listing", "release"] = "release"
