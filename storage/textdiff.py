"""Word-level summaries of what changed between two versions of a release."""

from __future__ import annotations

from datetime import date
from difflib import SequenceMatcher
from typing import Any

MAX_SNIPPETS = 5
MAX_SNIPPET_WORDS = 30
CONTEXT_WORDS = 12  # unchanged words shown on each side of a change
PARAGRAPH = "\n\n"  # a token of its own, so paragraph breaks take part in the diff


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


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for paragraph in text.split(PARAGRAPH):
        if tokens:
            tokens.append(PARAGRAPH)
        tokens.extend(paragraph.split())
    return tokens


def _join(tokens: list[str]) -> str:
    return " ".join(tokens).replace(f" {PARAGRAPH} ", PARAGRAPH).replace(PARAGRAPH + " ", PARAGRAPH)


def inline_diff(old: str, new: str, context: int = CONTEXT_WORDS) -> list[tuple[str, str]]:
    """``old`` → ``new`` as (op, text) pieces, op "=", "-" or "+", word by word; [] if equal.

    Paragraph breaks are kept. Of an unchanged stretch, only ``context`` words next to each
    change are kept, and an "…" piece (op "…") stands for the rest.
    """
    a, b = _tokens(old), _tokens(new)
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return []
    last = len(opcodes) - 1
    pieces: list[tuple[str, str]] = []
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag != "equal":
            if i2 > i1:
                pieces.append(("-", _join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("+", _join(b[j1:j2])))
            continue
        same = a[i1:i2]
        after_change = context if n > 0 else 0  # words right after the previous change
        before_change = context if n < last else 0  # words right before the next one
        if len(same) <= after_change + before_change:
            pieces.append(("=", _join(same)))
            continue
        if after_change:
            pieces.append(("=", _join(same[:after_change])))
        pieces.append(("…", "…"))
        if before_change:
            pieces.append(("=", _join(same[-before_change:])))
    return pieces
