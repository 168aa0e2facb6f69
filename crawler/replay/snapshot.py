"""The snapshot format: saved pages of real sites, served again by the replay server.

A snapshot is a directory holding ``manifest.json`` and the page files it names::

    {"name": "demo",
     "pages": [
        {"url": "https://www.osce.org/press-releases?page=0",
         "file": "www.osce.org/press-releases/page-0.html",
         "status": 200,
         "content_type": "text/html; charset=utf-8",
         "last_modified": "2026-06-10T09:46:08Z",
         "etag": true,
         "script": [500]}
     ]}

Only ``url`` and ``file`` (or ``status`` without a file) are required. ``status`` defaults to
200, ``content_type`` to UTF-8 HTML, ``etag`` to true (the server sends a strong ETag over
the file's bytes; false sends none), ``last_modified`` to the file's mtime, ``script`` to no
special answers: each request answers with the next status of the script (and an empty body)
before the page is served normally, so "500, then success on retry" is ``"script": [500]``.
``delay`` (seconds) holds each answer back, for timeout tests. A URL that is not in the
manifest answers 404. The server matches URLs by host, path and query; the scheme is ignored.

Optional extensions (docs/snapshots.md): ``location`` is sent as the Location header (a
redirect: ``{"url": ..., "status": 301, "location": "https://host/new"}``), ``headers`` adds
response headers (``{"Retry-After": "5"}``), and ``gzip`` true compresses the body when the
client accepts gzip, as most real servers do.

A snapshot may hold more than one **state** of the sites: ``manifest.STATE.json`` lists the
pages as they were at another moment, in the same format, sharing the page files with
``manifest.json`` (the default state). ``serve(directory, state="edited")`` serves it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MANIFEST = "manifest.json"


def manifest_name(state: str | None = None) -> str:
    """The manifest of a state: ``manifest.json`` for the default, else ``manifest.STATE.json``."""
    return f"manifest.{state}.json" if state else MANIFEST


@dataclass
class SnapshotPage:
    url: str
    file: str | None = None
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    last_modified: str | None = None
    etag: bool = True
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False


_DEFAULTS = asdict(SnapshotPage(url=""))


def url_key(url: str) -> str:
    """How the server matches a URL: host (lower case), path and query, no scheme."""
    parts = urlsplit(url)
    key = parts.netloc.lower() + (parts.path or "/")
    return f"{key}?{parts.query}" if parts.query else key


def load_manifest(directory: Path, state: str | None = None) -> dict[str, SnapshotPage]:
    """The pages of a snapshot (in ``state``) by URL key. Raises ValueError naming what is wrong."""
    path = directory / manifest_name(state)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pages = [SnapshotPage(**entry) for entry in data["pages"]]
    except FileNotFoundError as exc:
        raise ValueError(f"{directory} is not a snapshot: no {path.name}") from exc
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed manifest ({exc})") from exc
    return {url_key(page.url): page for page in pages}


def write_snapshot(
    directory: Path,
    pages: Iterable[tuple[SnapshotPage, bytes | str | None]],
    name: str = "",
    state: str | None = None,
) -> Path:
    """Write pages and the manifest of ``state`` into ``directory``; returns the manifest path.

    A page given with content None names a file that is already in place.
    """
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for page, content in pages:
        if content is not None:
            if page.file is None:
                raise ValueError(f"{page.url}: content given without a file name")
            target = directory / page.file
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        entries.append({k: v for k, v in asdict(page).items() if k == "url" or v != _DEFAULTS[k]})
    manifest = directory / manifest_name(state)
    manifest.write_text(
        json.dumps(
            {"name": name or directory.name, "pages": entries}, indent=1, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    return manifest
