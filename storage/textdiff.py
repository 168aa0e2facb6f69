"""Word-level summaries of what changed between two versions of a release."""

from __future__ import annotations

from datetime import date
from difflib import SequenceMatcher
from typing import Any

MAX_SNIPPETS = 5
MAX_SNIPPET_WORDS = 30


def _snippet(words: list[str]) -> str:
    text = " ".join(words[:MAX_SNIPPET_WORDS])
    return text + (" …" if len(words) > MAX_SNIPPET_WORDS else "")


def word_diff(old: str, new: str) -> dict[str, Any]:
    """Counts and first snippets of the words removed from ``old`` and added in ``new``."""
    a, b = old.split(), new.split()
    added: list[str] = []
    removed: list[str] = []
    n_added = n_removed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            n_removed += i2 - i1
            if len(removed) < MAX_SNIPPETS:
                removed.append(_snippet(a[i1:i2]))
        if tag in ("insert", "replace"):
            n_added += j2 - j1
            if len(added) < MAX_SNIPPETS:
                added.append(_snippet(b[j1:j2]))
    return {"words_added": n_added, "words_removed": n_removed, "added": added, "removed": removed}


def version_diff(
    old: tuple[str, date | None, str], new: tuple[str, date | None, str]
) -> dict[str, Any]:
    """What differs between two (title, published, body) triples, for a "changed" event."""
    fields = [
        name for name, x, y in zip(("title", "published", "body"), old, new, strict=True) if x != y
    ]
    summary: dict[str, Any] = {"fields": fields, **word_diff(old[2], new[2])}
    if "title" in fields:
        summary["title"] = {"old": old[0], "new": new[0]}
    if "published" in fields:
        summary["published"] = {
            "old": old[1].isoformat() if old[1] else None,
            "new": new[1].isoformat() if new[1] else None,
        }
    return summary
