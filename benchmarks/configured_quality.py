"""Body quality and speed of the configured-source reading, with and without selectors.

    python benchmarks/configured_quality.py [--repeat 5]

Pages: the Northsea WordPress newsroom (tests/fixtures/configured/northsea, every post page
of every state, truth: the post's paragraphs) and tests/fixtures/generic (truth: the body in
each JSON). Each page is read as a configured source would read it (crawler.sites.configured
through crawler.sites.read_with_eras) twice: with no selectors (the generic reading) and with
a body selector written for the page's markup, as a user would write it (SELECTORS). Word
precision, recall and exact bodies are scored as in extraction_quality.py; ms/page is the
median of ``--repeat`` readings per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from configured_site import POSTS, SNAPSHOT, STATES, posts_in  # noqa: E402
from extraction_quality import score  # noqa: E402

from crawler.replay.snapshot import manifest_name  # noqa: E402
from crawler.sites import read_with_eras  # noqa: E402
from crawler.sites.configured import configured_site, spec_from_dict  # noqa: E402

GENERIC = ROOT / "tests" / "fixtures" / "generic"
WORDPRESS = {"body": "div.entry-content", "remove": [".sharedaddy", ".wp-caption", ".post-views"]}
SELECTORS = {  # a body selector per page, read off its markup
    "br-paragraphs-2016": {"body": "div.news-text-wrap"},
    "europesecuritynews": {"body": "div.entry", "remove": [".wp-caption"]},
    "lead-before-heading": {"body": "p.story__standfirst, div.story__body"},
    "loose-text-2011": {"body": "div.article-content"},
    "nested-tables-2004": {"body": "td.text"},
    "precision-drops-dateline": {"body": "#main", "remove": ["h1"]},
    "structured-metadata": {"body": "div.release__text"},
    "styled-block": {"body": "div.news-body"},
    "typo3-wrapper-2016": {
        "body": "div.news-single div.article",
        "remove": ["h1", ".news-single-links"],
    },
}
Case = tuple[str, str, str, str, dict]  # name, url, html, truth, selectors


def cases() -> list[Case]:
    found: dict[str, Case] = {}
    for state in (None, *STATES):
        manifest = json.loads((SNAPSHOT / manifest_name(state)).read_text("utf-8"))
        files = {page["url"]: page.get("file") for page in manifest["pages"]}
        for post in posts_in(state):
            html = (SNAPSHOT / files[post.url]).read_text("utf-8")
            found.setdefault(html, (f"northsea/{post.slug}", post.url, html, post.body, WORDPRESS))
    for spec_path in sorted(GENERIC.glob("*.json")):
        spec = json.loads(spec_path.read_text("utf-8"))
        html = spec_path.with_suffix(".html").read_bytes().decode(spec.get("encoding", "utf-8"))
        truth = spec["expected"]["body"]
        found[html] = (
            f"generic/{spec_path.stem}",
            spec["url"],
            html,
            truth,
            SELECTORS[spec_path.stem],
        )
    return list(found.values())


def read(url: str, html: str, select: dict) -> tuple[str, float]:
    site = configured_site(spec_from_dict("bench", {"url": url, "feed": url, "select": select}))
    start = time.perf_counter()
    try:
        body = read_with_eras(site, url, html)[0].body
    except Exception:  # noqa: BLE001 - an unreadable page scores as an empty body
        body = ""
    return body, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    found = cases()
    assert len([c for c in found if c[0].startswith("northsea")]) >= len(POSTS)
    for group in ("northsea", "generic"):
        subset = [c for c in found if c[0].startswith(group)]
        for label, use in (("no selectors", False), ("body selector", True)):
            pairs, times = [], []
            for name, url, html, truth, select in subset:
                readings = [read(url, html, select if use else {}) for _ in range(args.repeat)]
                pairs.append((name, readings[0][0], truth))
                times.append(statistics.median(ms for _, ms in readings))
            precision, recall, exact, wrong = score(pairs)
            print(f"{group:9} {label:14} {len(subset):2} pages  precision {precision:.3f}  "
                  f"recall {recall:.3f}  exact {exact}/{len(subset)}  "
                  f"{statistics.mean(times):6.1f} ms/page  not exact: {', '.join(wrong) or '-'}")  # fmt: skip


if __name__ == "__main__":
    main()
