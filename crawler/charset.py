"""Which encoding a page is really in when its Content-Type header says otherwise.

Scrapy (w3lib's ``html_to_unicode``) trusts a byte order mark first, then the header's
charset, then the page's ``<meta charset>``. A server that declares windows-1251 or
iso-8859-1 for a UTF-8 page makes every accented letter mojibake ("Ã©", "â€™", "Г©"),
and the archive would record that as an edit. The page's own evidence wins here when it
contradicts the header: bytes that are valid UTF-8 (text in a single-byte encoding almost
never is), or a ``<meta charset>`` whose reading is plausible where the header's is not.
"""

from __future__ import annotations

import re

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

UTF8 = "utf-8"
# Words written in a non-Latin script but read as Latin-1/cp1252 ("Ïðåäñòàâèòåëè") are
# almost all non-ASCII letters; French or German words have one or two accented letters.
MISREAD_SHARE = 0.6
_NON_ASCII_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f\W\d_][^\W\d_]*")
_LATIN_8BIT = frozenset({"cp1252", "iso8859-1", "iso8859-15", "latin-1"})


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def looks_misread(text: str) -> bool:
    """Whether text read as Latin-1/cp1252 is really another script (mostly 8-bit letters)."""
    words = _NON_ASCII_WORD.findall(text)
    letters = sum(len(w) for w in words)
    high = sum(1 for w in words for c in w if ord(c) > 0x7F)
    return letters > 0 and high / letters > MISREAD_SHARE


def corrected_encoding(content_type: str | None, body: bytes) -> tuple[str, str] | None:
    """``(encoding, why)`` when the page contradicts its header's charset, else None.

    None also when the header names no charset or the body starts with a BOM: Scrapy then
    reads the page's own declaration or the BOM already.
    """
    header = http_content_type_encoding(content_type)
    if header is None or read_bom(body)[0] is not None:
        return None
    declared = html_body_declared_encoding(body)
    declared = resolve_encoding(declared) if declared else None
    if header == UTF8:
        if _decodes(body, UTF8) or not declared or declared == UTF8:
            return None
        if _decodes(body, declared):
            return declared, f"header says utf-8 but the body is not; the page declares {declared}"
        return None
    if not body.isascii() and _decodes(body, UTF8):
        return UTF8, f"header says {header} but the body is UTF-8"
    if (
        declared
        and declared != header
        and header in _LATIN_8BIT
        and _decodes(body, declared)
        and looks_misread(body.decode(header, "replace"))
    ):
        return declared, f"header says {header}; the page declares {declared}, and reads as it"
    return None
