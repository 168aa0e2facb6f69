"""Canonical URLs: one release, one URL, however a link to it was written."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset(
    [
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "spm",
    ]
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
# A URL every rule below leaves as it is: lower-case host, no port, query or fragment, path
# segments of unreserved characters (none a dot segment, no trailing slash). Most release
# URLs are written so; they skip w3lib, the slow part.
_PLAIN = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/|(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)+)")


def canonical_url(url: str, keep_trailing_slash: bool = False) -> str:
    """One spelling per URL: w3lib's canonical form, then presswatch's own rules.

    w3lib (``canonicalize_url``) settles the encoding: ``/a%2fb`` and ``/a%2Fb``, ``/café``
    and ``/caf%C3%A9``, ``%7e`` and ``~`` are one URL; an IDN host becomes punycode; query
    parameters are sorted; the fragment goes. On top: lower-case scheme and host, no
    trailing dot or default port, no tracking parameters, and a trailing slash on a path
    other than "/" dropped unless the site needs it (``keep_trailing_slash``).
    Raises ValueError for a URL that cannot be read (``http://[::1``, port 99999).
    """
    return url if _PLAIN.fullmatch(url) else _rewrite(url, keep_trailing_slash)


def _rewrite(url: str, keep_trailing_slash: bool) -> str:
    parts = urlsplit(canonicalize_url(url.strip(), keep_blank_values=True))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if not keep_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    return urlunsplit((scheme, host, path, query, ""))


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.split("=", 1)[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)
