"""Canonical URLs: one release, one URL, however a link to it was written."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def canonical_url(url: str, keep_trailing_slash: bool = False) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters.

    The remaining query parameters are sorted, and a trailing slash on a path other than
    "/" is dropped unless the site needs it (``keep_trailing_slash``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if not keep_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    )
    return urlunsplit((scheme, host, path, urlencode(query), ""))
