"""`presswatch inspect`: every parser era and the fallback on one page, side by side."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.replay.builders import unis
from crawler.replay.server import serve
from crawler.replay.snapshot import write_snapshot
from presswatch.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY = FIXTURES / "unis" / "release_2018_legacy.html"
LEGACY_URL = "https://unis.unvienna.org/unis/en/pressrels/2018/uniscp1051.html"
READING_KEYS = {
    "parser", "kind", "ok", "error", "valid_from", "valid_until", "method", "parser_version",
    "title", "published", "place", "external_id", "metadata", "body_start", "body_end",
    "chars", "words", "paragraphs",
}  # fmt: skip


def inspect(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["inspect", *args])
    return result.exit_code, result.output


def test_each_era_and_the_fallback_on_a_saved_page() -> None:
    code, out = inspect(str(LEGACY), "--url", LEGACY_URL, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert set(data) == {"url", "source", "bytes", "readings"}
    assert (data["url"], data["source"]) == (LEGACY_URL, "unis")
    readings = {r["parser"]: r for r in data["readings"]}
    assert list(readings) == ["unis/1", "unis/2", "fallback", "crawl"]
    assert all(set(r) == READING_KEYS for r in readings.values())
    expected = json.loads(LEGACY.with_suffix(".json").read_text())["expected"]
    old = readings["unis/1"]
    assert old["ok"] and old["error"] is None and old["valid_until"]
    for name in ("title", "published", "place", "external_id", "metadata"):
        assert old[name] == expected[name], name
    assert old["chars"] == len(expected["body"])
    assert old["body_start"].startswith("LYON/VIENNA, 6 June 2018") and old["body_end"][0] == "…"
    assert expected["body"].endswith(old["body_end"][1:])
    # The 2018 markup is not today's: the current era reads nothing, and says so.
    assert not readings["unis/2"]["ok"] and readings["unis/2"]["error"] == "no body found"
    assert readings["fallback"]["method"] == "fallback" and readings["fallback"]["ok"]


def test_plain_rows_when_piped() -> None:
    code, out = inspect(str(LEGACY), "--url", LEGACY_URL)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "field\tunis/1\tunis/2\tfallback\tcrawl"
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}
    assert rows["error"][:2] == ["", "no body found"]
    assert rows["external_id"][0] == "UNIS/CP/1051"
    assert "symbol: UNIS/CP/1051" in rows["metadata"][0] and "\n" not in out.split("\n", 1)[0]


def test_a_page_of_no_known_source_gets_the_fallback_only() -> None:
    code, out = inspect(str(FIXTURES / "generic" / "europesecuritynews.html"), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["source"] is None and [r["parser"] for r in data["readings"]] == ["fallback"]


def test_a_url_through_the_replay_server(tmp_path: Path) -> None:
    releases = unis.demo_releases()
    write_snapshot(tmp_path, list(unis.snapshot_pages(releases, per_page=4)), name="i")
    with serve(tmp_path) as server:
        code, out = inspect(releases[0].url, "--replay", server.url, "--json")
        assert code == 0, out
        missing_code, missing = inspect(releases[0].url + "x", "--replay", server.url)
    data = json.loads(out)
    assert data["source"] == "unis"  # guessed from the host
    crawl = data["readings"][-1]
    assert crawl["parser"] == "crawl" and crawl["title"] == releases[0].title
    assert missing_code == 1 and missing.strip().endswith("HTTP 404")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/page.html"], "Error: no such file: no/such/page.html"),
        ([str(LEGACY), "--source", "nope"], "Error: unknown source 'nope' (known: osce, sco"),
        ([f"http://127.0.0.1:{_closed_port()}/x"], "Error: cannot fetch http://127.0.0.1:"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str) -> None:
    code, out = inspect(*args)
    assert code == 1 and out.startswith(message) and out.count("\n") == 1, out
