"""Exporting the archive: every field of every release (or version), streamed.

Rows are read through a server-side cursor (``yield_per``) in batches of ``BATCH``, so an
export of any size runs in constant memory. One row is a release with its current version,
or with ``versions`` one row per version (``current`` marks the current one). The raw page
is left out (``presswatch show ID --html`` gives it); everything else is there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Release, ReleaseVersion, Source
from storage.times import http_date, jsonable

BATCH = 500
RELEASE_FIELDS = (
    "id", "source", "url", "external_id", "status", "first_seen", "last_seen", "last_changed",
)  # fmt: skip
VERSION_FIELDS = (
    "version", "current", "content_hash", "title", "published", "place", "metadata", "method",
    "parser_version", "fetched_at", "etag", "last_modified", "body",
)  # fmt: skip
FIELDS = RELEASE_FIELDS + VERSION_FIELDS


def export_rows(
    session: Session, *, source: str | None = None, since: date | None = None,
    until: date | None = None, status: str | None = None, versions: bool = False,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Releases (``versions``: every version) in id order, filtered as ``list`` filters them.

    ``since``/``until`` filter on the current version's published date.
    """
    current = select(ReleaseVersion.published).where(
        ReleaseVersion.id == Release.current_version_id
    )
    query = (
        select(Release, Source.key, ReleaseVersion)
        .join(Source, Source.id == Release.source_id)
        .join(
            ReleaseVersion,
            (ReleaseVersion.release_id == Release.id)
            if versions
            else (ReleaseVersion.id == Release.current_version_id),
        )
        .order_by(Release.id, ReleaseVersion.number)
        .execution_options(yield_per=BATCH)
    )
    if source:
        query = query.where(Source.key == source)
    if status:
        query = query.where(Release.status == status)
    if since:
        query = query.where(current.scalar_subquery() >= since)
    if until:
        query = query.where(current.scalar_subquery() <= until)
    for release, key, version in session.execute(query):
        yield {
            "id": release.id, "source": key, "url": release.url,
            "external_id": release.external_id, "status": release.status,
            "first_seen": release.first_seen, "last_seen": release.last_seen,
            "last_changed": release.last_changed, "version": version.number,
            "current": version.id == release.current_version_id,
            "content_hash": version.content_hash, "title": version.title,
            "published": version.published, "place": version.place, "metadata": version.meta,
            "method": version.method, "parser_version": version.parser_version,
            "fetched_at": version.fetched_at, "etag": version.etag,
            "last_modified": http_date(version.last_modified), "body": version.body,
        }  # fmt: skip


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], local: bool = False) -> int:
    """One JSON object per line (times ISO 8601, as docs/json.md); returns the row count."""
    count = 0
    for row in rows:
        out.write(json.dumps(jsonable(row, local), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str], local: bool = False) -> int:
    """A header and one row per record, quoted by the csv module (bodies keep their newlines).

    ``metadata`` is a JSON object, ``current`` true/false, a missing value an empty field.
    """
    writer = csv.DictWriter(out, FIELDS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        count += 1
        data = jsonable(row, local)
        data["metadata"] = json.dumps(data["metadata"], ensure_ascii=False, sort_keys=True)
        data["current"] = "true" if data["current"] else "false"
        writer.writerow({k: "" if v is None else v for k, v in data.items()})
    return count
