"""Reading the archive: list, show and history, shared by the CLI and later the web view."""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import ChangeEvent, CrawlRun, Release, ReleaseVersion, Source
from storage.textdiff import inline_diff
from storage.urls import canonical_url

RELEASE_STATUSES = ("active", "removed")


@dataclass(frozen=True)
class ReleaseRow:
    id: int
    source: str
    url: str
    title: str
    published: date | None
    status: str
    versions: int
    first_seen: datetime
    last_changed: datetime

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in data.items()}


def source_keys(session: Session) -> list[str]:
    return list(session.scalars(select(Source.key).order_by(Source.key)))


def list_releases(
    session: Session,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    status: str | None = None,
    limit: int | None = 50,
    words: str | None = None,
) -> list[ReleaseRow]:
    """Releases newest first (by published date, then first seen), filtered.

    ``words``: every word must stand in the current version's title or body, in any case
    (a substring match: "traffick" finds trafficking and traffickers).
    """
    other = aliased(ReleaseVersion)
    n_versions = (
        select(func.count(other.id))
        .where(other.release_id == Release.id)
        .correlate(Release)
        .scalar_subquery()
    )
    query = (
        select(
            Release.id,
            Source.key,
            Release.url,
            ReleaseVersion.title,
            ReleaseVersion.published,
            Release.status,
            n_versions,
            Release.first_seen,
            Release.last_changed,
        )  # fmt: skip
        .join(Source, Source.id == Release.source_id)
        .join(ReleaseVersion, ReleaseVersion.id == Release.current_version_id)
        .order_by(ReleaseVersion.published.desc().nulls_last(), Release.first_seen.desc())
    )
    if source:
        query = query.where(Source.key == source)
    if since:
        query = query.where(ReleaseVersion.published >= since)
    if until:
        query = query.where(ReleaseVersion.published <= until)
    if status:
        query = query.where(Release.status == status)
    for word in (words or "").split():
        query = query.where(
            or_(
                ReleaseVersion.title.icontains(word, autoescape=True),
                ReleaseVersion.body.icontains(word, autoescape=True),
            )
        )
    if limit:
        query = query.limit(limit)
    return [ReleaseRow(*row) for row in session.execute(query)]


def find_release(session: Session, ref: str) -> Release | None:
    """A release by its id or by any form of its URL."""
    if ref.isdigit():
        return session.get(Release, int(ref))
    return session.scalar(select(Release).where(Release.url == canonical_url(ref)))


def version_json(version: ReleaseVersion, with_body: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": version.number, "content_hash": version.content_hash, "title": version.title,
        "published": version.published, "place": version.place, "metadata": version.meta,
        "method": version.method, "parser_version": version.parser_version,
        "fetched_at": version.fetched_at, "etag": version.etag,
        "last_modified": version.last_modified,
    }  # fmt: skip
    if with_body:
        data["body"] = version.body
    return _jsonable(data)


def find_version(release: Release, number: int | None = None) -> ReleaseVersion:
    """Version ``number`` of a release (default: the current one); LookupError if none."""
    if number is None and release.current is not None:
        return release.current
    for version in release.versions:
        if version.number == number:
            return version
    have = ", ".join(str(v.number) for v in release.versions) or "none"
    raise LookupError(f"release {release.id} has no version {number} (versions: {have})")


def release_json(release: Release) -> dict[str, Any]:
    """A release with its current version and the list of all its versions."""
    data = _jsonable(
        {
            "id": release.id,
            "source": release.source.key,
            "url": release.url,
            "external_id": release.external_id,
            "status": release.status,
            "first_seen": release.first_seen,
            "last_seen": release.last_seen,
            "last_changed": release.last_changed,
        }  # fmt: skip
    )
    data["current"] = version_json(release.current) if release.current else None
    data["versions"] = [version_json(v, with_body=False) for v in release.versions]
    return data


def compare_versions(
    release: Release, old: int | None = None, new: int | None = None
) -> dict[str, Any]:
    """Version ``old`` against ``new`` (default: the one before the current, and the current).

    Raises LookupError naming what is missing: a second version, or a version number.
    """
    if len(release.versions) < 2:
        raise LookupError(f"release {release.id} has only one version: nothing to compare")
    b = find_version(release, new)
    a = find_version(release, b.number - 1 if old is None else old)
    fields = [f for f in ("title", "published", "place", "body") if getattr(a, f) != getattr(b, f)]
    return {
        "id": release.id, "url": release.url, "fields": fields,
        "from": version_json(a, with_body=False), "to": version_json(b, with_body=False),
        "body": [{"op": op, "text": text} for op, text in inline_diff(a.body, b.body)],
    }  # fmt: skip


def history(session: Session, release: Release) -> list[dict[str, Any]]:
    """Every event of a release, oldest first, with the version it points at."""
    rows = session.execute(
        select(ChangeEvent, ReleaseVersion.number)
        .outerjoin(ReleaseVersion, ReleaseVersion.id == ChangeEvent.version_id)
        .where(ChangeEvent.release_id == release.id)
        .order_by(ChangeEvent.at, ChangeEvent.id)
    )
    return [
        _jsonable(
            {
                "at": event.at,
                "kind": event.kind,
                "version": number,
                "run": event.run_id,
                "diff": event.diff,
            }  # fmt: skip
        )
        for event, number in rows
    ]


def raw_html(version: ReleaseVersion) -> bytes | None:
    """The page a version was read from, as it was downloaded (stored compressed)."""
    return zlib.decompress(version.raw_html) if version.raw_html else None


@dataclass(frozen=True)
class KnownRelease:
    """What a crawl needs to know of a release it has seen before."""

    url: str
    status: str
    missing_count: int
    last_seen: datetime
    last_changed: datetime
    etag: str | None
    last_modified: str | None


def known_releases(session: Session, source: str) -> dict[str, KnownRelease]:
    """Every release of ``source`` by canonical URL, with its current validators."""
    rows = session.execute(
        select(
            Release.url,
            Release.status,
            Release.missing_count,
            Release.last_seen,
            Release.last_changed,
            ReleaseVersion.etag,
            ReleaseVersion.last_modified,
        )  # fmt: skip
        .join(Source, Source.id == Release.source_id)
        .outerjoin(ReleaseVersion, ReleaseVersion.id == Release.current_version_id)
        .where(Source.key == source)
    )
    return {row.url: KnownRelease(*row) for row in rows}


def last_run(session: Session, source: str) -> CrawlRun | None:
    """The newest crawl run of a source, or None."""
    return session.scalar(
        select(CrawlRun)
        .join(Source)
        .where(Source.key == source)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
