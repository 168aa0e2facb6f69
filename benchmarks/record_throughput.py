"""record() throughput: first insert and unchanged re-record of synthetic releases.

    python benchmarks/record_throughput.py [--n 20000] [--db URL ...]

Each release has a ~4 KB body and ~12 KB of raw HTML (stored compressed), one transaction
per release, as a crawl records them. Prints releases per second per database and phase,
and, for reference, the floor on SQLite: the same first-insert writes (hash, compression,
five statements, one transaction per release) by hand through the sqlite3 module.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from storage.archive import Archive, ParsedRelease
from storage.db import open_archive
from storage.fingerprint import content_hash

WORDS = [
    "drug",
    "trafficking",
    "organised",
    "crime",
    "police",
    "border",
    "co-operation",
    "participating",
    "States",
    "Vienna",
    "OSCE",
    "UNODC",
    "precursors",
    "synthetic",
    "opiates",
    "training",
    "officers",
    "capacity",
    "ministers",
    "security",
    "conference",
    "agreement",
    "money",
    "laundering",
    "corruption",
    "cybercrime",
    "judicial",
]


def synthetic(n: int, seed: int = 1) -> list[ParsedRelease]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    releases = []
    for i in range(n):
        paragraphs = [" ".join(rng.choices(WORDS, k=90)) + "." for _ in range(5)]
        body = "\n\n".join(paragraphs)  # ~4 KB
        html = "<html><body><nav>" + "menu " * 800 + "</nav><p>" + body + "</p></body></html>"
        releases.append(
            ParsedRelease(
                source=("osce", "unis", "sco", "unodc")[i % 4],
                url=f"https://bench.example.org/press/{i}",
                title=f"Release {i}: " + " ".join(rng.choices(WORDS, k=8)),
                body=body,
                published=date(2020, 1, 1),
                place="VIENNA",
                metadata={"source": "OSCE Secretariat"},
                parser_version="bench/1",
                fetched_at=now,
                etag=f'"{i}"',
                raw_html=html.encode(),
            )  # fmt: skip
        )
    return releases


def measure(url: str, releases: list[ParsedRelease]) -> dict[str, float]:
    engine, sessions = open_archive(url)
    archive = Archive(sessions)
    result = {}
    for phase in ("first insert", "unchanged"):
        start = time.perf_counter()
        for item in releases:
            archive.record(item)
        result[phase] = len(releases) / (time.perf_counter() - start)
    engine.dispose()
    return result


def sqlite3_floor(path: Path, releases: list[ParsedRelease]) -> float:
    """First-insert releases/s of the same writes through the bare sqlite3 module."""
    open_archive(f"sqlite:///{path}")[0].dispose()  # the schema
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("INSERT INTO source (key, name, base_url) VALUES ('bench', 'bench', '')")
    at = datetime.now(UTC).isoformat()
    start = time.perf_counter()
    for r in releases:
        digest = content_hash(r.title, r.published, r.body)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT id FROM release WHERE url = ?", (r.url,)).fetchone()
        (rid,) = conn.execute(
            "INSERT INTO release (source_id, url, status, first_seen, last_seen, last_changed,"
            " missing_count) VALUES (1, ?, 'active', ?, ?, ?, 0) RETURNING id",
            (r.url, at, at, at),
        ).fetchone()
        (vid,) = conn.execute(
            "INSERT INTO release_version (release_id, number, content_hash, title, published,"
            " place, body, metadata, method, parser_version, fetched_at, etag, raw_html)"
            " VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'site', ?, ?, ?, ?) RETURNING id",
            (rid, digest, r.title, r.published.isoformat(), r.place, r.body,
             json.dumps(r.metadata), r.parser_version, at, r.etag, zlib.compress(r.raw_html)),
        ).fetchone()  # fmt: skip
        conn.execute("UPDATE release SET current_version_id = ? WHERE id = ?", (vid, rid))
        conn.execute(
            "INSERT INTO change_event (kind, release_id, version_id, at) VALUES ('new', ?, ?, ?)",
            (rid, vid, at),
        )
        conn.execute("COMMIT")
    rate = len(releases) / (time.perf_counter() - start)
    conn.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    releases = synthetic(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        schema = f"pw_bench_{int(time.time())}"

        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        targets["postgresql"] = f"{args.postgres}?options=-csearch_path%3D{schema}"
        try:
            for name, url in targets.items():
                for phase, rate in measure(url, releases).items():
                    print(f"{name:10} {phase:13} {rate:8.0f} releases/s  (n={args.n})")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        floor = sqlite3_floor(Path(tmp) / "floor.db", releases)
        print(f"{'sqlite3':10} {'first insert':13} {floor:8.0f} releases/s  (bare module, floor)")


if __name__ == "__main__":
    main()
