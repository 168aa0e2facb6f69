"""The presswatch command on a small archive, and on every kind of bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import click
import pytest
from click.testing import CliRunner

from presswatch.cli import main
from presswatch.crawl_commands import _check_sources
from storage.archive import Archive, ParsedRelease
from storage.db import open_archive

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
OSCE = ParsedRelease(
    source="osce", url="https://www.osce.org/secretariat/1", title="Police experts meet",
    body="VIENNA, 17 July 2008 - Experts met in Vienna.", published=date(2008, 7, 17),
    place="VIENNA", metadata={"fields_of_work": ["Policing"]},
)  # fmt: skip
UNIS = ParsedRelease(
    source="unis", url="https://unis.unvienna.org/unis/en/pressrels/2018/uniscp1051.html",
    title="UNODC and INTERPOL", body="LYON/VIENNA, 6 June 2018 - Fedotov met Stock.",
    published=date(2018, 6, 6), external_id="UNIS/CP/1051",
)  # fmt: skip


@pytest.fixture
def small_archive(db_url: str) -> str:
    _, sessions = open_archive(db_url)
    archive = Archive(sessions)
    archive.record(OSCE, now=T0)
    archive.record(replace(OSCE, body=OSCE.body + " They agreed."), now=T0.replace(hour=10))
    archive.record(UNIS, now=T0)
    archive.record(
        replace(OSCE, url="https://www.osce.org/node/3", title="Old", published=None), now=T0
    )
    archive.mark_removed("https://www.osce.org/node/3", now=T0)
    return db_url


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_newest_first_with_filters(small_archive: str) -> None:
    code, out, _ = run(small_archive, "list", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["title"] for r in rows] == ["UNODC and INTERPOL", "Police experts meet", "Old"]
    assert rows[1]["versions"] == 2 and rows[2]["status"] == "removed"
    assert [
        r["source"] for r in json.loads(run(small_archive, "list", "-s", "unis", "--json")[1])
    ] == ["unis"]
    since = json.loads(run(small_archive, "list", "--since", "2010-01-01", "--json")[1])
    assert [r["title"] for r in since] == ["UNODC and INTERPOL"]
    until = json.loads(run(small_archive, "list", "--until", "2010-01-01", "--json")[1])
    assert [r["title"] for r in until] == ["Police experts meet"]
    removed = json.loads(run(small_archive, "list", "--status", "removed", "--json")[1])
    assert [r["title"] for r in removed] == ["Old"]
    code, out, err = run(small_archive, "list")
    assert code == 0 and "Police experts meet" in out and "3 of 3 releases" in err
    code, out, err = run(small_archive, "list", "-n", "1", "--source", "OSCE")
    assert code == 0 and "1 of 2 releases" in err and "Police experts meet" in out


def test_text_with_square_brackets_is_printed_as_it_is(db_url: str) -> None:
    """Archived text is never read as rich markup: "[at]" stays, "[/x]" does not crash."""
    _, sessions = open_archive(db_url)
    bracketed = replace(
        UNIS, url="https://unis.unvienna.org/unis/en/pressrels/2019/uniscp1060.html",
        title="Statement [/b] on [red]drugs[/red]", place="[VIENNA]",
        body="Contact: unodc-press[at]un.org [/x] [bold]not bold[/bold]",
        metadata={"contact": "press[at]un.org", "[key]": ["[/i]"]},
    )  # fmt: skip
    Archive(sessions).record(bracketed, now=T0)
    code, out, err = run(db_url, "show", bracketed.url)
    assert code == 0, err
    for text in ("Statement [/b] on [red]drugs[/red]", "[VIENNA]", "unodc-press[at]un.org [/x]",
                 "[bold]not bold[/bold]", "press[at]un.org", "[key]", "[/i]"):  # fmt: skip
        assert text in out, text
    code, out, _ = run(db_url, "list")
    assert code == 0 and "Statement [/b] on [red]drugs[/red]" in " ".join(out.split())


def test_search_needs_every_word_in_title_or_body(small_archive: str) -> None:
    def titles(*words: str) -> list[str]:
        code, out, err = run(small_archive, "list", "--json", "--search", " ".join(words))
        assert code == 0, err
        return [r["title"] for r in json.loads(out)]

    assert titles("agreed") == ["Police experts meet"]  # the current version's body only
    assert titles("VIENNA", "experts") == ["Police experts meet", "Old"]
    assert titles("interpol") == ["UNODC and INTERPOL"]  # title, any case
    assert titles("fedotov", "vienna") == ["UNODC and INTERPOL"]
    assert titles("fedotov", "policing") == []
    assert titles("100%") == []  # LIKE wildcards are plain characters
    assert titles("expert*", "NOT", "agreed") == ["Old"]  # the language of `presswatch search`
    code, _, err = run(small_archive, "list", "--search", "_")
    assert code == 1 and err.strip() == "Error: bad query: the query has no word to search for"


def test_diff_shows_the_words_that_changed(small_archive: str) -> None:
    url = OSCE.url
    code, out, _ = run(small_archive, "diff", url, "--json")
    data = json.loads(out)
    assert code == 0 and data["fields"] == ["body"]
    assert (data["from"]["number"], data["to"]["number"]) == (1, 2)
    assert {"op": "+", "text": "They agreed."} in data["body"]
    code, out, _ = run(small_archive, "diff", url)  # not a terminal: git's plain word diff
    assert code == 0 and "version 1" in out and "{+They agreed.+}" in out
    code, out, _ = run(small_archive, "diff", url, "--from", "2", "--to", "1", "--json")
    assert {"op": "-", "text": "They agreed."} in json.loads(out)["body"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "7"], "has no version 7 (versions: 1, 2)"),
        (["--from", "0"], "0 is not in the range"),
    ],
)
def test_diff_of_a_missing_version_is_one_clear_line(
    small_archive: str, args: list[str], message: str
) -> None:
    code, _, err = run(small_archive, "diff", OSCE.url, *args)
    assert code != 0 and message in err and "Traceback" not in err


def test_diff_of_a_release_with_one_version(small_archive: str) -> None:
    code, _, err = run(small_archive, "diff", UNIS.url)
    assert code == 1 and "has only one version: nothing to compare" in err


def test_show_an_older_version_and_the_page_it_was_read_from(small_archive: str) -> None:
    code, out, _ = run(small_archive, "show", OSCE.url, "--version", "1")
    assert code == 0 and "version 1 of 2" in out and "They agreed." not in out
    data = json.loads(run(small_archive, "show", OSCE.url, "--version", "1", "--json")[1])
    assert data["version"]["number"] == 1 and data["current_version"] == 2
    code, _, err = run(small_archive, "show", OSCE.url, "--version", "3")
    assert code == 1 and "has no version 3 (versions: 1, 2)" in err
    code, _, err = run(small_archive, "show", OSCE.url, "--html")
    assert code == 1 and "no page kept for version 2" in err
    engine, sessions = open_archive(small_archive)
    page = "<html><body><p>Привет – the page as served</p></body></html>".encode()
    Archive(sessions).record(replace(UNIS, raw_html=page, body=UNIS.body + " Again."))
    engine.dispose()
    result = CliRunner().invoke(main, ["--db", small_archive, "show", UNIS.url, "--html"])
    assert result.exit_code == 0 and result.stdout_bytes == page


def test_show_by_id_and_by_url(small_archive: str) -> None:
    code, out, _ = run(
        small_archive, "show", "https://www.osce.org/secretariat/1?utm_source=x", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["version"]["body"].endswith("They agreed.") and data["current_version"] == 2
    assert [(v["number"], v["current"]) for v in data["versions"]] == [(1, False), (2, True)]
    assert "body" not in data["versions"][0] and out.count("They agreed.") == 1
    assert data["version"]["metadata"] == {"fields_of_work": ["Policing"]}
    by_id = json.loads(run(small_archive, "show", str(data["id"]), "--json")[1])
    assert by_id["url"] == data["url"]
    code, out, _ = run(small_archive, "show", str(data["id"]))
    assert code == 0 and "They agreed." in out and "fields_of_work" in out


def test_history(small_archive: str) -> None:
    code, out, _ = run(small_archive, "history", "https://www.osce.org/secretariat/1", "--json")
    events = json.loads(out)
    assert code == 0
    assert [(e["kind"], e["version"]) for e in events] == [("new", 1), ("changed", 2)]
    assert events[1]["diff"]["added"] == ["They agreed."]
    code, out, _ = run(small_archive, "history", "https://www.osce.org/node/3")
    assert code == 0 and "removed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("list", "--source", "nato"), "unknown source 'nato'"),
        (("list", "--since", "2024-13-01"), "--since"),
        (("list", "--since", "2024-02-01", "--until", "2024-01-01"), "--since is after --until"),
        (("show", "999"), "no release '999'"),
        (("history", "https://example.org/x"), "no release"),
    ],
)
def test_bad_input_is_one_clear_line(
    small_archive: str, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(small_archive, *args)
    assert code != 0 and message in err and "Traceback" not in err + out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "cannot reach the database"),
        ("not a url://x", "not a database URL"),
        ("mysql+nodriver://x/y", "cannot use database"),
    ],
)
def test_unusable_database_is_one_clear_line(url: str, message: str) -> None:
    code, out, err = run(url, "list")
    assert code == 1 and message in err and "Traceback" not in err + out


def test_db_upgrade(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert run(url, "db", "upgrade")[1].startswith("upgraded")
    assert run(url, "db", "upgrade")[1].startswith("already up to date")


def test_crawl_takes_source_names_in_any_case_once_each() -> None:
    assert _check_sources(["OSCE", "osce", "Unis"]) == ["osce", "unis"]
    with pytest.raises(click.ClickException, match="unknown source 'NATO'"):
        _check_sources(["NATO"])
