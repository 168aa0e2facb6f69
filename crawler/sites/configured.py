"""Configured sources: a news site described in presswatch.toml instead of a Python module.

A ``[sources.KEY]`` table names how releases are found (a ``feed``, a ``sitemap`` or a
``listing`` page with ``links``/``next`` selectors) and, optionally, CSS or XPath selectors
for the title, date and body, nodes to remove, and ignore rules. ``spec_from_dict`` checks
it and names the bad key; ``configured_site`` turns it into a Site whose pages are read with
the selectors where given and the fallback (crawler.extract) for the rest. The reference is
docs/sources.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector, SelectorList

from crawler.extract import (
    block_text,
    clean_text,
    extract_fallback,
    fallback_date,
    fallback_title,
    node_text,
    paragraphs_of,
    parse_date,
)
from crawler.sites.base import (
    ListingEntry,
    ListingPage,
    ReleaseFields,
    SelectorProblem,
    Site,
    SiteParser,
    UnreadablePage,
)

KINDS = ("feed", "sitemap", "listing")  # how a configured source's releases are found
SITE_KEYS = ("name", "url", *KINDS, "links", "next", "release_pattern", "select", "ignore")
SELECT_FIELDS = ("title", "date", "body")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")  # storage: Source.key is 40 characters
FUTURE_SLACK = timedelta(days=1)  # a site a time zone ahead may already be on tomorrow
_PROBE = Selector(text="<html><body></body></html>")


@dataclass(frozen=True)
class SiteSpec:
    """A configured source: where its releases are listed and how its pages are read."""

    key: str
    name: str
    url: str  # the site's base URL
    kind: str  # feed | sitemap | listing
    start: str  # the feed, sitemap or first listing page
    links: str | None = None  # listing: CSS for release links
    next: str | None = None  # listing: CSS for the next page link
    release_pattern: str | None = None  # only URLs matching it are releases
    select: dict[str, str] = field(default_factory=dict)  # title, date, body
    remove: tuple[str, ...] = ()
    ignore_patterns: tuple[str, ...] = ()
    ignore_selectors: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SiteSpec:
        return cls.from_data(json.loads(text))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SiteSpec:
        """From ``json.loads(spec.to_json())`` (scheduler.options.SourceConfig.site)."""
        lists = {
            n: tuple(data.get(n, ())) for n in ("remove", "ignore_patterns", "ignore_selectors")
        }
        return cls(**{**data, **lists})

    @property
    def reading_version(self) -> str:
        """Names how pages are read (selectors, ignore rules), so a new definition shows."""
        reading = [self.select, self.remove, self.ignore_patterns, self.ignore_selectors]
        digest = hashlib.sha256(json.dumps(reading, sort_keys=True).encode()).hexdigest()
        return f"{self.key}/config-{digest[:8]}"


# --- checking a [sources.KEY] table ------------------------------------------------------


def spec_from_dict(key: str, data: dict[str, Any]) -> SiteSpec:
    """The SiteSpec of ``[sources.KEY]``; ValueError naming the key (``sources.esn.links: …``).

    Keys other than SITE_KEYS (schedule, revisit, politeness…) are left to the caller.
    """
    prefix = f"sources.{key}"
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"{prefix}: a source key is lower-case letters, digits, - and _")
    kinds = [kind for kind in KINDS if kind in data]
    if len(kinds) != 1:
        found = " and ".join(kinds) or "none"
        raise ValueError(f"{prefix}: give exactly one of feed, sitemap, listing (got {found})")
    kind = kinds[0]
    url = _url(data, "url", prefix, required=True)
    assert url is not None
    start = _url(data, kind, prefix, base=url, required=True)
    assert start is not None
    links, next_page = _string(data, "links", prefix), _string(data, "next", prefix)
    if kind == "listing" and links is None:
        raise ValueError(f"{prefix}.links: a listing needs a CSS selector for release links")
    for name, query in (("links", links), ("next", next_page)):
        if query is not None and kind != "listing":
            raise ValueError(f"{prefix}.{name}: only a listing takes {name}")
        if query is not None:
            _check_query(query, f"{prefix}.{name}", css_only=True)
    pattern = _string(data, "release_pattern", prefix)
    if pattern is not None:
        _check_regex(pattern, f"{prefix}.release_pattern")
    select = _table(data, "select", prefix, (*SELECT_FIELDS, "remove"))
    chosen = {}
    for name in SELECT_FIELDS:
        if (query := _string(select, name, f"{prefix}.select")) is not None:
            chosen[name] = _check_query(query, f"{prefix}.select.{name}")
    remove = _queries(select, "remove", f"{prefix}.select")
    ignore = _table(data, "ignore", prefix, ("patterns", "selectors"))
    patterns = _strings(ignore, "patterns", f"{prefix}.ignore")
    for i, ignored in enumerate(patterns):
        _check_regex(ignored, f"{prefix}.ignore.patterns[{i}]")
    return SiteSpec(
        key=key, name=_string(data, "name", prefix) or key, url=url, kind=kind, start=start,
        links=links, next=next_page, release_pattern=pattern, select=chosen, remove=remove,
        ignore_patterns=patterns, ignore_selectors=_queries(ignore, "selectors", f"{prefix}.ignore"),
    )  # fmt: skip


def _string(data: dict[str, Any], name: str, prefix: str) -> str | None:
    value = data.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{prefix}.{name}: expected a non-empty string, got {value!r}")
    return value.strip() if value is not None else None


def _strings(data: dict[str, Any], name: str, prefix: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{prefix}.{name}: expected a list of strings, got {value!r}")
    return tuple(value)


def _table(data: dict[str, Any], name: str, prefix: str, keys: tuple[str, ...]) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ValueError(f"{prefix}.{name}: expected a table, got {table!r}")
    if unknown := sorted(set(table) - set(keys)):
        raise ValueError(f"{prefix}.{name}.{unknown[0]}: unknown key (known: {', '.join(keys)})")
    return table


def _url(
    data: dict[str, Any], name: str, prefix: str, base: str = "", required: bool = False
) -> str | None:
    value = _string(data, name, prefix)
    if value is None:
        if required:
            raise ValueError(f"{prefix}.{name}: required (an http(s) URL)")
        return None
    url = urljoin(base, value)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ValueError(f"{prefix}.{name}: {value!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{prefix}.{name}: expected an http(s) URL, got {value!r}")
    return url


def _queries(data: dict[str, Any], name: str, prefix: str) -> tuple[str, ...]:
    queries = _strings(data, name, prefix)
    for i, query in enumerate(queries):
        _check_query(query, f"{prefix}.{name}[{i}]")
    return queries


def is_xpath(query: str) -> bool:
    """Selectors starting with "/" or "(" are XPath; the others are CSS."""
    return query.startswith(("/", "("))


def _check_query(query: str, key: str, css_only: bool = False) -> str:
    if css_only and is_xpath(query):
        raise ValueError(f"{key}: expected a CSS selector, got XPath {query!r}")
    try:
        run_query(_PROBE, query)
    except (ValueError, SyntaxError, RuntimeError) as exc:  # cssselect's errors are these
        what = "XPath" if is_xpath(query) else "CSS selector"
        raise ValueError(f"{key}: {query!r} is not a valid {what} ({exc})") from None
    return query


def _check_regex(pattern: str, key: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{key}: {pattern!r} is not a regular expression ({exc})") from None


# --- reading pages -----------------------------------------------------------------------


def run_query(sel: Selector, query: str) -> SelectorList[Selector]:
    return sel.xpath(query) if is_xpath(query) else sel.css(query)


def _value(nodes: SelectorList[Selector]) -> str | None:
    """The text of the first match: an attribute's or text node's value, or an element's text."""
    if not nodes:
        return None
    first = nodes[0]
    if isinstance(first.root, str):
        return clean_text(first.root) or None
    return node_text(first)


def _drop(sel: Selector, queries: tuple[str, ...]) -> None:
    """Remove the nodes the queries match from the tree (their tail text stays)."""
    for query in queries:
        for node in run_query(sel, query):
            if not isinstance(node.root, str) and node.root.getparent() is not None:
                node.root.drop_tree()


class ConfiguredParser(SiteParser):
    """Reads the pages of one configured source (``spec``, set by ``configured_site``)."""

    spec: SiteSpec

    def parse_listing(self, url: str, html: str) -> ListingPage:
        """The release links of a listing page (none for a feed or sitemap source: it has no
        listing pages, so a page checked for being one finds none)."""
        spec, sel = self.spec, Selector(text=html)
        if spec.links is None:
            return ListingPage([])
        entries = []
        for node in sel.css(spec.links):
            href = link_target(node)
            if href:
                title = None if isinstance(node.root, str) else node_text(node)
                entries.append(ListingEntry(urljoin(url, href), title))
        found = sel.css(spec.next) if spec.next else []
        next_href = link_target(found[0]) if found else None
        return ListingPage(entries, urljoin(url, next_href) if next_href else None)

    def read(self, url: str, html: str, fetched: date | None = None) -> ReleaseFields:
        """A release page: the selectors where given, the fallback for the rest, the ignore
        rules applied first. A selector that matches nothing, a date that is not one or lies
        in the future raise UnreadablePage naming the key: an error of the run, not a change.
        """
        spec, today = self.spec, fetched or date.today()
        sel = Selector(text=html)
        _drop(sel, spec.remove + spec.ignore_selectors)
        chosen = {name: run_query(sel, query) for name, query in spec.select.items()}
        for name, nodes in chosen.items():
            if not nodes:
                raise SelectorProblem(f"sources.{spec.key}.select.{name} matched nothing")
        fallback = None
        if "body" in chosen:
            body = block_text(chosen["body"], split_breaks=True)  # old CMSs: <br><br>
            method, version = "site", spec.reading_version
        else:
            dropped = spec.remove or spec.ignore_selectors
            fallback = extract_fallback(url, sel.get() if dropped else html, today=today)
            if fallback is None:
                raise UnreadablePage("no article body found (the fallback found no release)")
            body = fallback.body
            method, version = "fallback", f"{spec.reading_version}+{fallback.parser_version}"
        body = self.without_ignored(body)
        if not body and "body" in chosen:
            raise SelectorProblem(f"sources.{spec.key}.select.body matched no text")
        if not body:
            raise UnreadablePage("no article body left after the ignore rules")
        if "title" in chosen:
            if not (title := _value(chosen["title"])):
                raise SelectorProblem(f"sources.{spec.key}.select.title matched no text")
        else:
            title = fallback.title if fallback else fallback_title(sel, today)
        return ReleaseFields(
            title=self.without_ignored(title or ""),
            body=body,
            published=self.published(url, sel, chosen, fallback, body, today),
            place=fallback.place if fallback else None,
            metadata=fallback.metadata if fallback else {},
            method=method,
            parser_version=version,
        )

    def parse_release(self, url: str, html: str) -> ReleaseFields:
        return self.read(url, html)

    def published(
        self, url: str, sel: Selector, chosen: dict[str, SelectorList[Selector]],
        fallback: ReleaseFields | None, body: str, today: date,
    ) -> date | None:  # fmt: skip
        if "date" not in chosen:
            if fallback is not None:
                return fallback.published
            return fallback_date(url, sel, today, paragraphs_of(body)[0])
        text = _value(chosen["date"])
        key = f"sources.{self.spec.key}.select.date"
        found = parse_date(text)
        if found is None:
            raise SelectorProblem(f"{key} matched no date", f"{text!r}")
        if found > today + FUTURE_SLACK:
            raise SelectorProblem(f"{key} matched a date in the future", f"{found}")
        return found

    def without_ignored(self, text: str) -> str:
        """``text`` without what the ignore patterns match, paragraph by paragraph."""
        if not self.spec.ignore_patterns:
            return text
        paragraphs = []
        for paragraph in paragraphs_of(text):
            for pattern in self.spec.ignore_patterns:
                paragraph = re.sub(pattern, " ", paragraph)
            if cleaned := clean_text(paragraph):
                paragraphs.append(cleaned)
        return "\n\n".join(paragraphs)


def link_target(node: Selector) -> str | None:
    """A link's target: the node's own value (``::attr(href)``), its href, or its first link's."""
    if isinstance(node.root, str):
        return node.root.strip() or None
    return node.attrib.get("href") or node.css("a::attr(href)").get()


def configured_site(spec: SiteSpec) -> Site:
    """The Site of a configured source: it reads its pages itself (ConfiguredParser.read)."""
    version = spec.reading_version.partition("/")[2]  # a new definition is a new parser
    parser_class = type(
        f"Configured_{spec.key}", (ConfiguredParser,), {"spec": spec, "version": version}
    )
    parser = parser_class()
    pattern = re.compile(spec.release_pattern) if spec.release_pattern else None
    coverage = {"title": 1.0, "body": 1.0} | ({"published": 1.0} if "date" in spec.select else {})
    return Site(
        key=spec.key,
        name=spec.name,
        base_url=spec.url,
        start_urls=(spec.start,),
        parsers=(parser_class,),
        expected_coverage=coverage,
        is_release_url=lambda url: bool(pattern.search(url)) if pattern else True,
        reader=parser.read,
        fallback_expected="body" not in spec.select,
    )
