"""The committed demo snapshot is what the builders make now, and `presswatch demo` tells its
story: two states of the sites, the events between them, a word diff."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from html import unescape
from pathlib import Path
from urllib.request import urlopen

import pytest
from click.testing import CliRunner

import presswatch.demo_command as demo_command
from crawler.replay.demo import CONFIGURED_DEMO_SITES, DEMO_SNAPSHOT, EDITED, build_demo, builder
from crawler.replay.server import ReplayError, serve
from crawler.replay.snapshot import SnapshotPage, load_manifest, url_key, write_snapshot
from crawler.sites import SITE_MODULES, get_site, read_with_eras
from crawler.sites.configured import configured_site, spec_from_dict
from presswatch.cli import main
from storage.archive import Archive, ParsedRelease
from storage.db import open_archive

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
# The seed releases of the demo (seeds/README.md): site, first and last words of the body.
SEEDS_IN_DEMO = {
    "000": (
        "europesecuritynews",
        "Before Christmas, the Executive Director",
        "through its network of field missions.",
    ),
    "001": ("osce", "VIENNA, 17 July 2008 - How international", "for law enforcement officers."),
    "002": (
        "osce",
        "VIENNA, 27 October 2014 – Representatives",
        "diversion of chemical precursors.",
    ),
    "003": ("unis", "LYON/VIENNA, 6 June 2018 (UN Information", "and institutional capacity."),
    "004": ("sco", "On 10 July 2019, the UN's Vienna Office", "to promote anti-drug cooperation."),
}


def _words(text: str) -> str:
    return " ".join(text.split())


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_committed_demo_is_what_the_builders_make(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo")
    built, committed = _files(tmp_path / "demo"), _files(DEMO_SNAPSHOT)
    for manifest in ("manifest.json", f"manifest.{EDITED}.json"):
        assert json.loads(built.pop(manifest)) == json.loads(committed.pop(manifest))
    stale = sorted(
        name for name in built.keys() | committed.keys() if built.get(name) != committed.get(name)
    )
    assert not stale, f"rebuild with `python -m crawler.replay.demo`: {stale[:5]}"


def test_every_site_has_eight_releases_or_more() -> None:
    keys = load_manifest(DEMO_SNAPSHOT)
    for key in SITE_MODULES:
        site = get_site(key)
        kept = [
            r
            for r in builder(key).demo_releases()
            if site.release_kinds is None
            or (r.metadata.get("content_type") or r.kind) in site.release_kinds
        ]
        assert len(kept) >= 8, key
        for r in kept:
            assert site.is_release_url(r.url), r.url
            assert url_key(r.url) in keys, r.url
        for url in site.start_urls:
            assert url_key(url) in keys, url


def _seed_body(seed: str, first: str, last: str) -> str:
    """The body of a seed page: from its first words to its last, whitespace normalised."""
    text = _words(next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8"))
    start = text.index(first)
    return text[start : text.index(last, start) + len(last)]


def test_seed_pages_are_in_the_demo() -> None:
    pages = load_manifest(DEMO_SNAPSHOT)
    for seed, (key, first, last) in SEEDS_IN_DEMO.items():
        body = _seed_body(seed, first, last)
        found = [r for r in builder(key).demo_releases() if _words(" ".join(r.paragraphs)) == body]
        assert len(found) == 1, seed
        page = pages[url_key(found[0].url)]
        served = _words(unescape((DEMO_SNAPSHOT / page.file).read_text(encoding="utf-8")))
        assert first in served and last in served, seed


def test_the_seed_000_fixture_is_the_demo_blog_page() -> None:
    """tests/fixtures/generic/europesecuritynews.html is the page the demo serves, so the
    fallback tests read what `presswatch demo` crawls: copy it again after a rebuild."""
    spec = json.loads((ROOT / "tests/fixtures/generic/europesecuritynews.json").read_text())
    page = load_manifest(DEMO_SNAPSHOT)[url_key(spec["url"])]
    fixture = ROOT / "tests/fixtures/generic/europesecuritynews.html"
    assert (DEMO_SNAPSHOT / page.file).read_bytes() == fixture.read_bytes()


@pytest.mark.parametrize(
    "select",
    [
        {},
        {"title": "h1.entry-title", "date": "abbr.published::attr(title)", "body": "div.entry > p"},
    ],
    ids=["fallback", "selectors"],
)
def test_the_seed_000_post_read_as_a_configured_source(select: dict[str, str]) -> None:
    """Exactly the seed's body, none of the widget, caption or comment text, read as the
    demo's configured source reads it: by the fallback alone, or by the selectors."""
    blog = "https://www.europesecuritynews.com"
    spec = spec_from_dict("europesecuritynews", {"url": blog, "feed": "/feed/", "select": select})
    spec_json = json.loads((ROOT / "tests/fixtures/generic/europesecuritynews.json").read_text())
    html = (ROOT / "tests/fixtures/generic/europesecuritynews.html").read_bytes()
    fields, _ = read_with_eras(configured_site(spec), spec_json["url"], html, date(2026, 11, 1))
    first, last = SEEDS_IN_DEMO["000"][1:]
    assert _words(fields.body) == _seed_body("000", first, last)
    assert fields.body == spec_json["expected"]["body"]  # paragraphs kept
    assert fields.published == date(2012, 1, 9)
    assert fields.title == spec_json["expected"]["title"]
    assert fields.method == ("site" if select else "fallback")


def test_second_state_edits_removes_and_adds() -> None:
    first, second = load_manifest(DEMO_SNAPSHOT), load_manifest(DEMO_SNAPSHOT, EDITED)
    assert len(first.keys() - second.keys()) == 1  # one release taken down
    assert len(second.keys() - first.keys()) >= 1  # one added (and a listing page more)
    edited = {key for key in first.keys() & second.keys() if first[key].file != second[key].file}
    releases = {key for key in edited if "/press-releases" not in key and "/news" not in key}
    assert len(releases) >= 3, edited  # a corrected figure, a changed title, an added line
    for key in first.keys() & second.keys() - edited:
        assert second[key] == first[key], key


def _demo(tmp_path: Path, *args: str, code: int = 0) -> str:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "200"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "from presswatch.cli import main; main()", *args, "demo"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == code, result.stdout + result.stderr
    return result.stdout + result.stderr


def assert_demo_story(output: str) -> None:
    """What the demo must show: both crawls ok, the events found, one word diff."""
    for key in (*SITE_MODULES, *CONFIGURED_DEMO_SITES):
        assert re.search(rf"^✓ {key}: .*\d+ new", output, re.M), output
    assert "What changed between day 1 and the last crawl: 4 changed, 1 new, 1 removed" in output
    for title in ("SCO and CSTO secretariats discuss", "UNODC and Central Asian States agree",
                  "World Drug Report 2024: 292 million people",
                  "EU ministers agree on new Passenger Name Record rules"):  # fmt: skip
        assert title in output, output
    # the word diff: the configured blog's corrected post
    assert "kept for five [-years.-] {+years, masked after six months.+}" in output, output
    assert re.search(r"presswatch --db sqlite:///\S+ history \d+", output), output
    assert "error" not in output.lower() and "Traceback" not in output, output


def test_presswatch_demo_twice_tells_the_same_story(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert_demo_story(first)
    archive = tmp_path / "data" / "presswatch" / "demo.db"
    assert f"archive: sqlite:///{archive}" in first
    assert not (tmp_path / "data" / "presswatch" / "presswatch.db").exists()  # not the user's
    assert_demo_story(_demo(tmp_path))  # its own archive is replaced: the same story again


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_demo_refuses_an_archive_that_holds_releases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    engine, sessions = open_archive(url)
    Archive(sessions).record(
        ParsedRelease(
            source="osce",
            url="https://www.osce.org/a/1",
            title="A",
            body="Text.",
            published=date(2026, 1, 2),
        )  # fmt: skip
    )
    engine.dispose()
    code, output = _invoke("--db", url, "demo")
    assert code == 1
    assert (
        output.strip()
        .splitlines()[-1]
        .endswith(
            "already holds 1 releases: the demo needs an empty archive "
            "(without --db it uses its own, replaced at each run)"
        )
    ), output


def test_demo_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_command, "DEMO_SNAPSHOT", tmp_path / "gone")
    code, output = _invoke("--db", f"sqlite:///{tmp_path / 'pw.db'}", "demo")
    assert code == 1 and "Traceback" not in output
    assert (
        output.strip().splitlines()[-1]
        == f"Error: {tmp_path / 'gone'} is not a snapshot: no manifest.json"
    )
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(demo_command, "demo_archive_path", lambda: tmp_path / "file" / "demo.db")
    code, output = _invoke("demo")
    assert code == 1, output
    assert output == f"Error: cannot make the demo archive {tmp_path}/file/demo.db: File exists\n"
    code, output = _invoke("--db", "postgresql://u:secret@127.0.0.1:1/none", "demo")
    assert code == 1 and len(output.strip().splitlines()) == 1, output
    assert output.startswith("Error: ") and "secret" not in output, output


def test_demo_masks_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(
        demo_command, "_demo", lambda archive, shown, own: seen.append(shown) or True
    )
    code, _ = _invoke("--db", "postgresql://u:secret@127.0.0.1/db", "demo")
    assert code == 0 and seen == ["postgresql://u:***@127.0.0.1/db"]


def test_serve_a_state_of_a_snapshot(tmp_path: Path) -> None:
    url = "https://www.osce.org/a"
    write_snapshot(tmp_path, [(SnapshotPage(url=url, file="a.html"), "first")])
    write_snapshot(tmp_path, [(SnapshotPage(url=url, file="a2.html"), "second")], state="later")
    for state, body in ((None, b"first"), ("later", b"second")):
        with serve(tmp_path, state=state) as server:
            assert urlopen(server.url_for(url), timeout=10).read() == body
    with pytest.raises(ReplayError, match=r"is not a snapshot: no manifest\.gone\.json"):
        serve(tmp_path, state="gone")
