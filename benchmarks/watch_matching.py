"""Watches at scale: one event matched against N watches, and the memory N watches take.

Builds N notification targets with watches (``query``: a mix of words, phrases, prefixes and
AND/OR/NOT, half with ``sources``, a quarter with ``match = "changed"``), read through
presswatch.config like a real presswatch.toml, and a release event with a body of
``--words`` words. Times ``scheduler.watch.wanted`` for the event against every watch: the
first pass (the event's text is split into words once) and later passes (cached), and
reports the config's memory (tracemalloc) and the process RSS before and after.

    .venv/bin/python benchmarks/watch_matching.py --watches 1000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

from presswatch.config import parse_config
from scheduler.watch import wanted
from storage.notifications import EventNote

SOURCES = ["osce", "sco", "unis", "unodc"]
VOCABULARY = ["drug", "opioid", "fentanyl", "heroin", "afghanistan", "vienna", "security", "council", "police", "border", "ministers", "cooperation", "water", "trafficking", "crime", "report", "cyber", "election", "observers", "terrorism", "youth", "women", "media", "freedom", "training", "customs"]  # fmt: skip


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query(rng: random.Random) -> str:
    a, b, c = rng.sample(VOCABULARY, 3)
    return rng.choice([f"{a}", f'"{a} {b}"', f"{a[:4]}*", f"{a} OR {b}", f"{a} {b} NOT {c}",
                       f'({a} OR "{b} {c}") AND {c[:3]}*'])  # fmt: skip


def targets(n: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        t = {"type": "log", "name": f"w{i}", "query": query(rng)}
        if i % 2:
            t["sources"] = rng.sample(SOURCES, 2)
        if i % 4 == 0:
            t["match"] = "changed"
        out.append(t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--words", type=int, default=800, help="words in the event's body")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(17)
    before = rss_mib()
    tracemalloc.start()
    config = parse_config({"notify": {"targets": targets(args.watches, rng)}}, SOURCES)
    config_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    after = rss_mib()
    watches = [t.watch for t in config.notify.targets]
    body = " ".join(rng.choice(VOCABULARY + ["the"] * 20) for _ in range(args.words))
    diff = {"fields": ["body"], "added": [body[:200]], "removed": [body[200:400]]}

    def event(n: int) -> EventNote:
        return EventNote(n, "changed", datetime.now(UTC), "unodc", "UNODC", "https://x/1",
                         "A release", date(2026, 1, 1), diff, 1, 2, 1, body=body + str(n),
                         previous_body=body)  # fmt: skip

    firsts, cached = [], []
    for run in range(args.runs):
        e = event(run)  # a new text each run: the first pass splits it into words
        t0 = time.perf_counter()
        hits = sum(wanted(w, e) for w in watches)
        firsts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sum(wanted(w, e) for w in watches)
        cached.append(time.perf_counter() - t0)
    print(f"{args.watches} watches, a {args.words}-word event, {hits} match it")
    print(
        f"match one event against all: median {statistics.median(firsts) * 1000:.1f} ms "
        f"(first pass), {statistics.median(cached) * 1000:.1f} ms (text already split)"
    )
    print(f"config with the watches: {config_bytes / 2**20:.1f} MiB (tracemalloc); "
          f"RSS {before:.1f} → {after:.1f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
