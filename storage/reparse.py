"""Re-reading archived pages with today's parsers (`presswatch reparse`).

Every release's current version keeps the page it was read from. When a parser improves, the
page is read again; where the reading differs from the version (its content hash, or a field
or metadata the hash does not cover), a new version is written with a "reparsed" change
event: presswatch's own correction, never an edit by the site, and never notified unless a
target asks for it. The new version keeps the page, fetch time and validators of the one it
re-reads, and its content hash is taken as record() takes it, so the next crawl of the same
page compares equal.

Storage knows no parser: the caller passes ``parse`` (the command wires crawler.sites in).
Pages are read in batches by release id, parsed outside any transaction, and written one
release per transaction (on PostgreSQL, one transaction per batch: each commit is a round
trip there). A cursor per scope (source, since) records the last release id done, so an
interrupted run goes on where it stopped; a run with other parsers starts over.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from storage.archive import ParsedRelease
from storage.fingerprint import content_hash
from storage.models import ChangeEvent, Release, ReleaseVersion, ReparseCursor, Source
from storage.textdiff import version_diff

REPARSED = "reparsed"  # the change event kind of a re-reading
FIELDS = ("title", "published", "place", "body", "external_id", "metadata")
DEFAULT_BATCH = 200


class Unreadable(Exception):
    """The parser found no release in an archived page; the message says why."""


@dataclass(frozen=True)
class ArchivedPage:
    """A release's current version's page, as the parser gets it."""

    release_id: int
    source: str
    url: str
    html: bytes
    fetched_at: datetime


@dataclass(frozen=True)
class Reread:
    """A release whose re-reading differs from its current version (``FIELDS`` values)."""

    release_id: int
    url: str
    old_number: int
    new_number: int | None  # None in a dry run, or when a crawl wrote a newer version meanwhile
    fields: list[str]
    old: dict[str, Any]
    new: dict[str, Any]
    parser_version: str


@dataclass
class ReparseReport:
    total: int  # releases with a kept page in scope, from where this run started
    resumed_after: int | None = None  # the release id an interrupted run had reached
    counts: Counter[str] = field(default_factory=Counter)  # read, reparsed, same, unreadable…
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


@dataclass(frozen=True)
class _Change:
    row: Any  # the batch row of the release and its current version
    item: ParsedRelease
    fields: list[str]
    old: dict[str, Any]
    new: dict[str, Any]


ParseFn = Callable[[ArchivedPage], ParsedRelease]

_R, _V, _E, _S = (m.__table__ for m in (Release, ReleaseVersion, ChangeEvent, Source))
_C = ReparseCursor.__table__
_BATCH = (
    select(
        _R.c.id,
        _R.c.url,
        _S.c.key,
        _R.c.external_id,
        _V.c.id.label("vid"),
        _V.c.number,
        _V.c.content_hash,
        _V.c.title,
        _V.c.published,
        _V.c.place,
        _V.c.body,
        _V.c.metadata,
        _V.c.fetched_at,
        _V.c.etag,
        _V.c.last_modified,
        _V.c.raw_html,
    )  # fmt: skip
    .join(_S, _S.c.id == _R.c.source_id)
    .join(_V, _V.c.id == _R.c.current_version_id)
    .where(_R.c.id > bindparam("after"), _V.c.raw_html.is_not(None))
    .order_by(_R.c.id)
)
_CURRENT = select(_R.c.current_version_id).where(_R.c.id == bindparam("rid"))
_LAST_NUMBER = select(func.max(_V.c.number)).where(_V.c.release_id == bindparam("rid"))
_INSERT_VERSION = insert(_V).returning(_V.c.id)


def _scoped(query: Any, source: str | None, since: date | None) -> Any:
    if source is not None:
        query = query.where(_S.c.key == source)
    if since is not None:
        query = query.where(_V.c.published >= since)
    return query


def _values(item: ParsedRelease | Any, external_id: str | None = None) -> dict[str, Any]:
    """The compared fields of a reading or a version row (metadata as JSON reads it back)."""
    metadata = getattr(item, "metadata", None) or {}
    return {
        "title": item.title, "published": item.published, "place": item.place,
        "body": item.body, "external_id": external_id,
        "metadata": json.loads(json.dumps(metadata, default=str)),
    }  # fmt: skip


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    # A reading without an external id keeps the release's: record() does the same.
    return [
        name for name in FIELDS
        if old[name] != new[name] and not (name == "external_id" and new[name] is None)
    ]  # fmt: skip


def _write(conn: Connection, row: Any, item: ParsedRelease, fields: list[str], at: datetime
           ) -> int | None:  # fmt: skip
    """Record ``item`` as a re-read version of ``row``'s release; None if the release moved on."""
    locked = _CURRENT.with_for_update() if conn.dialect.name == "postgresql" else _CURRENT
    if conn.execute(locked, {"rid": row.id}).scalar() != row.vid:
        return None  # a crawl recorded a newer version since the batch was read
    number = (conn.execute(_LAST_NUMBER, {"rid": row.id}).scalar() or 0) + 1
    version_id = conn.execute(
        _INSERT_VERSION,
        {"release_id": row.id, "number": number, "title": item.title,
         "content_hash": content_hash(item.title, item.published, item.body),
         "published": item.published, "place": item.place, "body": item.body,
         "metadata": item.metadata, "method": item.method, "parser_version": item.parser_version,
         "fetched_at": row.fetched_at, "etag": row.etag, "last_modified": row.last_modified,
         "raw_html": row.raw_html},
    ).scalar_one()  # fmt: skip
    values: dict[str, Any] = {"current_version_id": version_id}
    if item.external_id:
        values["external_id"] = item.external_id
    conn.execute(update(_R).where(_R.c.id == row.id).values(**values))
    diff = version_diff(
        (row.title, row.published, row.body), (item.title, item.published, item.body)
    )
    diff["fields"] = fields
    conn.execute(
        insert(_E),
        {"kind": REPARSED, "release_id": row.id, "version_id": version_id, "run_id": None,
         "at": at, "diff": diff},
    )  # fmt: skip
    return number


def _save_cursor(conn: Connection, scope: str, parsers: str, last_id: int, at: datetime) -> None:
    values = {"parsers": parsers, "last_release_id": last_id, "updated_at": at}
    if conn.execute(update(_C).where(_C.c.scope == scope).values(**values)).rowcount == 0:
        conn.execute(insert(_C).values(scope=scope, **values))


def _reading(parse: ParseFn, row: Any) -> ParsedRelease:
    page = ArchivedPage(row.id, row.key, row.url, zlib.decompress(row.raw_html), row.fetched_at)
    try:
        return parse(page)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser that crashes on one page: that page's error
        raise Unreadable(f"parser error: {type(exc).__name__}: {exc}") from exc


def reparse(
    engine: Engine, parse: ParseFn, *, source: str | None = None, since: date | None = None,
    parsers: str = "", dry_run: bool = False, batch: int = DEFAULT_BATCH, restart: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    on_reread: Callable[[Reread], None] | None = None, now: datetime | None = None,
) -> ReparseReport:  # fmt: skip
    """Re-read the current version of every release in scope with ``parse``.

    ``parsers`` names today's parsers: an interrupted run of the same scope resumes only when
    it is the same. A dry run writes nothing (not even the cursor). ``on_progress`` gets the
    releases read so far and the total; ``on_reread`` every release whose reading differs.
    """
    at = now or datetime.now(UTC)
    scope = f"{source or '*'}:{since.isoformat() if since else ''}"
    per_release = engine.dialect.name != "postgresql"
    query = _scoped(_BATCH, source, since)
    with engine.connect() as conn:
        with conn.begin():
            if restart and not dry_run:
                conn.execute(delete(_C).where(_C.c.scope == scope))
            cursor = conn.execute(select(_C).where(_C.c.scope == scope)).first()
            after = cursor.last_release_id if cursor and cursor.parsers == parsers else 0
            total = conn.execute(
                select(func.count()).select_from(query.subquery()), {"after": after}
            ).scalar_one()
        report = ReparseReport(total, after or None)
        query = query.limit(batch)
        while True:
            with conn.begin():
                rows = conn.execute(query, {"after": after}).all()
            if not rows:
                break
            changes: list[_Change] = []
            for row in rows:
                report.counts["read"] += 1
                try:
                    item = _reading(parse, row)
                except Unreadable as exc:
                    report.counts["unreadable"] += 1
                    report.unreadable.append((row.url, str(exc)))
                    continue
                old, new = _values(row, row.external_id), _values(item, item.external_id)
                if fields := _differences(old, new):
                    changes.append(_Change(row, item, fields, old, new))
                else:
                    report.counts["same"] += 1
            after = rows[-1].id
            _apply(conn, changes, report, dry_run, per_release, at, on_reread)
            if not dry_run:
                with conn.begin():
                    _save_cursor(conn, scope, parsers, after, at)
            if on_progress:
                on_progress(report.counts["read"], total)
        if not dry_run:
            with conn.begin():
                conn.execute(delete(_C).where(_C.c.scope == scope))
    return report


def _apply(
    conn: Connection, changes: list[_Change], report: ReparseReport, dry_run: bool,
    per_release: bool, at: datetime, on_reread: Callable[[Reread], None] | None,
) -> None:  # fmt: skip
    """Write (unless ``dry_run``) one batch's changed readings, and report each."""
    numbers: list[int | None] = []
    if dry_run:
        numbers = [None] * len(changes)
    elif per_release:
        for c in changes:
            with conn.begin():
                numbers.append(_write(conn, c.row, c.item, c.fields, at))
    elif changes:
        with conn.begin():
            numbers = [_write(conn, c.row, c.item, c.fields, at) for c in changes]
    for number, c in zip(numbers, changes, strict=True):
        if number is None and not dry_run:
            report.counts["moved on"] += 1
            continue
        report.counts[REPARSED] += 1
        if on_reread:
            on_reread(Reread(c.row.id, c.row.url, c.row.number, number, c.fields, c.old, c.new,
                             c.item.parser_version))  # fmt: skip
