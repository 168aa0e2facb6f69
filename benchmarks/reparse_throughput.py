"""`presswatch reparse` throughput: versions re-read per second on a synthetic archive.

    python benchmarks/reparse_throughput.py [--n 20000] [--changed 0.1] [--postgres URL]

The archive is built directly through storage (no crawl): UNIS release pages as the replay
builder writes them, each recorded as today's parser reads it, except a ``--changed`` share
recorded as an older parser read it (last paragraph and place lost). Then the reparse loop
runs with the command's own parse function (crawler.sites through presswatch.reading):
once for real (re-reading every page, writing the changed share), once more with nothing
left to change. Prints versions per second per database and pass, and the parse time alone.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from crawler.replay.builders.base import DemoRelease
from crawler.replay.builders.unis import BASE_URL, PRESS, release_html
from presswatch.reparse_command import parse
from storage.archive import Archive
from storage.db import open_archive
from storage.reparse import ArchivedPage, reparse

WORDS = ["drug", "trafficking", "organised", "crime", "police", "border", "co-operation", "Member", "States", "Vienna", "UNODC", "precursors", "synthetic", "opiates", "training", "officers", "capacity", "ministers", "security", "conference", "agreement", "money", "laundering", "corruption", "cybercrime", "judicial"]  # fmt: skip


def pages(n: int, seed: int = 1) -> list[tuple[str, bytes]]:
    """``n`` UNIS release pages (URL, HTML bytes) of 4–7 paragraphs each."""
    rng = random.Random(seed)
    found = []
    for i in range(n):
        day = date(2018, 1, 1) + timedelta(days=i % 3000)
        symbol = f"UNIS/CP/{10000 + i}"
        paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(40, 90))) + "."
                      for _ in range(rng.randint(4, 7))]  # fmt: skip
        paragraphs[0] = (
            f"VIENNA, {day.day} {day:%B} {day.year} (UN Information Service) - " + (paragraphs[0])
        )
        release = DemoRelease(
            url=f"{BASE_URL}/unis/en/pressrels/{day.year}/uniscp{10000 + i}.html",
            title=f"Release {i}: " + " ".join(rng.choices(WORDS, k=8)), published=day,
            paragraphs=paragraphs, place="VIENNA", external_id=symbol,
            metadata={"symbol": symbol, "series": "CP", "contact": PRESS},
        )  # fmt: skip
        found.append((release.url, release_html(release).encode()))
    return found


def build(url: str, site_pages: list[tuple[str, bytes]], changed: float) -> None:
    engine, sessions = open_archive(url)
    archive = Archive(sessions)
    fetched = datetime(2026, 1, 5, tzinfo=UTC)
    for i, (page_url, html) in enumerate(site_pages):
        item = parse(ArchivedPage(0, "unis", page_url, html, fetched))
        if i < changed * len(site_pages):  # as an older parser read it
            item.body, item.place = item.body.rsplit("\n\n", 1)[0], None
        item.raw_html, item.fetched_at = html, fetched
        archive.record(item)
    archive.close()
    engine.dispose()


def measure(url: str, n: int) -> dict[str, float]:
    engine, _ = open_archive(url)
    result = {}
    for name in ("re-read, changes written", "re-read, nothing to change"):
        start = time.perf_counter()
        report = reparse(engine, parse, parsers=f"bench-{name}")
        assert report.counts["read"] == n, report.counts
        result[f"{name} ({report.counts['reparsed']} new)"] = n / (time.perf_counter() - start)
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--changed", type=float, default=0.1)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    site_pages = pages(args.n)
    start = time.perf_counter()
    for page_url, html in site_pages[:500]:
        parse(ArchivedPage(0, "unis", page_url, html, datetime(2026, 1, 5, tzinfo=UTC)))
    print(f"{'parse only':10} {500 / (time.perf_counter() - start):8.0f} pages/s")
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        schema = f"pw_bench_{int(time.time())}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        targets["postgresql"] = f"{args.postgres}?options=-csearch_path%3D{schema}"
        try:
            for name, url in targets.items():
                build(url, site_pages, args.changed)
                for what, rate in measure(url, args.n).items():
                    print(f"{name:10} {rate:8.0f} versions/s  {what}  (n={args.n})")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
