"""Bytes per row and per release of a PostgreSQL archive, after real crawls (docs/scale.md).

    .venv/bin/python benchmarks/archive_size.py [--snapshot demo|synthetic] [--releases 2000]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]

Crawls the snapshot (the bundled demo: real pages of the four sites; or a synthetic one of
N releases) with the four crawls as local subprocesses into a fresh, migrated schema, runs
ANALYZE, then prints for every table its rows and pg_total_relation_size split into heap,
TOAST and indexes, each index's size, and the average stored size (pg_column_size, after
compression) of release_version's big columns. Bytes per release is the whole archive's
size over its releases.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from scrapyd_throughput import PG, fresh_schema, run_local
from sqlalchemy import create_engine, text

from crawler.replay.demo import DEMO_SNAPSHOT
from crawler.replay.server import serve
from crawler.replay.synthetic import build_synthetic

TABLES = """SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid),
       coalesce(pg_total_relation_size(c.reltoastrelid), 0), pg_indexes_size(c.oid),
       pg_total_relation_size(c.oid)
FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
ORDER BY pg_total_relation_size(c.oid) DESC"""
INDEXES = """SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = current_schema()::regnamespace ORDER BY 2 DESC"""
COLUMNS = ("raw_html", "body", "title", "metadata", "search_vector", "search_pairs")


def crawl(snapshot: Path, db: str, work: Path) -> None:
    with serve(snapshot) as replay:
        run_local(db, replay.url, work)


def report(db: str) -> None:
    engine = create_engine(db, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        tables = conn.execute(text(TABLES)).all()
        indexes = conn.execute(text(INDEXES)).all()
        averages = conn.execute(
            text(
                "SELECT count(*), "
                + ", ".join(f'avg(pg_column_size("{c}"))' for c in COLUMNS)
                + ", avg(octet_length(body)) FROM release_version"
            )
        ).one()
        releases = conn.execute(text("SELECT count(*) FROM release")).scalar() or 1
        row_sizes = {
            name: conn.execute(text(f'SELECT avg(pg_column_size(t.*)) FROM "{name}" t')).scalar()
            for name in ("release", "release_version", "change_event", "crawl_run")
        }
    engine.dispose()
    print(f"{'table':24} {'rows':>8} {'heap':>10} {'toast':>10} {'indexes':>10} {'total':>10} "
          f"{'B/row':>8}")  # fmt: skip
    total = 0
    for name, rows, heap, toast, index, whole in tables:
        total += whole
        per_row = f"{whole / rows:8.0f}" if rows > 0 else f"{'-':>8}"
        print(f"{name:24} {rows:8d} {heap:10d} {toast:10d} {index:10d} {whole:10d} {per_row}")
    print(f"\nall tables: {total} bytes, {releases} releases: {total / releases:.0f} bytes/release")
    print("\nindexes:")
    for name, size in indexes:
        print(f"  {name:40} {size:10d}")
    print("\naverage row as stored in the heap and TOAST (no indexes), bytes:")
    for name, size in row_sizes.items():
        print(f"  {name:16} {float(size or 0):9.0f}")
    versions, *stored, body_chars = averages
    print(f"\nrelease_version ({versions} rows), average stored bytes per column (compressed):")
    for column, size in zip(COLUMNS, stored, strict=True):
        print(f"  {column:14} {float(size or 0):9.0f}")
    print(f"  body uncompressed {float(body_chars or 0):6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", choices=("demo", "synthetic"), default="demo")
    parser.add_argument("--releases", type=int, default=2000, help="for --snapshot synthetic")
    parser.add_argument("--db", default=os.environ.get("PRESSWATCH_TEST_POSTGRES_URL", PG))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="presswatch-size-") as tmp:
        work = Path(tmp)
        snapshot = DEMO_SNAPSHOT
        if args.snapshot == "synthetic":
            snapshot = work / "snapshot"
            build_synthetic(snapshot, args.releases)
        with fresh_schema(args.db) as db:
            crawl(snapshot, db, work)
            print(f"{args.snapshot} snapshot ({snapshot}), python {sys.version.split()[0]}\n")
            report(db)


if __name__ == "__main__":
    main()
