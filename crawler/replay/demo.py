"""The demo snapshot: whole pages of the four sites and of the seed 000 blog, installed with
presswatch.

Built from the site page builders (crawler/replay/builders/<key>.py) and committed, so
`presswatch demo` works offline on a fresh machine. It holds two states of the sites: the
default one (``manifest.json``) and ``EDITED`` (``manifest.edited.json``), the sites a day
later, as ``SECOND_STATE`` describes. Rebuild after changing a builder::

    python -m crawler.replay.demo
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from types import ModuleType

from crawler.replay.builders.base import DemoRelease
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from crawler.sites import SITE_MODULES

DEMO_SNAPSHOT = Path(__file__).parent / "demo"
CONFIGURED_DEMO_SITES = ("europesecuritynews",)  # no parser: a configured source (docs/sources.md)
DEMO_SITES = (*SITE_MODULES, *CONFIGURED_DEMO_SITES)
DEMO_LAST_MODIFIED = "2026-11-01T08:00:00Z"  # fixed, so the built snapshot is reproducible
EDITED = "edited"  # the second state
EDITED_LAST_MODIFIED = "2026-11-02T08:00:00Z"

Releases = list[DemoRelease]


def builder(key: str) -> ModuleType:
    return importlib.import_module(f"crawler.replay.builders.{key}")


def _edit(releases: Releases, url_end: str, edit: Callable[[DemoRelease], DemoRelease]) -> Releases:
    """``releases`` with the one whose URL ends with ``url_end`` edited."""
    found = [r for r in releases if r.url.endswith(url_end)]
    assert len(found) == 1, url_end
    return [edit(r) if r is found[0] else r for r in releases]


def _osce(releases: Releases) -> Releases:
    """A corrected figure."""

    def fix(r: DemoRelease) -> DemoRelease:
        return replace(
            r, paragraphs=[p.replace("more than 200", "more than 250") for p in r.paragraphs]
        )

    return _edit(releases, "/secretariat/531234", fix)


def _sco(releases: Releases) -> Releases:
    """One release taken down, one sentence added to another."""
    kept = [r for r in releases if not r.url.endswith("/20230614/1065320.html")]
    return _edit(
        kept,
        "/20260305/1530087.html",
        lambda r: replace(
            r,
            paragraphs=[
                *r.paragraphs,
                "The next meeting of the experts will take place in Bishkek in the autumn.",
            ],
        ),
    )


def _unis(releases: Releases) -> Releases:
    """A new release."""
    model = next(r for r in releases if r.external_id == "UNIS/CP/1201")
    added = replace(
        model,
        url="https://unis.unvienna.org/unis/en/pressrels/2026/uniscp1215.html",
        title="UNODC and Central Asian States agree on a joint plan against synthetic drugs",
        published=date(2026, 11, 2),
        place="VIENNA",
        external_id="UNIS/CP/1215",
        metadata={**model.metadata, "symbol": "UNIS/CP/1215"},
        paragraphs=[
            "VIENNA, 2 November 2026 (UN Information Service) - Five Central Asian States and "
            "the United Nations Office on Drugs and Crime (UNODC) agreed today on a joint plan "
            "against the production and trafficking of synthetic drugs.",
            "The plan sets up liaison officers at border crossings and a shared early warning "
            "system for new psychoactive substances.",
        ],
    )
    return [*releases, added]


def _unodc(releases: Releases) -> Releases:
    """A changed title."""
    return _edit(
        releases,
        "/world-drug-report-2024-launch.html",
        lambda r: replace(
            r, title="World Drug Report 2024: 292 million people used drugs in 2022, up 20 per cent"
        ),
    )


def _europesecuritynews(releases: Releases) -> Releases:
    """A post corrected a year later: its feed, sitemap and page change; no parser is written."""

    def fix(r: DemoRelease) -> DemoRelease:
        return replace(
            r,
            paragraphs=[
                p.replace("kept for five years.", "kept for five years, masked after six months.")
                for p in r.paragraphs
            ],
            modified=datetime(2026, 11, 2, 7, 30),
        )

    return _edit(releases, "/eu-ministers-agree-on-new-passenger-name-record-rules/", fix)


SECOND_STATE: dict[str, Callable[[Releases], Releases]] = {
    "europesecuritynews": _europesecuritynews,
    "osce": _osce,
    "sco": _sco,
    "unis": _unis,
    "unodc": _unodc,
}


def demo_pages(state: str | None = None) -> Iterator[tuple[SnapshotPage, str]]:
    """The pages of every site in the default state, or in ``EDITED``."""
    for key in DEMO_SITES:
        site = builder(key)
        releases = site.demo_releases()
        if state == EDITED:
            releases = SECOND_STATE[key](releases)
        for page, content in site.snapshot_pages(releases):
            if page.last_modified is None:
                page.last_modified = DEMO_LAST_MODIFIED
            yield page, content


def _edited_name(file: str) -> str:
    path = PurePosixPath(file)
    return str(path.with_name(f"{path.stem}.{EDITED}{path.suffix}"))


def build_demo(directory: Path = DEMO_SNAPSHOT) -> Path:
    """Write both states of the demo snapshot into ``directory`` (emptied first).

    The second state shares the files of every page that did not change; a changed or new
    page gets its own file and a later Last-Modified.
    """
    if directory.exists():
        shutil.rmtree(directory)
    first = list(demo_pages())
    write_snapshot(directory, first, name="demo")
    files = {page.file: content for page, content in first}
    second: list[tuple[SnapshotPage, str | None]] = []
    for page, content in demo_pages(EDITED):
        if page.file in files and files[page.file] == content:
            second.append((page, None))  # the file is in place
            continue
        if page.file in files:
            page.file = _edited_name(page.file)
        page.last_modified = EDITED_LAST_MODIFIED
        second.append((page, content))
    write_snapshot(directory, second, name="demo", state=EDITED)
    return directory


if __name__ == "__main__":
    print(build_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_SNAPSHOT))
