"""The archive on SQLite and PostgreSQL: outcomes, versions, events, runs, failures."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

import storage.archive as archive_module
from storage.archive import Archive, Outcome, ParsedRelease
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, Release, ReleaseVersion

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
A = ParsedRelease(
    source="osce",
    url="https://www.osce.org/secretariat/107413?utm_source=feed",
    title="OSCE experts meet on drug trafficking",
    body="VIENNA, 17 July 2008 - Experts met.\n\nThey agreed on co-operation.",
    published=date(2008, 7, 17),
    place="VIENNA",
    metadata={"source": "OSCE Secretariat"},
    etag='"a1"',
    raw_html=b"<html><body><p>Experts met.</p></body></html>",
)
B = replace(A, body=A.body.replace("agreed on", "agreed on closer"), etag='"b1"')


def _state(archive: Archive) -> tuple[Release, list[ReleaseVersion], list[ChangeEvent]]:
    with archive.sessions() as s:
        release = s.scalars(select(Release)).one()
        versions = list(s.scalars(select(ReleaseVersion).order_by(ReleaseVersion.number)))
        events = list(s.scalars(select(ChangeEvent).order_by(ChangeEvent.id)))
        return release, versions, events


def test_release_lifecycle(archive: Archive) -> None:
    t = [T0 + timedelta(hours=h) for h in range(7)]

    assert archive.record(A, now=t[0]).outcome is Outcome.NEW
    release, versions, events = _state(archive)
    assert release.url == "https://www.osce.org/secretariat/107413"  # tracking parameter gone
    assert (release.first_seen, release.last_seen, release.last_changed) == (t[0], t[0], t[0])
    assert [v.number for v in versions] == [1] and versions[0].meta == {
        "source": "OSCE Secretariat"
    }
    assert [e.kind for e in events] == ["new"]

    assert archive.record(A, now=t[1]).outcome is Outcome.UNCHANGED
    release, versions, events = _state(archive)
    assert (release.last_seen, release.last_changed) == (t[1], t[0])
    assert len(versions) == 1 and len(events) == 1

    changed = archive.record(B, now=t[2])
    assert changed.outcome is Outcome.CHANGED
    assert changed.diff["words_added"] == 1 and changed.diff["added"] == ["closer"]
    release, versions, events = _state(archive)
    assert [v.number for v in versions] == [1, 2]
    assert release.current_version_id == versions[1].id and release.last_changed == t[2]
    assert [e.kind for e in events] == ["new", "changed"] and events[1].diff["fields"] == ["body"]

    restored = archive.record(A, now=t[3])  # A -> B -> A: a flip-flop, not news
    assert restored.outcome is Outcome.RESTORED
    release, versions, events = _state(archive)
    assert len(versions) == 2 and release.current_version_id == versions[0].id
    assert events[-1].kind == "restored" and events[-1].version_id == versions[0].id

    assert archive.mark_removed(A.url, now=t[4]).outcome is Outcome.REMOVED
    release, _, events = _state(archive)
    assert release.status == "removed" and events[-1].kind == "removed"
    assert archive.mark_removed(A.url, now=t[5]).outcome is Outcome.UNCHANGED  # no second event

    assert archive.record(A, now=t[6]).outcome is Outcome.RESTORED
    release, versions, events = _state(archive)
    assert release.status == "active" and release.last_seen == t[6] and len(versions) == 2
    assert [e.kind for e in events] == ["new", "changed", "restored", "removed", "restored"]


def test_title_or_date_correction_is_a_change(archive: Archive) -> None:
    archive.record(A, now=T0)
    assert archive.record(replace(A, title=A.title + "s"), now=T0).outcome is Outcome.CHANGED
    moved = archive.record(replace(A, title=A.title + "s", published=date(2008, 7, 18)), now=T0)
    assert moved.outcome is Outcome.CHANGED and moved.diff["fields"] == ["published"]


def test_removal_needs_two_strikes_and_a_blip_is_forgotten(archive: Archive) -> None:
    archive.record(A, now=T0)
    assert archive.mark_missing(A.url, now=T0).outcome is Outcome.MISSING
    archive.record(A, now=T0)  # it answered again: the count starts over
    assert archive.mark_missing(A.url, now=T0).outcome is Outcome.MISSING
    assert archive.mark_missing(A.url, now=T0).outcome is Outcome.REMOVED
    assert archive.mark_missing("https://www.osce.org/unknown/1") is None


def test_not_modified_updates_last_seen_only(archive: Archive) -> None:
    archive.record(A, now=T0)
    later = T0 + timedelta(days=1)
    assert archive.seen_not_modified(A.url, now=later).outcome is Outcome.UNCHANGED
    release, versions, events = _state(archive)
    assert release.last_seen == later and len(versions) == 1 and len(events) == 1


def test_unchanged_content_refreshes_validators(archive: Archive) -> None:
    archive.record(A, now=T0)
    archive.record(replace(A, etag='"a2"', last_modified="Mon, 02 Nov 2026 10:00:00 GMT"), now=T0)
    _, versions, _ = _state(archive)
    assert (versions[0].etag, versions[0].last_modified) == (
        '"a2"',
        "Mon, 02 Nov 2026 10:00:00 GMT",
    )


def test_failure_inside_record_leaves_archive_as_it_was(archive: Archive, monkeypatch) -> None:
    archive.record(A, now=T0)

    def broken_event(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(archive_module, "_event", broken_event)
    with pytest.raises(RuntimeError):
        archive.record(B, now=T0 + timedelta(hours=1))
    with pytest.raises(RuntimeError):
        archive.record(replace(A, url="https://www.osce.org/node/2"), now=T0)
    release, versions, events = _state(archive)
    assert len(versions) == 1 and release.current_version_id == versions[0].id
    assert release.last_seen == T0 and [e.kind for e in events] == ["new"]


def test_crawl_run_counts_and_errors(archive: Archive) -> None:
    run = archive.start_run("osce", now=T0)
    archive.record(A, run_id=run, now=T0)
    archive.add_error(run, "https://www.osce.org/broken", "no article body found", now=T0)
    archive.finish_run(run, {"new": 1, "errors": 1}, status="unhealthy", health="body 50% < 90%")
    with archive.sessions() as s:
        crawl = s.get(CrawlRun, run)
        assert crawl.counts == {"new": 1, "errors": 1} and crawl.status == "unhealthy"
        assert [(e.url, e.reason) for e in crawl.errors] == [
            ("https://www.osce.org/broken", "no article body found")
        ]
        assert s.scalar(select(ChangeEvent.run_id)) == run


def _record_many(url: str, worker: int, n: int) -> None:
    _, sessions = open_archive(url)
    archive = Archive(sessions)
    for i in range(n):
        archive.record(
            replace(A, url=f"https://www.osce.org/w{worker}/{i}", title=f"R {worker} {i}")
        )
        archive.record(replace(A, url=f"https://www.osce.org/shared/{i}", title=f"S {i}"))


def test_two_processes_write_one_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_archive(url)  # migrate once, as the daemon does before it starts crawls
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_record_many, args=(url, w, 150)) for w in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]
    _, sessions = open_archive(url)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Release)) == 2 * 150 + 150
        kinds = dict(
            s.execute(select(ChangeEvent.kind, func.count()).group_by(ChangeEvent.kind)).all()
        )
        assert kinds == {"new": 450}


def test_a_body_that_shrinks_sharply_is_held_until_seen_twice(archive: Archive) -> None:
    long = replace(A, body=" ".join(f"word{i}" for i in range(200)))
    short = replace(A, body=" ".join(f"word{i}" for i in range(40)))
    archive.record(long, now=T0)
    run1 = archive.start_run("osce", now=T0)
    assert archive.record(short, run_id=run1, now=T0).outcome is Outcome.SUSPICIOUS
    release, versions, events = _state(archive)
    assert len(versions) == 1 and len(events) == 1 and release.last_seen == T0
    with archive.sessions() as s:
        assert (
            "suspicious: body shrank from 200 to 40 words" in s.get(CrawlRun, run1).errors[0].reason
        )
    run2 = archive.start_run("osce", now=T0)
    assert archive.record(short, run_id=run2, now=T0).outcome is Outcome.CHANGED  # seen twice
    other = replace(short, url="https://www.osce.org/node/9")
    archive.record(replace(long, url=other.url), now=T0)
    run3 = archive.start_run("osce", now=T0)
    assert archive.record(other, run_id=run3, now=T0).outcome is Outcome.SUSPICIOUS  # per URL


def test_a_small_edit_is_not_suspicious(archive: Archive) -> None:
    archive.record(A, now=T0)
    run = archive.start_run("osce", now=T0)
    assert archive.record(B, run_id=run, now=T0).outcome is Outcome.CHANGED


LONG_BODY = " ".join(f"word{i}" for i in range(200))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (  # a listing, a login wall or another release at this URL: same length, other words
            {"body": " ".join(f"other{i}" for i in range(190)) + " " + LONG_BODY[:60]},
            "of the body's 200 words replaced",
        ),
        ({"title": "Sign in to your account"}, "title replaced wholesale"),
    ],
    ids=["words-replaced", "title-replaced"],
)
def test_a_sweeping_change_is_held_until_seen_twice(
    archive: Archive, change: dict[str, str], reason: str
) -> None:
    original = replace(A, body=LONG_BODY)
    swept = replace(original, **change)
    archive.record(original, now=T0)
    run1 = archive.start_run("osce", now=T0)
    assert archive.record(swept, run_id=run1, now=T0).outcome is Outcome.SUSPICIOUS
    _, versions, _ = _state(archive)
    assert len(versions) == 1
    with archive.sessions() as s:
        assert reason in s.get(CrawlRun, run1).errors[0].reason
    run2 = archive.start_run("osce", now=T0)
    assert archive.record(original, run_id=run2, now=T0).outcome is Outcome.UNCHANGED
    run3 = archive.start_run("osce", now=T0)
    assert archive.record(swept, run_id=run3, now=T0).outcome is Outcome.CHANGED  # seen twice


def test_title_corrections_and_returns_to_an_old_title_are_not_held(archive: Archive) -> None:
    archive.record(A, now=T0)
    steps = [
        ("OSCE experts meet on drugs trafficking in Vienna", Outcome.CHANGED),  # a correction
        ("Vienna talks on a joint plan", Outcome.CHANGED),  # shares "vienna" with the last
        ("Drug trafficking experts meet", Outcome.CHANGED),  # none with the last, some before
    ]
    for title, outcome in steps:
        run = archive.start_run("osce", now=T0)
        assert archive.record(replace(A, title=title), run_id=run, now=T0).outcome is outcome
    run = archive.start_run("osce", now=T0)
    assert archive.record(A, run_id=run, now=T0).outcome is Outcome.RESTORED


def test_the_fast_path_stores_what_sqlalchemy_stores(archive: Archive) -> None:
    """record() binds its common statements itself: the stored values must be SQLAlchemy's."""
    from sqlalchemy import insert

    item = replace(A, metadata={"source": "OSCE Secretariat", "topics": ["Policing", "Réforme"]},
                   fetched_at=T0, last_modified="Sat, 01 Nov 2026 12:00:00 GMT")  # fmt: skip
    recorded = archive.record(item, now=T0)
    columns = "number, content_hash, title, published, place, body, metadata, method, " \
              "parser_version, fetched_at, etag, last_modified, raw_html"  # fmt: skip
    with archive.engine.begin() as conn:
        stored = conn.exec_driver_sql(f"SELECT {columns} FROM release_version").one()
        source_id = conn.scalar(select(Release.source_id))
        rid = conn.execute(
            insert(Release)
            .values(
                source_id=source_id,
                url="https://x.org/1",
                status="active",
                first_seen=T0,
                last_seen=T0,
                last_changed=T0,
                missing_count=0,
            )
            .returning(Release.id)  # fmt: skip
        ).scalar_one()
        conn.execute(
            insert(ReleaseVersion).values(
                release_id=rid,
                number=1,
                content_hash=stored.content_hash,
                title=item.title,
                published=item.published,
                place=item.place,
                body=item.body,
                meta=item.metadata,
                method=item.method,
                parser_version=item.parser_version,
                fetched_at=T0,
                etag=item.etag,
                last_modified=item.last_modified,
                raw_html=stored.raw_html,
            )  # fmt: skip
        )
        by_sqlalchemy = conn.exec_driver_sql(
            f"SELECT {columns} FROM release_version WHERE release_id = {rid}"
        ).one()
        event_at = conn.exec_driver_sql("SELECT at, diff FROM change_event").one()
    assert tuple(stored) == tuple(by_sqlalchemy)
    assert recorded.outcome is Outcome.NEW and event_at[1] in (None, "null")
    _, versions, events = _state_all(archive)
    assert versions[0].meta == item.metadata and versions[0].fetched_at == T0
    assert events[0].at == T0 and events[0].diff is None


def _state_all(archive: Archive) -> tuple[None, list[ReleaseVersion], list[ChangeEvent]]:
    with archive.sessions() as s:
        versions = list(s.scalars(select(ReleaseVersion).order_by(ReleaseVersion.id)))
        return None, versions, list(s.scalars(select(ChangeEvent).order_by(ChangeEvent.id)))


def test_a_failed_write_of_the_fast_path_is_an_sqlalchemy_error_and_leaves_nothing(
    archive: Archive,
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    archive.record(A, now=T0)
    with archive.engine.begin() as conn:
        conn.execute(text("ALTER TABLE change_event RENAME TO change_event_gone"))
    with pytest.raises(DBAPIError, match="change_event"):
        archive.record(replace(A, url="https://www.osce.org/other/1"), now=T0)
    with archive.engine.begin() as conn:
        conn.execute(text("ALTER TABLE change_event_gone RENAME TO change_event"))
    assert archive.record(A, now=T0).outcome is Outcome.UNCHANGED  # the connection still works
    with archive.sessions() as s:
        assert s.scalar(select(func.count(Release.id))) == 1  # the failed release rolled back
