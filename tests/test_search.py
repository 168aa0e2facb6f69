"""Search on a known archive, on SQLite and PostgreSQL: the same ids for every kind of query."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from presswatch.cli import main
from storage import queries
from storage.archive import Archive, ParsedRelease
from storage.db import make_engine, open_archive
from storage.export import export_rows, write_csv, write_jsonl
from storage.search import QueryError, parse_query, search

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DOCS = [  # source, title, published, body
    ("osce", "Police experts meet", date(2008, 7, 17), "Police experts met in Vienna on trafficking."),
    ("osce", "Border security talks", date(2010, 1, 5), "Peace talks on border security. Peace."),
    ("unis", "Drug report launched", date(2015, 6, 26), "The world drug report on opium and heroin."),
    ("unis", "Opium survey", date(2016, 3, 1), "Opium cultivation in Afghanistan rose; traffickers adapt."),
    ("unodc", "Human trafficking day", None, "Trafficking in persons: a day of awareness, e-mail us."),
    ("unodc", "<script>alert(1)</script> warns", date(2020, 2, 2),
     "<script>alert('x')</script> warns of war & <b>peace</b> talks."),
]  # fmt: skip
QUERIES = {  # query -> the titles' indexes in DOCS, in date order (newest first)
    "opium": [3, 2],
    "OPIUM heroin": [2],
    '"peace talks"': [1],  # not "<b>peace</b> talks": "b" stands between
    '"opium peace"': [],
    '"drug rep*"': [2],  # a phrase ending in a prefix
    '"world drug report" heroin': [2],
    '"opium survey" OR "peace talks"': [3, 1],  # phrases under OR, NOT
    'opium NOT "drug report"': [3],
    '"launched the"': [2],  # title, then body
    '"peace talks" NOT border': [],
    '"peace talks" NOT opium': [1],
    "traffick*": [3, 0, 4],
    "trafficking": [0, 4],
    "war": [5],  # a word, never a substring ("warns")
    "opium OR border": [3, 2, 1],
    "opium NOT heroin": [3],
    "(police OR border) AND (vienna OR peace)": [1, 0],
    "peace NOT (war OR border)": [],
    "e-mail": [4],
    "script": [5],
}


@pytest.fixture
def known(db_url: str) -> str:
    _, sessions = open_archive(db_url)
    archive = Archive(sessions)
    for i, (source, title, published, body) in enumerate(DOCS):
        item = ParsedRelease(source, f"https://{source}.example/r/{i}", title, body, published)
        archive.record(item, now=T0.replace(minute=i))
    # An edit: only the current version is searched.
    archive.record(ParsedRelease("osce", "https://osce.example/r/0", DOCS[0][1],
                                 DOCS[0][3] + " Obsolete wording.", DOCS[0][2]), now=T0.replace(hour=10))  # fmt: skip
    archive.record(ParsedRelease("osce", "https://osce.example/r/0", DOCS[0][1], DOCS[0][3],
                                 DOCS[0][2]), now=T0.replace(hour=11))  # fmt: skip
    archive.close()
    return db_url


def _titles(db_url: str, query: str, **filters: object) -> list[str]:
    _, sessions = open_archive(db_url)
    with sessions() as session:
        page = search(session, parse_query(query), order="date", limit=100, **filters)
    assert page.total == len(page.hits) and page.exact
    return [hit.title for hit in page.hits]


def test_every_kind_of_query_finds_the_same_releases_on_both_engines(known: str) -> None:
    found = {query: _titles(known, query) for query in QUERIES}
    assert found == {query: [DOCS[i][1] for i in QUERIES[query]] for query in QUERIES}


def test_only_the_current_version_is_searched(known: str) -> None:
    assert _titles(known, "obsolete") == []


def test_filters(known: str) -> None:
    assert _titles(known, "opium OR police", source="osce") == [DOCS[0][1]]
    assert _titles(known, "traffick*", since=date(2009, 1, 1)) == [DOCS[3][1]]
    assert _titles(known, "traffick*", until=date(2015, 12, 31)) == [DOCS[0][1]]
    assert _titles(known, "traffick*", since=date(2016, 3, 1), until=date(2016, 3, 1)) == [
        DOCS[3][1]
    ]
    assert _titles(known, "traffick*", changed_since=T0.replace(hour=10)) == [DOCS[0][1]]
    assert _titles(known, "opium", status="removed") == []
    _, sessions = open_archive(known)
    Archive(sessions).mark_removed("https://unis.example/r/2", now=T0)
    assert _titles(known, "opium", status="removed") == [DOCS[2][1]]


def test_list_walks_newest_first_and_counts_up_to_the_cap(known: str, monkeypatch) -> None:
    _, sessions = open_archive(known)
    newest = [5, 3, 2, 1, 0, 4]  # by published date; no date last
    with sessions() as session:
        every = queries.list_releases(session, limit=None)
        assert [r.title for r in every.rows] == [DOCS[i][1] for i in newest]
        assert (every.total, every.exact) == (6, True)
        monkeypatch.setattr(queries, "COUNT_CAP", 3)
        page = queries.list_releases(session, limit=2)
        assert [r.title for r in page.rows] == [DOCS[i][1] for i in newest[:2]]
        assert (page.total, page.exact, page.counted) == (3, False, "3+")
        assert queries.list_releases(session, limit=5).counted == "5+"
        assert queries.list_releases(session, "osce", limit=1).counted == "2"
        found = queries.list_releases(session, limit=1, words=parse_query("traffick*"))
        assert [r.title for r in found.rows] == [DOCS[3][1]] and found.counted == "3"
        found = queries.list_releases(session, limit=1, words=parse_query("opium OR peace*"))
        assert [r.title for r in found.rows] == [DOCS[5][1]] and found.counted == "3+"
        assert found.rows[0].versions == 1 and every.rows[4].versions == 2


def test_relevance_ranks_the_denser_match_first_and_pages(known: str) -> None:
    _, sessions = open_archive(known)
    with sessions() as session:
        page = search(session, parse_query("peace"), limit=1)
        assert page.total == 2 and [h.title for h in page.hits] == [DOCS[1][1]]  # "Peace" twice
        assert page.hits[0].rank is not None
        second = search(session, parse_query("peace"), limit=1, offset=1)
        assert [h.title for h in second.hits] == [DOCS[5][1]]


def test_snippets_escape_archived_text_and_mark_matches(known: str) -> None:
    _, sessions = open_archive(known)
    with sessions() as session:
        [hit] = search(session, parse_query("war peace")).hits
    assert hit.snippet == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; warns of <mark>war</mark> &amp; "
        "&lt;b&gt;<mark>peace</mark>&lt;/b&gt; talks."
    )
    assert hit.title == DOCS[5][1]  # plain text: the caller escapes it


HOSTILE = [
    '"', "'", "*", "NOT", "NOT a", "a OR", "(", ")", "AND", "\x00", "a\ud800", "x" * 5000,
    "((((((((((((a))))))))))))", "a*" + " b" * 40, "' OR 1=1 --", "\"; DROP TABLE release; --",
    "title:x", "NEAR(a b)", "^a", "a:*", "x & y | !z", "{title}: a",
]  # fmt: skip


def test_hostile_queries_get_one_line_or_plain_words(known: str) -> None:
    _, sessions = open_archive(known)
    with sessions() as session:
        for query in HOSTILE:
            try:
                parsed = parse_query(query)
            except QueryError as exc:
                assert str(exc) and "\n" not in str(exc), query
                continue
            search(session, parsed)  # the words, as words: no error
        assert session.execute(text("SELECT count(*) FROM release")).scalar() == len(DOCS)


def test_cli_search_json_and_errors(known: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--db", known, "search", "opium", "--json", "--order", "date"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["total"] == 2
        and data["exact"]
        and [h["title"] for h in data["hits"]] == [DOCS[3][1], DOCS[2][1]]
    )
    assert set(data["hits"][0]) == {"id", "url", "source", "title", "published", "status",
                                    "last_changed", "snippet", "rank"}  # fmt: skip
    result = runner.invoke(main, ["--db", known, "search", "NOT x"])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    result = runner.invoke(main, ["--db", known, "search", "opium"])
    assert result.stdout.splitlines()[0] == "id\tsource\tpublished\ttitle\tsnippet"


def test_changes_lists_the_events_of_a_period(known: str) -> None:
    runner = CliRunner()
    args = ["--db", known, "changes", "--since", "2026-11-01T10:00", "--json"]
    events = json.loads(runner.invoke(main, args).stdout)
    assert [(e["kind"], e["version"], e["previous_version"]) for e in events] == [
        ("changed", 2, 1), ("restored", 1, 2)]  # fmt: skip
    events = json.loads(runner.invoke(main, [*args[:4], "2026-11-01", "--kind", "new", "--json",
                                             "-s", "unis"]).stdout)  # fmt: skip
    assert [e["title"] for e in events] == [DOCS[2][1], DOCS[3][1]]
    result = runner.invoke(main, ["--db", known, "changes", "--since", "yesterday"])
    assert result.exit_code == 2 and "not a date" in result.stderr


@pytest.mark.parametrize("versions", [False, True])
def test_export_round_trips(known: str, versions: bool, tmp_path: Path) -> None:
    _, sessions = open_archive(known)
    _, newline = Archive(sessions), 'Line one.\r\nLine two, "quoted";\n\nthe end'
    Archive(sessions).record(ParsedRelease("sco", "https://sco.example/1", "Multi", newline,
                                           metadata={"topics": ["a", "b"]}), now=T0)  # fmt: skip
    with sessions() as session:
        expected = json.loads(
            json.dumps([_jsonable(r) for r in export_rows(session, versions=versions)])
        )
        out = io.StringIO()
        assert write_jsonl(export_rows(session, versions=versions), out) == len(expected)
        assert [json.loads(line) for line in out.getvalue().splitlines()] == expected
        out = io.StringIO(newline="")
        write_csv(export_rows(session, versions=versions), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == len(expected) == len(DOCS) + 1 + (1 if versions else 0)
    for row, want in zip(rows, expected, strict=True):
        assert json.loads(row.pop("metadata")) == want.pop("metadata")
        assert row.pop("current") == str(want.pop("current")).lower()
        assert row == {k: "" if v is None else str(v) for k, v in want.items()}
    assert any(r["body"] == newline for r in rows)
    path = tmp_path / "sco.csv"
    args = ["--db", known, "export", "--format", "csv", "-s", "sco", "-o", str(path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    with path.open(encoding="utf-8", newline="") as f:
        assert [r["body"] for r in csv.DictReader(f)] == [newline]


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    from storage.times import jsonable

    return jsonable(row)


def test_migration_builds_the_index_of_an_existing_archive(db_url: str) -> None:
    from alembic import command

    from storage.db import alembic_config

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0004")
    _, sessions = (
        open_archive.__wrapped__(db_url) if hasattr(open_archive, "__wrapped__") else (None, None)
    )
    from sqlalchemy.orm import sessionmaker

    Archive(sessionmaker(engine)).record(
        ParsedRelease("osce", "https://osce.example/old", "Before search", "Opium before 0006."),
        now=T0,
    )
    command.upgrade(alembic_config(engine), "head")
    assert _titles(db_url, "opium") == ["Before search"]
    command.downgrade(alembic_config(engine), "0004")
    command.upgrade(alembic_config(engine), "head")
    assert _titles(db_url, "before") == ["Before search"]
    engine.dispose()
