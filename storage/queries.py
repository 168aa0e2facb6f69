"""Reading the archive: list, show, history and diff, shared by the CLI and later the web view.

Every function returns plain data (datetimes stay datetimes: the caller picks the time zone
it prints them in, storage.times). The JSON shapes are documented in docs/json.md.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Select, bindparam, func, select, text
from sqlalchemy.orm import Session, aliased

from storage.models import ChangeEvent, CrawlRun, Release, ReleaseVersion, Source
from storage.search import CANDIDATES, Query, newest_ids
from storage.textdiff import inline_diff
from storage.times import http_date
from storage.urls import canonical_url

RELEASE_STATUSES = ("active", "removed")
COUNT_CAP = CANDIDATES  # a list counts its matches up to this many ("200+"), as search
MAX_ID = 2**31 - 1  # the largest id either database stores: larger ones are no release
# Every count a crawl run reports, shown as 0 when a run did not write it.
RUN_COUNTS = (
    "requests", "items", "new", "changed", "unchanged", "restored", "removed", "missing",
    "not_modified", "errors", "listing_errors", "page_errors", "write_errors", "skipped_robots",
)  # fmt: skip


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
        return asdict(self)


@dataclass(frozen=True)
class ReleasePage:
    """Some releases of a list, and how many match the filters: ``total`` counts up to
    ``COUNT_CAP``; ``exact`` is False past that ("200+")."""

    rows: list[ReleaseRow]
    total: int
    exact: bool = True

    @property
    def counted(self) -> str:
        return f"{self.total}{'' if self.exact else '+'}"


def source_keys(session: Session) -> list[str]:
    return list(session.scalars(select(Source.key).order_by(Source.key)))


_VERSIONS = aliased(ReleaseVersion)
_ROW = select(
    Release.id,
    Source.key,
    Release.url,
    ReleaseVersion.title,
    ReleaseVersion.published,
    Release.status,
    select(func.count(_VERSIONS.id))
    .where(_VERSIONS.release_id == Release.id)
    .correlate(Release)
    .scalar_subquery(),
    Release.first_seen,
    Release.last_changed,
).join(Source, Source.id == Release.source_id).join(
    ReleaseVersion, ReleaseVersion.id == Release.current_version_id
)  # fmt: skip


def list_releases(
    session: Session,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    status: str | None = None,
    limit: int | None = 50,
    words: Query | None = None,
) -> ReleasePage:
    """Releases newest first (by published date, then release id), filtered.

    ``words``: the current version matches this search (storage.search), unranked. The rows
    are read off an index in this order (migrations 0006, 0007), and counted up to
    ``COUNT_CAP``, so a page costs the same at any archive size.
    Raises search.QueryError when the engine refuses ``words``.
    """
    walk = None if limit is None else max(COUNT_CAP, limit) + 1
    if words is not None:
        ids = newest_ids(
            session, words, source=source, since=since, until=until, status=status, limit=walk
        )
    else:
        ids = _newest_ids(session, source, since, until, status, walk)
    rows = _rows(session, _ROW.where(Release.id.in_(ids[:limit])))
    if walk is None or len(ids) < walk:
        return ReleasePage(rows, len(ids))
    return ReleasePage(rows, walk - 1, exact=False)


def _newest_ids(
    session: Session, source: str | None, since: date | None, until: date | None,
    status: str | None, limit: int | None,
) -> list[int]:  # fmt: skip
    """The ids of up to ``limit`` releases, newest first, read off
    ix_release_version_published (SQLite's planner, without statistics, would sort them all)."""
    where, binds = ["TRUE"], []
    for condition, name, value, type_ in (
        ("s.key = :source", "source", source, None),
        ("v.published >= :since", "since", since, Date()),
        ("v.published <= :until", "until", until, Date()),
        ("r.status = :status", "status", status, None),
    ):
        if value:
            where.append(condition)
            binds.append(bindparam(name, value, type_=type_))
    hint = "INDEXED BY ix_release_version_published" if _dialect(session) == "sqlite" else ""
    sql = (
        f"SELECT r.id FROM release_version v {hint} "
        "JOIN release r ON r.current_version_id = v.id JOIN source s ON s.id = r.source_id "
        f"WHERE {' AND '.join(where)} ORDER BY v.published DESC NULLS LAST, v.release_id DESC"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return list(session.scalars(text(sql).bindparams(*binds)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _rows(session: Session, query: Select[Any]) -> list[ReleaseRow]:
    """The releases of ``query`` newest first (published date, then release id)."""
    query = query.order_by(
        ReleaseVersion.published.desc().nulls_last(), ReleaseVersion.release_id.desc()
    )
    return [ReleaseRow(*row) for row in session.execute(query)]


def find_release(session: Session, ref: str) -> Release | None:
    """A release by its id (ASCII digits only) or by any form of its URL.

    Raises LookupError for a reference that is neither an id nor a URL.
    """
    if ref.isascii() and ref.isdigit():
        number = int(ref)
        return session.get(Release, number) if number <= MAX_ID else None
    try:
        url = canonical_url(ref)
    except ValueError as exc:
        raise LookupError(f"{ref!r} is neither a release id nor a URL ({exc})") from None
    return session.scalar(select(Release).where(Release.url == url))


def version_json(version: ReleaseVersion, with_body: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": version.number, "content_hash": version.content_hash, "title": version.title,
        "published": version.published, "place": version.place, "metadata": version.meta,
        "method": version.method, "parser_version": version.parser_version,
        "fetched_at": version.fetched_at, "etag": version.etag,
        "last_modified": http_date(version.last_modified),
    }  # fmt: skip
    if with_body:
        data["body"] = version.body
    return data


def find_version(release: Release, number: int | None = None) -> ReleaseVersion:
    """Version ``number`` of a release (default: the current one); LookupError if none."""
    if number is None and release.current is not None:
        return release.current
    for version in release.versions:
        if version.number == number:
            return version
    have = ", ".join(str(v.number) for v in release.versions) or "none"
    raise LookupError(f"release {release.id} has no version {number} (versions: {have})")


def release_json(release: Release, shown: ReleaseVersion | None = None) -> dict[str, Any]:
    """A release with one version in full (default: the current) and the list of all."""
    current = release.current.number if release.current else None
    shown = shown or release.current
    return {
        "id": release.id, "source": release.source.key, "url": release.url,
        "external_id": release.external_id, "status": release.status,
        "first_seen": release.first_seen, "last_seen": release.last_seen,
        "last_changed": release.last_changed, "current_version": current,
        "version": version_json(shown) if shown else None,
        "versions": [
            {**version_json(v, with_body=False), "current": v.number == current}
            for v in release.versions
        ],
    }  # fmt: skip


def timeline(session: Session, release: Release) -> list[int]:
    """Version numbers in the order they became current (A→B→A: [1, 2, 1])."""
    numbers = session.scalars(
        select(ReleaseVersion.number)
        .join(ChangeEvent, ChangeEvent.version_id == ReleaseVersion.id)
        .where(ChangeEvent.release_id == release.id)
        .order_by(ChangeEvent.at, ChangeEvent.id)
    )
    order: list[int] = []
    for number in numbers:
        if not order or order[-1] != number:
            order.append(number)
    return order or [v.number for v in release.versions]


def previous_version(session: Session, release: Release, number: int) -> int | None:
    """The version that was current just before ``number`` last became current."""
    order = timeline(session, release)
    if number not in order:
        return None
    last = len(order) - 1 - order[::-1].index(number)
    return order[last - 1] if last else None


def compare_versions(
    session: Session, release: Release, old: int | None = None, new: int | None = None
) -> dict[str, Any]:
    """Version ``old`` against ``new`` (default: the current, and the one before it in time).

    Raises LookupError naming what is missing: a second version, or a version number.
    """
    if len(release.versions) < 2:
        raise LookupError(f"release {release.id} has only one version: nothing to compare")
    b = find_version(release, new)
    if old is None:
        old = previous_version(session, release, b.number)
        if old is None:
            raise LookupError(
                f"version {b.number} of release {release.id} has no version before it; give --from"
            )
    a = find_version(release, old)
    fields = [f for f in ("title", "published", "place", "body") if getattr(a, f) != getattr(b, f)]
    return {
        "id": release.id, "url": release.url, "fields": fields,
        "from": version_json(a, with_body=False), "to": version_json(b, with_body=False),
        "body": [{"op": op, "text": text} for op, text in inline_diff(a.body, b.body)],
    }  # fmt: skip


def history(session: Session, release: Release) -> list[dict[str, Any]]:
    """Every event of a release, oldest first, with the version it points at.

    ``current`` marks the event that made the current version current, the last time.
    """
    rows = session.execute(
        select(ChangeEvent, ReleaseVersion.number)
        .outerjoin(ReleaseVersion, ReleaseVersion.id == ChangeEvent.version_id)
        .where(ChangeEvent.release_id == release.id)
        .order_by(ChangeEvent.at, ChangeEvent.id)
    ).all()
    current = release.current.number if release.current else None
    numbers = [number for _, number in rows]
    marked = None
    if current in numbers:
        marked = len(numbers) - 1 - numbers[::-1].index(current)
        while marked and numbers[marked - 1] == current:  # "removed" repeats the version
            marked -= 1
    return [
        {
            "id": event.id,
            "at": event.at,
            "kind": event.kind,
            "version": number,
            "current": i == marked,
            "run": event.run_id,
            "diff": event.diff,
        }  # fmt: skip
        for i, (event, number) in enumerate(rows)
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
