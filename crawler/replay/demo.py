"""The demo snapshot: whole pages of the four sites, installed with presswatch.

Built from the site page builders (crawler/replay/builders/<key>.py) and committed, so
`presswatch demo` works offline on a fresh machine. Rebuild after changing a builder::

    python -m crawler.replay.demo
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from crawler.replay.snapshot import SnapshotPage, write_snapshot
from crawler.sites import SITE_MODULES

DEMO_SNAPSHOT = Path(__file__).parent / "demo"
DEMO_LAST_MODIFIED = "2026-11-01T08:00:00Z"  # fixed, so the built snapshot is reproducible


def builder(key: str) -> ModuleType:
    return importlib.import_module(f"crawler.replay.builders.{key}")


def demo_pages() -> Iterator[tuple[SnapshotPage, str]]:
    for key in SITE_MODULES:
        site = builder(key)
        for page, content in site.snapshot_pages(site.demo_releases()):
            if page.last_modified is None:
                page.last_modified = DEMO_LAST_MODIFIED
            yield page, content


def build_demo(directory: Path = DEMO_SNAPSHOT) -> Path:
    """Write the demo snapshot into ``directory`` (emptied first)."""
    if directory.exists():
        shutil.rmtree(directory)
    return write_snapshot(directory, demo_pages(), name="demo")


if __name__ == "__main__":
    print(build_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_SNAPSHOT))
