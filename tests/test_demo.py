"""The committed demo snapshot is what the builders make now, and `presswatch demo` works."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

from crawler.replay.demo import DEMO_SNAPSHOT, build_demo, builder
from crawler.replay.snapshot import MANIFEST, load_manifest, url_key
from crawler.sites import SITE_MODULES, get_site

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
# The seed releases of the demo (seeds/README.md): site, first and last words of the body.
SEEDS_IN_DEMO = {
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
    assert json.loads(built.pop(MANIFEST)) == json.loads(committed.pop(MANIFEST))
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


def _demo(tmp_path: Path, db: str) -> str:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "from presswatch.cli import main; main()", "--db", db, "demo"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_presswatch_demo_twice(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = _demo(tmp_path, db)
    for key in SITE_MODULES:
        line = next(line for line in first.splitlines() if line.startswith(f"✓ {key}:"))
        assert re.search(r"\d+ new", line) and "error" not in line, line
    second = _demo(tmp_path, db)
    for key in SITE_MODULES:
        line = next(line for line in second.splitlines() if line.startswith(f"✓ {key}:"))
        assert re.search(r"\d+ unchanged", line), line
        assert not re.search(r"\d+ (new|changed|restored|errors)\b", line), line
