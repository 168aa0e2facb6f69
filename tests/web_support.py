"""An archive for the web tests: the demo snapshot crawled, plus one hostile release.

Built once per test session (and once for all xdist workers, under a file lock): the demo
crawls take some seconds. The hostile release holds script payloads in its title, body,
metadata and kept page; each would set ``window.__pwned`` if it ever ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from filelock import FileLock

from presswatch.config import parse_config
from storage.archive import ParsedRelease, record
from storage.db import open_archive

CONFIG = parse_config({}, ["osce", "sco", "unis", "unodc"])
HOSTILE_URL = "https://www.osce.org/press/hostile-1"
TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Hostile'
BODY = (
    "Hostile release <script>window.__pwned=3</script> with "
    '<a href="javascript:window.__pwned=4">a link</a> and <img src=x onerror=window.__pwned=5> '
    "an image.\n\nSecond paragraph about drug trafficking stays the same."
)
# A control character is no XML: the feeds must drop it, not break.
EDITED_BODY = BODY.replace("an image.", 'an image <svg onload="window.__pwned=6">\x0b.')
RAW_HTML = (
    b"<html><head><script>window.__pwned=7;alert(7)</script></head><body>"
    b'<img src=x onerror="window.__pwned=8;alert(8)"><a href="javascript:alert(9)">x</a></body></html>'
)
METADATA = {"topics": ["<svg onload=window.__pwned=10>"], "link": "javascript:window.__pwned=11"}
# What no HTML page or feed may hold: each would be live markup or a live link.
LIVE = ("<script", "<img", "<svg", 'onerror="window', 'href="javascript:', 'onload="window')


def _hostile(url: str) -> int:
    engine, sessions = open_archive(url)
    day = datetime(2026, 11, 3, 9, tzinfo=UTC)
    try:
        for n, body in enumerate((BODY, EDITED_BODY)):
            item = ParsedRelease(
                source="osce", url=HOSTILE_URL, title=TITLE, body=body, published=date(2026, 11, 2),
                place="<b>VIENNA</b>", external_id="javascript:alert(1)", metadata=METADATA,
                parser_version="osce/1", raw_html=RAW_HTML, fetched_at=day + timedelta(hours=n),
            )  # fmt: skip
            with sessions.begin() as session:
                recorded = record(session, item, now=day + timedelta(hours=n))
        return recorded.release_id
    finally:
        engine.dispose()


def build_web_archive(folder: Path) -> tuple[str, int]:
    """The URL of the archive in ``folder`` (built when missing) and the hostile release id."""
    url = f"sqlite:///{folder / 'web.db'}"
    with FileLock(str(folder / "web.lock")):
        done = folder / "hostile-id"
        if not done.exists():
            env = {**os.environ, "XDG_DATA_HOME": str(folder / "data"),
                   "XDG_STATE_HOME": str(folder / "state")}  # fmt: skip
            subprocess.run(
                [sys.executable, "-c", "from presswatch.cli import main; main()", "--db", url, "demo"],
                check=True, capture_output=True, cwd=folder, env=env, timeout=300,
            )  # fmt: skip
            done.write_text(str(_hostile(url)))
        return url, int(done.read_text())
