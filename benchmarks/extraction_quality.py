"""Body quality of the fallback and of each site's reading, and the fallback's speed.

Run from the repository root: ``.venv/bin/python benchmarks/extraction_quality.py [--speed]``.
Every release fixture page (tests/fixtures/<site>/*.json with "page": "release" and a body)
is read three ways, each scored against the body in its JSON:

- **fallback**: ``crawler.extract.extract_fallback`` alone, on every page;
- **site parser**: the parser of the page's crawl date, alone (``parse_release``);
- **read_release**: what a crawl records (parsers across eras, then the fallback).

Word precision and recall are over bags of words; **exact** counts bodies equal to the truth
paragraph by paragraph (whitespace normalised). ``--speed`` times the fallback next to one
plain ``trafilatura.extract`` on the same pages (median of ``--repeat`` runs per page).
To measure another checkout's code, put it first: ``PYTHONPATH=/path/to/old ...``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path

import trafilatura

from crawler import extract
from crawler.sites import SITE_MODULES, get_site, read_release

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
WORD = re.compile(r"\w+", re.UNICODE)
Case = tuple[str, str, str, str, dict, date | None]  # site, name, url, html, expected, crawled


def cases() -> list[Case]:
    found = []
    for spec_path in sorted(FIXTURES.glob("*/*.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        body = spec.get("expected", {}).get("body")
        if spec.get("page") != "release" or not body:
            continue
        html = spec_path.with_suffix(".html").read_bytes().decode(spec.get("encoding", "utf-8"))
        crawled = date.fromisoformat(spec["crawled"]) if "crawled" in spec else None
        found.append(
            (spec_path.parent.name, spec_path.stem, spec["url"], html, spec["expected"], crawled)
        )
    return found


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in WORD.findall(text))


def blocks(text: str) -> list[str]:
    return [extract.clean_text(p) for p in extract.paragraphs_of(text)]


def score(pairs: list[tuple[str, str, str]]) -> tuple[float, float, int, list[str]]:
    """(precision, recall, exact count, names not exact) over (name, read, truth) pairs."""
    hit = got = truth = exact = 0
    wrong = []
    for name, text, body in pairs:
        a, b = words(text), words(body)
        hit, got, truth = hit + sum((a & b).values()), got + a.total(), truth + b.total()
        if blocks(text) == blocks(body):
            exact += 1
        else:
            wrong.append(name)
    return hit / max(got, 1), hit / max(truth, 1), exact, wrong


def fallback_body(url: str, html: str) -> str:
    fields = extract.extract_fallback(url, html)
    return fields.body if fields else ""


def parser_body(site: str, url: str, html: str, crawled: date | None) -> str:
    fields = get_site(site).parser_for(crawled).parse_release(url, html)
    return fields.body if fields else ""


def recorded(site: str, url: str, html: str, crawled: date | None) -> dict:
    """The fields a crawl records, as in the fixture JSON ({} when the page is unreadable)."""
    try:
        fields = read_release(get_site(site), url, html, crawled)
    except Exception:  # noqa: BLE001 - an unreadable page scores as an empty body
        return {}
    return json.loads(json.dumps(asdict(fields), default=lambda v: v.isoformat()))


def quality(pages: list[Case]) -> None:
    rows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    all_fields: dict[str, list[str]] = defaultdict(list)  # reader: pages with a field wrong
    for site, name, url, html, expected, crawled in pages:
        case, body = f"{site}/{name}", expected["body"]
        rows["fallback (all pages)"].append((case, fallback_body(url, html), body))
        if site in SITE_MODULES:
            rows[f"{site} parser of the crawl date"].append(
                (case, parser_body(site, url, html, crawled), body)
            )
            got = recorded(site, url, html, crawled)
            rows[f"{site} read_release"].append((case, got.get("body", ""), body))
            if any(got.get(k) != v for k, v in expected.items()):
                all_fields[f"{site} read_release"].append(case)
    print("| reader | pages | word precision | word recall | exact body | all fields right |")
    print("|---|---|---|---|---|---|")
    for reader, pairs in rows.items():
        p, r, exact, wrong = score(pairs)
        right = f"{len(pairs) - len(all_fields[reader])}/{len(pairs)}" if "read_" in reader else ""
        print(f"| {reader} | {len(pairs)} | {p:.3f} | {r:.3f} | {exact}/{len(pairs)} | {right} |")
        if wrong:
            print(f"<!-- {reader} not exact: {', '.join(wrong)} -->")
        if all_fields[reader]:
            print(f"<!-- {reader} fields wrong: {', '.join(all_fields[reader])} -->")


def median_ms(read: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        read()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def speed(pages: list[Case], repeat: int) -> None:
    plain = fallback = 0.0
    for _site, _name, url, html, _expected, _crawled in pages:
        plain += median_ms(lambda u=url, h=html: trafilatura.extract(h, url=u), repeat)
        fallback += median_ms(lambda u=url, h=html: extract.extract_fallback(u, h), repeat)
    n = len(pages)
    print(f"\n{n} pages, median of {repeat} runs each")
    print("| reader | ms/page | × plain trafilatura |\n|---|---|---|")
    print(f"| trafilatura.extract (plain) | {plain / n:.1f} | 1.00 |")
    print(f"| extract_fallback | {fallback / n:.1f} | {fallback / plain:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true", help="also time the fallback")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    pages = cases()
    print(f"{len(pages)} release fixture pages\n")
    quality(pages)
    if args.speed:
        extract.extract_fallback(pages[0][2], pages[0][3])  # imports and caches out of the timing
        speed(pages, args.repeat)


if __name__ == "__main__":
    main()
