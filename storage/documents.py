"""Feeds and sitemaps kept between runs, so a crawl can ask for them conditionally.

A configured source's crawl (crawler/spiders/site.py) sends the ETag and Last-Modified of
the copy it kept; a 304 means the document is unchanged, and the kept copy is read again,
so the run decides exactly as if it had downloaded it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ListingDocument, Source

LEVEL = 6  # zlib: feeds are small and read rarely


@dataclass(frozen=True)
class KeptDocument:
    url: str
    etag: str | None
    last_modified: str | None
    body: bytes


def kept_documents(session: Session, source: str) -> dict[str, KeptDocument]:
    """The documents kept for ``source``, by URL."""
    rows = session.scalars(select(ListingDocument).join(Source).where(Source.key == source))
    return {
        row.url: KeptDocument(row.url, row.etag, row.last_modified, zlib.decompress(row.body))
        for row in rows
    }


def keep_document(
    session: Session, source: str, url: str, etag: str | None, last_modified: str | None,
    body: bytes, at: datetime,
) -> None:  # fmt: skip
    """Keep (or replace) ``source``'s copy of the document at ``url``; the caller commits."""
    source_id = session.scalar(select(Source.id).where(Source.key == source))
    if source_id is None:
        return  # the run's pipeline registers the source; nothing to keep it under yet
    row = session.scalar(
        select(ListingDocument).where(
            ListingDocument.source_id == source_id, ListingDocument.url == url
        )
    )
    if row is None:
        row = ListingDocument(source_id=source_id, url=url)
        session.add(row)
    row.etag, row.last_modified, row.fetched_at = etag, last_modified, at
    row.body = zlib.compress(body, LEVEL)
