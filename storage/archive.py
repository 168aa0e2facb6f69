"""Recording what a crawl saw: releases, their versions, change events and crawl runs.

``record()`` decides a release's outcome from its content hash (storage.fingerprint):
new, changed, unchanged, or restored (content equal to an older version). Versions are
written as explicit inserts, only when a hash is new to the release; every outcome but
unchanged writes a ChangeEvent. The functions take a Session and leave the transaction to
the caller; ``Archive`` wraps each call in a transaction of its own, so a failure in the
middle of one release leaves the archive as it was.
"""

from __future__ import annotations

import os
import re
import socket
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.fingerprint import content_hash
from storage.models import ChangeEvent, CrawlError, CrawlRun, Release, ReleaseVersion, Source
from storage.textdiff import version_diff
from storage.urls import canonical_url

T = TypeVar("T")
REMOVAL_STRIKES = 2  # consecutive 404/410 answers before a release counts as removed
SHRINK_RATIO = 0.5  # a body under this share of the current one's words is suspicious
REPLACED_RATIO = 0.5  # ...and so is one that replaced more than this share of them
HELD_TAG = "held:"  # marks a held content hash in a crawl error's reason
RAW_HTML_LEVEL = 1  # zlib level of kept pages: 2x faster than the default, ~8% larger


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    RESTORED = "restored"
    REMOVED = "removed"
    MISSING = "missing"  # answered 404/410, not yet often enough to count as removed
    SUSPICIOUS = "suspicious"  # a sweeping change (suspicion()): an error until seen twice


@dataclass
class ParsedRelease:
    """One release as a crawl read it: plain data, no crawler types."""

    source: str
    url: str
    title: str
    body: str
    published: date | None = None
    place: str | None = None
    external_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    method: str = "site"
    parser_version: str = ""
    fetched_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    raw_html: bytes | None = None


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    release_id: int
    version_id: int | None
    diff: dict[str, Any] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


# Statements built once: record() runs thousands of times per crawl, and prebuilt Core
# statements skip the per-call construction and ORM bookkeeping (see benchmarks/).
_R, _V, _E = Release.__table__, ReleaseVersion.__table__, ChangeEvent.__table__
_FIND_RELEASE = (
    select(
        _R.c.id,
        _R.c.status,
        _R.c.missing_count,
        _R.c.current_version_id,
        _V.c.content_hash,
        _V.c.etag,
        _V.c.last_modified,
    )  # fmt: skip
    .select_from(_R.outerjoin(_V, _V.c.id == _R.c.current_version_id))
    .where(_R.c.url == bindparam("url"))
)
_FIND_VERSION = (
    select(_V.c.id)
    .where(_V.c.release_id == bindparam("rid"), _V.c.content_hash == bindparam("digest"))
    .order_by(_V.c.number.desc())
    .limit(1)
)
_VERSION_CONTENT = select(_V.c.title, _V.c.published, _V.c.body).where(_V.c.id == bindparam("vid"))
_RELEASE_TITLES = (
    select(_V.c.title).where(_V.c.release_id == bindparam("rid")).order_by(_V.c.number)
)
_LAST_NUMBER = select(func.max(_V.c.number)).where(_V.c.release_id == bindparam("rid"))
_FIND_SOURCE = select(Source.__table__.c.id).where(Source.__table__.c.key == bindparam("key"))
_FIND_HELD = select(CrawlError.__table__.c.id).where(
    CrawlError.__table__.c.url == bindparam("url"),
    CrawlError.__table__.c.reason.like(bindparam("tag")),
)
_INSERT_RELEASE = insert(_R).returning(_R.c.id)
_INSERT_VERSION = insert(_V).returning(_V.c.id)
_INSERT_EVENT = insert(_E)
_UPDATE_RELEASE = update(_R).where(_R.c.id == bindparam("rid"))
_UPDATE_VERSION = update(_V).where(_V.c.id == bindparam("vid"))


class _Raw:
    """A prebuilt statement run on the DB-API cursor, its values bound as SQLAlchemy binds them.

    record()'s common cases (new, unchanged) spend most of their time in SQLAlchemy's
    execution machinery, not in the database: compiled once per dialect, with the column
    types' own bind processors, the statement writes exactly what ``conn.execute`` writes.
    """

    def __init__(self, statement: Any, keys: tuple[str, ...] = ()) -> None:
        self.statement, self.keys = statement, list(keys) or None
        self._compiled: dict[str, tuple[str, list[tuple[str, Any]], bool]] = {}

    def _compile(self, dialect: Any) -> tuple[str, list[tuple[str, Any]], bool]:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        binds = [(n, compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect))
                 for n in names]  # fmt: skip
        return compiled.string, binds, compiled.positional

    def run(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Execute with ``params``; the first row returned (a plain tuple), if any."""
        name = conn.dialect.name
        if name not in self._compiled:
            self._compiled[name] = self._compile(conn.dialect)
        sql, binds, positional = self._compiled[name]
        values = [(n, f(params[n]) if f else params[n]) for n, f in binds]
        dbapi_error = conn.dialect.loaded_dbapi.Error
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, [v for _, v in values] if positional else dict(values))
            return cursor.fetchone() if cursor.description else None
        except dbapi_error as exc:  # as SQLAlchemy raises it: callers catch SQLAlchemyError
            raise DBAPIError.instance(sql, values, exc, dbapi_error, dialect=conn.dialect) from exc
        finally:
            cursor.close()


_VERSION_KEYS = (
    "release_id", "number", "content_hash", "title", "published", "place", "body", "metadata",
    "method", "parser_version", "fetched_at", "etag", "last_modified", "raw_html",
)  # fmt: skip
_RAW_FIND_RELEASE = _Raw(_FIND_RELEASE)
_RAW_INSERT_RELEASE = _Raw(
    _INSERT_RELEASE,
    ("source_id", "url", "external_id", "status", "first_seen", "last_seen", "last_changed",
     "missing_count"),
)  # fmt: skip
_RAW_INSERT_VERSION = _Raw(_INSERT_VERSION, _VERSION_KEYS)
_RAW_EVENT = _Raw(_INSERT_EVENT, ("kind", "release_id", "version_id", "run_id", "at", "diff"))


@cache
def _raw_update(keys: tuple[str, ...]) -> _Raw:
    return _Raw(_UPDATE_RELEASE, keys)


def _update_release(conn: Connection, values: dict[str, Any]) -> None:
    """Update release ``values["rid"]`` with the other ``values``."""
    _raw_update(tuple(sorted(k for k in values if k != "rid"))).run(conn, values)


_SOURCE_IDS = "presswatch_source_ids"  # per DB-API connection (Connection.info): key -> id


def ensure_source(
    session: Session | Connection, key: str, name: str | None = None, base_url: str = ""
) -> int:
    """The id of source ``key``, creating it when it is new; a ``name`` given also replaces
    the stored name and base URL (a configured source renamed in presswatch.toml).

    Ids found (committed by someone) are remembered per connection, so record() asks once.
    """
    conn = _connection(session)
    known: dict[str, int] = conn.info.setdefault(_SOURCE_IDS, {})
    if key in known and name is None:
        return known[key]
    source_id = conn.execute(_FIND_SOURCE, {"key": key}).scalar()
    if source_id is not None:
        known[key] = source_id
        if name is not None:
            conn.execute(
                update(Source)
                .where(Source.id == source_id)
                .where((Source.name != name) | (Source.base_url != base_url))
                .values(name=name, base_url=base_url)
            )
    else:
        source_id = conn.execute(
            insert(Source).values(key=key, name=name or key, base_url=base_url).returning(Source.id)
        ).scalar_one()
    return source_id


def _event(
    conn: Connection, kind: Outcome, release_id: int, version_id: int | None,
    run_id: int | None, at: datetime, diff: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    _RAW_EVENT.run(
        conn,
        {"kind": kind.value, "release_id": release_id, "version_id": version_id,
         "run_id": run_id, "at": at, "diff": diff},
    )  # fmt: skip


def _insert_version(
    conn: Connection, release_id: int, number: int, digest: str, item: ParsedRelease, at: datetime
) -> int:
    params = {
        "release_id": release_id, "number": number, "content_hash": digest, "title": item.title,
        "published": item.published, "place": item.place, "body": item.body,
        "metadata": item.metadata, "method": item.method, "parser_version": item.parser_version,
        "fetched_at": item.fetched_at or at, "etag": item.etag,
        "last_modified": item.last_modified,
        "raw_html": zlib.compress(item.raw_html, RAW_HTML_LEVEL) if item.raw_html else None,
    }  # fmt: skip
    return _RAW_INSERT_VERSION.run(conn, params)[0]


def _connection(session: Session | Connection) -> Connection:
    return session if isinstance(session, Connection) else session.connection()


def _find(conn: Connection, url: str) -> tuple[str, Any]:
    """The canonical URL and the release row (None if unknown) of ``url``.

    Archived URLs are canonical, so a URL found as given needs no canonicalizing.
    """
    row = _RAW_FIND_RELEASE.run(conn, {"url": url})
    if row is None and (canonical := canonical_url(url)) != url:
        return canonical, _RAW_FIND_RELEASE.run(conn, {"url": canonical})
    return url, row


_WORD = re.compile(r"\w+")


def _title_words(title: str) -> set[str]:
    return {w for w in _WORD.findall(title.casefold()) if len(w) > 2 or w.isdigit()}


def suspicion(old_body: str, old_titles: list[str], title: str, body: str) -> str | None:
    """Why new content of a release looks like a broken or wrong page rather than an edit.

    A body shrunk under ``SHRINK_RATIO`` of the current one's words, most of the current
    body's words replaced (``REPLACED_RATIO``), or a title sharing no word with any title the
    release ever had: what a truncated page, a login wall or another page looks like.
    """
    old_words, new_words = old_body.split(), body.split()
    if len(new_words) < SHRINK_RATIO * len(old_words):
        return f"body shrank from {len(old_words)} to {len(new_words)} words"
    kept = sum((Counter(old_words) & Counter(new_words)).values())
    if old_words and 1 - kept / len(old_words) > REPLACED_RATIO:
        share = 1 - kept / len(old_words)
        return f"{share:.0%} of the body's {len(old_words)} words replaced"
    words = _title_words(title)
    if words and all(words.isdisjoint(_title_words(t)) for t in old_titles if t):
        return f"title replaced wholesale by {title!r}"
    return None


def _hold_if_suspicious(
    conn: Connection, url: str, current_id: int, release_id: int, digest: str,
    item: ParsedRelease, run_id: int, at: datetime,
) -> bool:  # fmt: skip
    """Hold suspicious new content (``suspicion``) the first time it is seen.

    A broken or wrong page looks like a sweeping edit; a real one is seen again on the next
    visit. The held hash is remembered in the run's error, so the second sighting is
    recorded as a change.
    """
    if conn.execute(_FIND_VERSION, {"rid": release_id, "digest": digest}).scalar() is not None:
        return False  # an older version's content: a restoration, not a breakage
    current = conn.execute(_VERSION_CONTENT, {"vid": current_id}).one()
    titles = [*conn.execute(_RELEASE_TITLES, {"rid": release_id}).scalars()]
    what = suspicion(current.body, titles, item.title, item.body)
    if what is None:
        return False
    tag = f"{HELD_TAG}{digest[:16]}"
    if conn.execute(_FIND_HELD, {"url": url, "tag": f"%{tag}%"}).first() is not None:
        return False  # seen before: a real edit
    reason = f"suspicious: {what}; held until seen again ({tag})"
    conn.execute(insert(CrawlError), {"run_id": run_id, "url": url, "reason": reason, "at": at})
    return True


def record(
    session: Session | Connection,
    item: ParsedRelease,
    run_id: int | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Record one parsed release and return its outcome."""
    at = now or _now()
    conn = _connection(session)
    url, row = _find(conn, item.url)
    digest = content_hash(item.title, item.published, item.body)
    if row is None:
        source_id = ensure_source(conn, item.source, base_url=_origin(url))
        release_id = _RAW_INSERT_RELEASE.run(
            conn,
            {"source_id": source_id, "url": url, "external_id": item.external_id,
             "status": "active", "first_seen": at, "last_seen": at, "last_changed": at,
             "missing_count": 0},
        )[0]  # fmt: skip
        version_id = _insert_version(conn, release_id, 1, digest, item, at)
        _update_release(conn, {"rid": release_id, "current_version_id": version_id})
        _event(conn, Outcome.NEW, release_id, version_id, run_id, at)
        return Recorded(Outcome.NEW, release_id, version_id)

    release_id, status, _, current_id, current_hash, etag, last_modified = row
    may_hold = digest != current_hash and run_id is not None
    if may_hold and _hold_if_suspicious(
        conn, url, current_id, release_id, digest, item, run_id, at
    ):
        return Recorded(Outcome.SUSPICIOUS, release_id, current_id)
    values: dict[str, Any] = {"rid": release_id, "last_seen": at, "missing_count": 0}
    outcome, version_id, diff = Outcome.UNCHANGED, current_id, None
    if status == "removed":
        _event(conn, Outcome.RESTORED, release_id, current_id, run_id, at)
        values["status"] = "active"
        outcome = Outcome.RESTORED
    if digest == current_hash:
        if (item.etag, item.last_modified) != (etag, last_modified) and (
            item.etag or item.last_modified
        ):  # fresh validators make the next 304 possible
            conn.execute(
                _UPDATE_VERSION,
                {"vid": current_id, "etag": item.etag, "last_modified": item.last_modified},
            )
    else:
        older = conn.execute(_FIND_VERSION, {"rid": release_id, "digest": digest}).scalar()
        if older is not None:
            outcome, version_id = Outcome.RESTORED, older
        else:
            previous = conn.execute(_VERSION_CONTENT, {"vid": current_id}).one()
            number = conn.execute(_LAST_NUMBER, {"rid": release_id}).scalar() or 0
            version_id = _insert_version(conn, release_id, number + 1, digest, item, at)
            diff = version_diff(tuple(previous), (item.title, item.published, item.body))
            outcome = Outcome.CHANGED
        values.update(current_version_id=version_id, last_changed=at)
        _event(conn, outcome, release_id, version_id, run_id, at, diff)
    if item.external_id:
        values["external_id"] = item.external_id
    _update_release(conn, values)
    return Recorded(outcome, release_id, version_id, diff)


def seen_not_modified(
    session: Session | Connection, url: str, run_id: int | None = None, now: datetime | None = None
) -> Recorded | None:
    """A release page answered 304: it was seen, nothing else. None if the URL is unknown."""
    at = now or _now()
    conn = _connection(session)
    _, row = _find(conn, url)
    if row is None:
        return None
    release_id, status, _, version_id, *_ = row
    outcome = Outcome.UNCHANGED
    if status == "removed":
        _event(conn, Outcome.RESTORED, release_id, version_id, run_id, at)
        outcome = Outcome.RESTORED
    conn.execute(
        _UPDATE_RELEASE,
        {"rid": release_id, "last_seen": at, "missing_count": 0, "status": "active"},
    )
    return Recorded(outcome, release_id, version_id)


def mark_missing(
    session: Session | Connection, url: str, run_id: int | None = None, now: datetime | None = None,
    strikes: int = REMOVAL_STRIKES,
) -> Recorded | None:  # fmt: skip
    """A release page answered 404/410: removed after ``strikes`` answers in a row.

    Returns None for a URL the archive does not know.
    """
    at = now or _now()
    conn = _connection(session)
    _, row = _find(conn, url)
    if row is None:
        return None
    release_id, status, missing, version_id, *_ = row
    if status == "removed":
        return Recorded(Outcome.UNCHANGED, release_id, version_id)
    values: dict[str, Any] = {"rid": release_id, "missing_count": missing + 1}
    outcome = Outcome.MISSING
    if missing + 1 >= strikes:
        values.update(status="removed", last_changed=at)
        _event(conn, Outcome.REMOVED, release_id, version_id, run_id, at)
        outcome = Outcome.REMOVED
    conn.execute(_UPDATE_RELEASE, values)
    return Recorded(outcome, release_id, version_id)


def mark_removed(
    session: Session | Connection, url: str, run_id: int | None = None, now: datetime | None = None
) -> Recorded | None:
    """Record at once that a release disappeared."""
    return mark_missing(session, url, run_id, now, strikes=1)


def start_run(
    session: Session | Connection, source: str, now: datetime | None = None,
    job: str | None = None,
) -> int:  # fmt: skip
    """Open a run, owned by this process (its pid and host tell a dead run from a live one);
    ``job``: the Scrapyd job it runs as."""
    source_id = ensure_source(session, source)
    return session.scalar(
        insert(CrawlRun)
        .values(
            source_id=source_id,
            started_at=now or _now(),
            status="running",
            counts={},
            coverage={},
            pid=os.getpid(),
            host=socket.gethostname(),
            job=job,
        )  # fmt: skip
        .returning(CrawlRun.id)
    )


def add_error(
    session: Session | Connection, run_id: int, url: str, reason: str, now: datetime | None = None
) -> None:
    session.execute(
        insert(CrawlError).values(run_id=run_id, url=url, reason=reason, at=now or _now())
    )


def finish_run(
    session: Session | Connection, run_id: int, counts: dict[str, int], status: str = "ok",
    coverage: dict[str, float] | None = None, health: str | None = None,
    now: datetime | None = None,
) -> None:  # fmt: skip
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(
            finished_at=now or _now(),
            counts=counts,
            status=status,
            coverage=coverage or {},
            health=health,
        )  # fmt: skip
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Archive:
    """The archive over a session factory: each call is one transaction of its own.

    The calls run on one plain connection of the factory's engine, kept open between them:
    record() needs no ORM session and no pool round trip per release, which more than
    doubles its throughput (benchmarks/record_throughput.py). Not for use by two threads.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.engine: Engine = sessions.kw["bind"]
        self._conn: Connection | None = None

    def _in_transaction(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
        with self._conn.begin():
            return fn(self._conn, *args, **kwargs)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def ensure_source(self, key: str, name: str | None = None, base_url: str = "") -> int:
        return self._in_transaction(ensure_source, key, name, base_url)

    def record(
        self, item: ParsedRelease, run_id: int | None = None, now: datetime | None = None
    ) -> Recorded:
        return self._in_transaction(record, item, run_id, now)

    def seen_not_modified(
        self, url: str, run_id: int | None = None, now: datetime | None = None
    ) -> Recorded | None:
        return self._in_transaction(seen_not_modified, url, run_id, now)

    def mark_missing(
        self, url: str, run_id: int | None = None, now: datetime | None = None
    ) -> Recorded | None:
        return self._in_transaction(mark_missing, url, run_id, now)

    def mark_removed(
        self, url: str, run_id: int | None = None, now: datetime | None = None
    ) -> Recorded | None:
        return self._in_transaction(mark_removed, url, run_id, now)

    def start_run(self, source: str, now: datetime | None = None, job: str | None = None) -> int:
        return self._in_transaction(start_run, source, now, job)

    def add_error(self, run_id: int, url: str, reason: str, now: datetime | None = None) -> None:
        self._in_transaction(add_error, run_id, url, reason, now)

    def finish_run(self, run_id: int, counts: dict[str, int], **kwargs: Any) -> None:
        self._in_transaction(finish_run, run_id, counts, **kwargs)
