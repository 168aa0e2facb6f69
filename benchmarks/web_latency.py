"""Page times of `presswatch web`: median and p95 per page, over HTTP, against a real server.

    python benchmarks/web_latency.py [--db URL] [--releases 100000] [--runs 30]

Without --db it crawls the demo snapshot into a temporary archive (`presswatch demo`); with
--releases N it first writes N synthetic releases (~3 KB bodies, two versions and a
"changed" event for one in ten) into a temporary SQLite archive with bulk inserts. Starts
`presswatch web` on a free 127.0.0.1 port and asks each page --runs times with httpx, one
request at a time, after one warm-up request.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, update

from storage.db import open_archive
from storage.fingerprint import content_hash
from storage.models import ChangeEvent, Release, ReleaseVersion, Source
from storage.textdiff import version_diff

VOCABULARY = ("drug trafficking organised crime police border co-operation participating States Vienna "
         "OSCE UNODC precursors synthetic opiates training officers capacity ministers security "
         "conference agreement money laundering corruption cybercrime judicial Afghanistan heroin "
         "prevention treatment youth cannabis cocaine seizures report annual regional office "
         "the of and to in a for on with by at from that this was is are were has have")  # fmt: skip
WORDS = VOCABULARY.split()
CHUNK = 5000


def _body(rng: random.Random) -> str:
    paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(50, 90))) + "." for _ in range(6)]
    return "\n\n".join(paragraphs)  # ~3 KB


def build_synthetic(url: str, n: int, seed: int = 1) -> None:
    """``n`` releases dealt to four sources; one in ten edited once (two versions, an event)."""
    rng = random.Random(seed)
    engine, sessions = open_archive(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions.begin() as session:
        for key in ("osce", "unis", "sco", "unodc"):
            session.execute(
                insert(Source).values(key=key, name=key.upper(), base_url=f"https://{key}.example")
            )
        sources = dict(session.execute(select(Source.key, Source.id)).all())
    keys = list(sources)
    for first in range(0, n, CHUNK):
        with sessions.begin() as session:
            releases, versions, events = [], [], []
            for i in range(first, min(first + CHUNK, n)):
                at = start + timedelta(minutes=i)
                releases.append({"id": i + 1, "source_id": sources[keys[i % 4]], "url": f"https://{keys[i % 4]}.example/r/{i}",
                                 "status": "active", "first_seen": at, "last_seen": at, "last_changed": at,
                                 "missing_count": 0})  # fmt: skip
            session.execute(insert(Release), releases)
            vid = first * 2
            for r in releases:
                title, body = " ".join(rng.choices(WORDS, k=8)).capitalize(), _body(rng)
                published = date(2010, 1, 1) + timedelta(days=r["id"] % 5000)
                edits = [(title, body)]
                if r["id"] % 10 == 0:
                    edits.append((title, body.replace(" the ", " a ", 2) + " An added sentence."))
                for number, (t, b) in enumerate(edits, 1):
                    vid += 1
                    at = r["first_seen"] + timedelta(days=number - 1)
                    versions.append({"id": vid, "release_id": r["id"], "number": number,
                                     "content_hash": content_hash(t, published, b), "title": t,
                                     "published": published, "body": b, "meta": {}, "method": "site",
                                     "parser_version": "synthetic/1", "fetched_at": at})  # fmt: skip
                    diff = (
                        version_diff((title, published, body), (t, published, b))
                        if number > 1
                        else None
                    )
                    events.append({"kind": "changed" if number > 1 else "new", "release_id": r["id"],
                                   "version_id": vid, "at": at, "diff": diff})  # fmt: skip
                r["current"] = vid
            session.execute(insert(ReleaseVersion), versions)
            session.execute(insert(ChangeEvent), events)
            for r in releases:
                session.execute(
                    update(Release)
                    .where(Release.id == r["id"])
                    .values(current_version_id=r["current"])
                )
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(url: str, runs: int) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from presswatch.cli import main; main()",
            "--db",
            url,
            "web",
            "--port",
            str(port),
        ]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    client.get("/feeds")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            changed = client.get("/api/events", params={"kind": "changed", "limit": 1}).json()[0][
                "release_id"
            ]
            pages = [
                "/", "/?source=osce", "/?kind=changed", "/releases", "/releases?source=unodc",
                "/releases?q=heroin", "/releases?q=trafficking+police", f"/releases/{changed}",
                f"/releases/{changed}/diff", f"/releases/{changed}/diff?view=side", "/sources", "/feeds",
                "/feeds/events.atom", "/feeds/events.atom?kind=changed", "/feeds/events.atom?q=heroin",
                "/api/events", "/api/releases", f"/api/releases/{changed}", f"/api/releases/{changed}/diff",
                "/api/sources",
            ]  # fmt: skip
            print(f"{'page':45} {'median ms':>10} {'p95 ms':>8}")
            for page in pages:
                client.get(page).raise_for_status()
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    client.get(page).raise_for_status()
                    times.append((time.perf_counter() - t0) * 1000)
                p95 = statistics.quantiles(times, n=20)[-1]
                print(f"{page:45} {statistics.median(times):10.1f} {p95:8.1f}", flush=True)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an archive to read, or with --releases an empty one to fill "
                        "(default: a temporary one)")  # fmt: skip
    parser.add_argument(
        "--releases", type=int, default=0, help="synthetic releases (0: the demo crawl)"
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'web.db'}"
        if args.releases:
            t0 = time.perf_counter()
            build_synthetic(url, args.releases)
            print(f"built {args.releases} synthetic releases in {time.perf_counter() - t0:.0f} s")
        elif not args.db:
            subprocess.run([sys.executable, "-c", "from presswatch.cli import main; main()", "--db", url, "demo"],
                           check=True, capture_output=True, cwd=tmp)  # fmt: skip
        measure(url, args.runs)


if __name__ == "__main__":
    main()
