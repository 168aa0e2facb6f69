"""Migration 0004: release URLs re-canonicalised, releases that were one merged (SQLite, PG).

The archive is built at revision 0002 with rows written the way the old canonical_url left
them (``a%2fb`` beside ``a%2Fb``, ``café`` beside ``caf%C3%A9``), then upgraded to head.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command

from storage.archive import Archive, Outcome, ParsedRelease
from storage.db import alembic_config, make_engine, open_archive
from storage.fingerprint import content_hash
from storage.models import ChangeEvent, CrawlError, Release, ReleaseVersion

T = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d) for d in range(6)]
LOWER, UPPER = "https://www.osce.org/press/a%2fb", "https://www.osce.org/press/a%2Fb"
CAFE, CAFE_QUOTED = "https://www.osce.org/café", "https://www.osce.org/caf%C3%A9"
PLAIN = "HTTPS://WWW.OSCE.ORG/press/plain/?utm_source=feed"

_tables = sa.MetaData()


def _t(name: str, *columns: str) -> sa.Table:
    return sa.Table(name, _tables, sa.Column("id", sa.Integer, primary_key=True),
                    *(sa.Column(c) for c in columns))  # fmt: skip


SOURCE = _t("source", "key", "name", "base_url")
RELEASE = _t("release", "source_id", "url", "status", "first_seen", "last_seen", "last_changed",
             "missing_count", "current_version_id")  # fmt: skip
VERSION = _t("release_version", "release_id", "number", "content_hash", "title", "body",
             "metadata", "method", "parser_version", "fetched_at")  # fmt: skip
EVENT = _t("change_event", "kind", "release_id", "version_id", "at")
RUN = _t("crawl_run", "source_id", "started_at", "status", "counts", "coverage")
ERROR = _t("crawl_error", "run_id", "url", "reason", "at")


def _insert(conn: sa.Connection, table: sa.Table, **values: Any) -> int:
    return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _release(conn: sa.Connection, source: int, url: str, titles: list[tuple[str, datetime]]) -> int:
    """A release with one version per (title, fetched) and its new/changed events."""
    first, last = titles[0][1], titles[-1][1]
    rid = _insert(conn, RELEASE, source_id=source, url=url, status="active", first_seen=first,
                  last_seen=last, last_changed=last, missing_count=0)  # fmt: skip
    vid = None
    for number, (title, at) in enumerate(titles, start=1):
        vid = _insert(conn, VERSION, release_id=rid, number=number, title=title, body=title,
                      content_hash=content_hash(title, None, title), metadata="{}",
                      method="site", parser_version="1", fetched_at=at)  # fmt: skip
        _insert(conn, EVENT, kind="new" if number == 1 else "changed", release_id=rid,
                version_id=vid, at=at)  # fmt: skip
    conn.execute(RELEASE.update().where(RELEASE.c.id == rid).values(current_version_id=vid))
    return rid


def _seed(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as conn:
        source = _insert(conn, SOURCE, key="osce", name="OSCE", base_url="https://www.osce.org")
        ids = {
            "lower": _release(conn, source, LOWER, [("One", T[0]), ("Two", T[2])]),
            "upper": _release(conn, source, UPPER, [("One", T[1]), ("Three", T[3])]),
            "cafe": _release(conn, source, CAFE, [("Café", T[0])]),
            "quoted": _release(conn, source, CAFE_QUOTED, [("Café", T[4])]),
            "plain": _release(conn, source, PLAIN, [("Plain", T[0])]),
        }
        run = _insert(conn, RUN, source_id=source, started_at=T[5], status="ok", counts="{}",
                      coverage="{}")  # fmt: skip
        _insert(conn, ERROR, run_id=run, url=UPPER, reason="HTTP 503", at=T[5])
    engine.dispose()
    return ids


def test_duplicates_are_merged_in_time_order(db_url: str) -> None:
    ids = _seed(db_url)
    engine, sessions = open_archive(db_url)  # upgrades to head
    try:
        with sessions() as s:
            releases = {r.url: r for r in s.scalars(sa.select(Release))}
            assert sorted(releases) == [
                "https://www.osce.org/caf%C3%A9",
                "https://www.osce.org/press/a%2Fb",
                "https://www.osce.org/press/plain",
            ]
            merged = releases["https://www.osce.org/press/a%2Fb"]
            assert merged.id == ids["lower"]  # the release seen first keeps its id
            assert (merged.first_seen, merged.last_seen) == (T[0], T[3])
            # One (t0), One again (t1, dropped: same content), Two (t2), Three (t3)
            assert [(v.number, v.title, v.fetched_at) for v in merged.versions] == [
                (1, "One", T[0]), (2, "Two", T[2]), (3, "Three", T[3]),
            ]  # fmt: skip
            assert merged.current.title == "Three"
            events = s.execute(
                sa.select(ChangeEvent.kind, ChangeEvent.release_id, ReleaseVersion.title)
                .join(ReleaseVersion, ReleaseVersion.id == ChangeEvent.version_id)
                .order_by(ChangeEvent.at, ChangeEvent.id)
            ).all()
            assert [(k, title) for k, rid, title in events if rid == merged.id] == [
                ("new", "One"), ("new", "One"), ("changed", "Two"), ("changed", "Three"),
            ]  # fmt: skip
            cafe = releases["https://www.osce.org/caf%C3%A9"]
            assert cafe.id == ids["cafe"] and [v.number for v in cafe.versions] == [1]
            assert s.scalar(sa.select(sa.func.count()).select_from(ReleaseVersion)) == 5
            assert s.scalars(sa.select(CrawlError.url)).all() == [merged.url]
        archive = Archive(sessions)
        three = ParsedRelease(source="osce", url=UPPER.lower(), title="Three", body="Three")
        assert archive.record(three).outcome is Outcome.UNCHANGED  # found under any spelling
    finally:
        engine.dispose()


def test_an_archive_without_duplicates_only_gets_canonical_urls(db_url: str) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as conn:
        source = _insert(conn, SOURCE, key="osce", name="OSCE", base_url="https://www.osce.org")
        rid = _release(conn, source, CAFE, [("Café", T[0]), ("Café!", T[1])])
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        row = conn.execute(sa.select(RELEASE.c.id, RELEASE.c.url)).one()
        numbers = conn.execute(sa.select(VERSION.c.number).order_by(VERSION.c.number)).scalars()
        assert tuple(row) == (rid, CAFE_QUOTED) and list(numbers) == [1, 2]
    engine.dispose()
