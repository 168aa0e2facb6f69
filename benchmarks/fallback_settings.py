"""How well each trafilatura setting reads the fixture pages, against the bodies in their JSON.

The shipped fallback runs the default setting once and trims it; the raw rows show what each
setting gives before trimming. benchmarks/extraction_quality.py scores the site parsers too.

Run: ``.venv/bin/python benchmarks/fallback_settings.py`` (prints the Markdown table kept in
docs/fallback.md). Word-level precision and recall are taken over bags of words; "exact"
counts bodies equal to the truth paragraph by paragraph (whitespace normalised).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction_quality import blocks, words  # noqa: E402
from extraction_quality import cases as all_cases  # noqa: E402

from crawler import extract  # noqa: E402


def cases() -> list[tuple[str, str, str, str]]:
    """(name, url, html, true body) of every release fixture page."""
    return [(f"{site}/{name}", url, html, e["body"]) for site, name, url, html, e, _ in all_cases()]


SETTINGS = {"precision": {"favor_precision": True}, "default": {}, "recall": {"favor_recall": True}}


def raw(setting: str):
    """trafilatura's blocks under one setting, untrimmed (as the fallback splits them)."""
    import trafilatura

    def read(url: str, html: str) -> str:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            **SETTINGS[setting],
        )
        body = doc.body if doc is not None else None
        return "\n\n".join(extract.fallback_blocks(body)) if body is not None else ""

    return read


def readers() -> dict[str, object]:
    """Each raw setting, and extract_fallback as shipped (one default extraction, trimmed)."""

    def shipped(url: str, html: str) -> str:
        fields = extract.extract_fallback(url, html)
        return fields.body if fields else ""

    return {
        **{f"trafilatura {s} (raw blocks)": raw(s) for s in SETTINGS},
        "extract_fallback": shipped,
    }


def main() -> None:
    pages = cases()
    print(f"{len(pages)} release fixture pages\n")
    print("| reader | word precision | word recall | F1 | exact | short (<80% recall) | ms/page |")
    print("|---|---|---|---|---|---|---|")
    for name, read in readers().items():
        hit = got = truth = exact = short = 0
        started = time.perf_counter()
        misses, inexact = [], []
        for case, url, html, body in pages:
            text = read(url, html)
            a, b = words(text), words(body)
            overlap = sum((a & b).values())
            hit, got, truth = hit + overlap, got + sum(a.values()), truth + sum(b.values())
            if blocks(text) == blocks(body):
                exact += 1
            else:
                inexact.append(case)
            if overlap < 0.8 * sum(b.values()):
                short += 1
                misses.append(case)
        ms = 1000 * (time.perf_counter() - started) / len(pages)
        p, r = hit / max(got, 1), hit / max(truth, 1)
        f1 = 2 * p * r / max(p + r, 1e-9)
        print(
            f"| {name} | {p:.3f} | {r:.3f} | {f1:.3f} | {exact}/{len(pages)} | {short} | {ms:.0f} |"
        )
        if misses:
            print(f"<!-- {name} short on: {', '.join(misses)} -->")
        if inexact:
            print(f"<!-- {name} not exact on: {', '.join(inexact)} -->")


if __name__ == "__main__":
    main()
