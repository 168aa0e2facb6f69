"""Search latency and export throughput on an archive of synthetic releases.

    python benchmarks/search_latency.py [--n 100000] [--queries 50] [--db URL ...]

Builds an archive of ``--n`` releases (~3 KB bodies of Zipf-distributed words from a press
release vocabulary, four sources, published dates over 20 years) by SQL bulk inserts, on a
fresh SQLite file and a fresh PostgreSQL schema (127.0.0.1 ``test``) unless ``--db`` is
given; the search index is kept by the archive's own triggers or generated column. Then
times ``storage.search.search`` (the page, its total and its snippets) over ``--queries``
queries of each kind, with and without a source filter, in both orders, and on SQLite a
plain FTS5 ``MATCH … ORDER BY rank LIMIT 20`` on the same index for reference. Last, the
export of every release as JSON Lines to /dev/null, in releases per second.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, create_engine, insert, text, update
from sqlalchemy.engine import make_url

from storage.db import open_archive
from storage.export import export_rows, write_jsonl
from storage.models import Release, ReleaseVersion, Source
from storage.search import Query, SearchPage, parse_query, search

PLAIN_FTS5 = text("SELECT rowid FROM release_fts WHERE release_fts MATCH :q ORDER BY rank LIMIT 20")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SOURCES = ("osce", "unis", "sco", "unodc")
DOMAIN = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "for",
    "on",
    "is",
    "that",
    "by",
    "with",
    "as",
    "was",
    "at",
    "from",
    "this",
    "be",
    "are",
    "it",
    "has",
    "have",
    "will",
    "an",
    "which",
    "its",
    "their",
    "been",
    "also",
    "not",
    "or",
    "all",
    "were",
    "more",
    "other",
    "international",
    "organization",
    "security",
    "cooperation",
    "united",
    "nations",
    "office",
    "vienna",
    "drugs",
    "crime",
    "police",
    "border",
    "trafficking",
    "human",
    "rights",
    "osce",
    "secretary",
    "general",
    "statement",
    "meeting",
    "conference",
    "states",
    "participating",
    "member",
    "delegation",
    "report",
    "support",
    "government",
    "minister",
    "regional",
    "national",
    "development",
    "peace",
    "countries",
    "programme",
    "training",
    "officials",
    "experts",
    "project",
    "implementation",
    "said",
    "today",
    "week",
    "year",
    "people",
    "law",
    "enforcement",
    "opium",
    "heroin",
    "cocaine",
    "corruption",
    "terrorism",
    "prevention",
    "justice",
    "capacity",
    "women",
    "youth",
    "assistance",
    "agreement",
    "dialogue",
    "economic",
    "environmental",
    "energy",
    "water",
    "migration",
    "elections",
    "observers",
    "mission",
    "field",
    "presence",
    "ambassador",
    "chairmanship",
    "council",
    "summit",
    "declaration",
    "commitment",
    "strategy",
    "framework",
    "initiative",
    "network",
    "workshop",
    "seminar",
    "analysis",
    "survey",
    "data",
    "illicit",
    "cultivation",
    "seizures",
    "laboratories",
    "precursors",
    "smuggling",
    "persons",
    "victims",
    "protection",
    "coordination",
    "partners",
    "donors",
    "funding",
    "children",
    "education",
    "health",
    "media",
    "freedom",
    "journalists",
    "safety",
    "tolerance",
    "discrimination",
    "minorities",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "ze",
    "ban",
    "dor",
    "fel",
    "gim",
    "hul",
    "jas",
    "kev",
    "lun",
    "mor",
    "nis",
    "pal",
    "ques",
    "rin",
    "sul",
    "tor",
]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """The domain's words by frequency rank, then made-up words for the long tail."""
    words = list(dict.fromkeys(DOMAIN))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def sentences(vocab: list[str], count: int, rng: random.Random) -> list[str]:
    """A pool of sentences of Zipf-distributed words (s = 1.07, as English text)."""
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.07 for rank in range(len(vocab))))
    pool = []
    for _ in range(count):
        words = rng.choices(vocab, cum_weights=weights, k=rng.randint(12, 24))
        pool.append(" ".join(words).capitalize() + ".")
    return pool


def build(url: str, n: int, pool: list[str], rng: random.Random) -> Engine:
    """``n`` releases through bulk INSERTs; the index is built by the archive itself."""
    engine, _ = open_archive(url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Source), [{"key": k, "name": k.upper(), "base_url": ""} for k in SOURCES]
        )
        ids = dict(conn.execute(text("SELECT key, id FROM source")).all())
    batch = 2000
    for start in range(0, n, batch):
        releases, versions = [], []
        for i in range(start, min(n, start + batch)):
            body = " ".join(rng.choices(pool, k=20)) + f" Reference ref{i}."
            releases.append({
                "id": i + 1, "source_id": ids[SOURCES[i % 4]], "url": f"https://example.org/r/{i}",
                "status": "active", "first_seen": now, "last_seen": now, "last_changed": now,
                "missing_count": 0,
            })  # fmt: skip
            versions.append({
                "id": i + 1, "release_id": i + 1, "number": 1, "content_hash": f"{i:064x}",
                "title": " ".join(rng.choices(pool, k=1)[0].split()[:8]),
                "published": date(2006, 1, 1) + timedelta(days=rng.randrange(7300)),
                "body": body, "metadata": {}, "method": "site", "parser_version": "bench/1",
                "fetched_at": now,
            })  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Release), releases)
            conn.execute(insert(ReleaseVersion), versions)
            conn.execute(
                update(Release)
                .where(Release.id.between(start + 1, start + batch))
                .values(current_version_id=Release.id)
            )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return engine


def timed(fn: Callable[[Query], object], queries: list[Query]) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``fn`` over the queries."""
    times = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def query_kinds(
    vocab: list[str], pool: list[str], k: int, rng: random.Random
) -> dict[str, list[str]]:
    mid = vocab[50:2000]
    return {
        "common word": [rng.choice(vocab[:15]) for _ in range(k)],
        "rare word": [
            f"ref{rng.randrange(1000)}" if i % 2 else rng.choice(vocab[-5000:]) for i in range(k)
        ],  # fmt: skip
        "two words": [f"{rng.choice(mid)} {rng.choice(mid)}" for _ in range(k)],
        "prefix": [rng.choice(mid)[:4] + "*" for _ in range(k)],
        "phrase": ['"' + " ".join(rng.choice(pool).split()[3:5]) + '"' for _ in range(k)],
    }


def bench(url: str, n: int, k: int, vocab: list[str], pool: list[str]) -> None:
    rng = random.Random(7)
    start = time.perf_counter()
    engine = build(url, n, pool, rng)
    dialect = engine.dialect.name
    print(f"\n{dialect}: {n} releases built in {time.perf_counter() - start:.0f} s")
    _, sessions = open_archive(url)
    print("| query | source filter | relevance median / p95 ms | date median / p95 ms | most matches |"
          + (" plain FTS5 rank median / p95 ms |" if dialect == "sqlite" else ""))  # fmt: skip
    print("|---|---|---|---|---|" + ("---|" if dialect == "sqlite" else ""))
    with sessions() as session:
        for kind, texts in query_kinds(vocab, pool, k, rng).items():
            queries = [parse_query(t) for t in texts]
            for source in (None, "unis"):
                pages: list[SearchPage] = []

                def run(
                    query: Query,
                    order: str,
                    source: str | None = source,
                    pages: list[SearchPage] = pages,
                ) -> None:
                    pages.append(search(session, query, source=source, order=order))  # type: ignore[arg-type]

                rel = timed(lambda q: run(q, "relevance"), queries)
                dat = timed(lambda q: run(q, "date"), queries)
                total = max(p.total for p in pages)
                row = (
                    f"| {kind} | {source or '-'} | {rel[0]:.1f} / {rel[1]:.1f} "
                    f"| {dat[0]:.1f} / {dat[1]:.1f} | {total} |"
                )
                if dialect == "sqlite" and source is None:
                    base = timed(
                        lambda q: session.execute(PLAIN_FTS5, {"q": q.fts5()}).all(), queries
                    )
                    row += f" {base[0]:.1f} / {base[1]:.1f} |"
                elif dialect == "sqlite":
                    row += " |"
                print(row, flush=True)
        start = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as out:
            count = write_jsonl(export_rows(session), out)
        seconds = time.perf_counter() - start
        print(f"\nexport (JSON Lines, every field): {count} releases in {seconds:.1f} s, "
              f"{count / seconds:.0f} releases/s")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument(
        "--db", action="append", help="database URL (default: SQLite and PostgreSQL)"
    )
    args = parser.parse_args()
    rng = random.Random(1)
    vocab = vocabulary(40_000, rng)
    pool = sentences(vocab, 20_000, rng)
    with tempfile.TemporaryDirectory() as tmp:
        urls = args.db or [f"sqlite:///{tmp}/search.db", "postgresql"]
        for url in urls:
            if url != "postgresql":
                bench(url, args.n, args.queries, vocab, pool)
                continue
            schema = f"pw_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                scoped = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
                bench(
                    scoped.render_as_string(hide_password=False), args.n, args.queries, vocab, pool
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
