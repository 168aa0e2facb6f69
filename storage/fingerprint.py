"""The canonical form of a release and its content hash: what "changed" means.

The hash covers what a reader sees — title, published date and body — after normalising
what no reader notices: Unicode compatibility forms, whitespace and line wrapping,
non-breaking and zero-width spaces, soft hyphens, quote and dash styles. Any changed word,
number, title or date changes the hash.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
_STYLE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"',
        "\u00bb": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
        "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...",
    }
)  # fmt: skip


def canonical_text(text: str | None) -> str:
    """Text as a reader sees it, with typographic and layout variants folded together."""
    if not text:
        return ""
    if text.isascii():  # nothing to fold but the backtick: NFKC and the tables change nothing
        text = text.replace("`", "'")
    else:
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_STYLE)
    text = " ".join(text.split())
    # Dashes join or separate words whatever their spacing: "2015- " and "2015 – " and
    # "2015—" read the same. Plain string operations: a regex here costs more than the rest.
    while "--" in text:
        text = text.replace("--", "-")
    return text.replace(" -", "-").replace("- ", "-")


def canonical_form(title: str, published: date | None, body: str) -> str:
    """The one string a release's content hash is taken over."""
    day = published.isoformat() if published else ""
    return "\n".join((canonical_text(title), day, canonical_text(body)))


def content_hash(title: str, published: date | None, body: str) -> str:
    """SHA-256 (hex) of the canonical form."""
    return hashlib.sha256(canonical_form(title, published, body).encode("utf-8")).hexdigest()
