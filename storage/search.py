"""Full-text search over the archive: one query language, compiled for FTS5 and tsquery.

API (the CLI, the web view, the feeds and the JSON API all use it):

    parse_query(text) -> Query          raises QueryError (a one-line message)
    search(session, query, *, source=None, since=None, until=None, status=None,
           changed_since=None, order="relevance" | "date", limit=20, offset=0) -> SearchPage
    newest_ids(session, query, *, source=None, since=None, until=None, status=None,
               limit=None) -> list[int]       the matches newest first (queries.list_releases)
    SearchPage(total, exact, hits: list[ReleaseHit])
    ReleaseHit(id, url, source, title, published, status, last_changed, snippet, rank)

The language: words (all must match), "exact phrases", prefix* (at least two letters),
AND, OR, NOT (upper case; ``a NOT b``: a without b), parentheses. A word is a run of letters
and digits, matched in any case and nowhere else: ``war`` does not find "warns",
``war*`` does. Punctuation inside a word makes a phrase (``e-mail`` is "e mail").

What is searched: each release's current version, title and body (the first 100,000
characters), indexed by migration 0006 and kept in step by the database itself. Both
engines see the same words, so a query finds the same releases on SQLite and PostgreSQL.

Speed: matches are walked newest first (published date, then release id), which both
engines do from their index without looking at every match. ``order="date"`` is that
walk. ``order="relevance"`` ranks (FTS5 bm25, PostgreSQL ts_rank_cd) the newest
``CANDIDATES`` matches: every match when there are fewer, and for a common word the
most relevant of the recent ones rather than of all. ``total`` counts the matches up to
``CANDIDATES`` (``exact`` is False past that: "200+"), so no query walks them all.
On PostgreSQL a phrase is found through its adjacent word pairs (``search_pairs``,
migration 0007), since GIN keeps no positions; a two-word phrase needs nothing else.

Snippets are built here, not by the engine, so they are the same on both: archived text
HTML-escaped, each matched word wrapped in ``<mark>…</mark>``.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import BindParameter, Date, bindparam, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.models import Release, ReleaseVersion, Source, UTCDateTime

CANDIDATES = 200  # matches ranked for order="relevance", and counted
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_DEPTH = 10  # nested parentheses
MIN_PREFIX = 2  # letters before a *
SNIPPET_WORDS = 30
ID_BITS = 32  # FTS5 rowid: yyyymmdd(published) << 32 | release id (migration 0006)
WORD = re.compile(r"[^\W_]+")
_LEXER = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?\*?)|(?P<paren>[()])|(?P<bare>[^\s"()]+))')
Order = Literal["relevance", "date"]


class QueryError(ValueError):
    """A query that cannot be searched, with a one-line reason."""


@dataclass(frozen=True)
class Term:
    """One word, a phrase (several words in a row) or a prefix (the last word's start)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class All:
    """Every part in ``include`` matches, none in ``exclude`` does."""

    include: tuple[Node, ...]
    exclude: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Any_:
    """At least one part matches."""

    parts: tuple[Node, ...]


Node = Term | All | Any_


@dataclass(frozen=True)
class Query:
    """A parsed query: its tree, and the terms a match is highlighted by."""

    text: str
    root: Node

    @property
    def terms(self) -> list[Term]:
        return list(_positive_terms(self.root))

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every word a quoted string, nothing of the user's raw."""
        return _fts5(self.root)

    def tsquery(self) -> str:
        """The tsquery text for to_tsquery('simple', …): quoted lexemes only."""
        return _tsquery(self.root)

    def pairs(self) -> str:
        """A tsquery of the adjacent word pairs every match has (its phrases' pairs, for
        ``search_pairs``, migration 0007), or ``''`` when it needs none."""
        return " & ".join(_pairs(self.root))

    def rest(self) -> str:
        """``tsquery()`` without the two-word phrases ``pairs()`` answers in full (``''``:
        nothing left), so PostgreSQL reads no text to check them."""
        node = self.root
        if isinstance(node, Term | All):
            include = node.include if isinstance(node, All) else (node,)
            kept = tuple(p for p in include if not _is_pair(p))
            exclude = node.exclude if isinstance(node, All) else ()
            if not kept:
                return " & ".join(f"!{_tsquery(p)}" for p in exclude)
            node = All(kept, exclude) if exclude or len(kept) > 1 else kept[0]
        return _tsquery(node)


@dataclass(frozen=True)
class ReleaseHit:
    id: int
    url: str
    source: str
    title: str
    published: date | None
    status: str
    last_changed: datetime
    snippet: str  # HTML: archived text escaped, matches in <mark>…</mark>
    rank: float | None  # higher is better; None for order="date"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchPage:
    total: int  # the matches of the query and filters, counted up to CANDIDATES
    exact: bool  # False: there are more than ``total``
    hits: list[ReleaseHit]


# --- parsing ------------------------------------------------------------------------------


def _lex(text: str) -> Iterator[tuple[str, str]]:
    for match in _LEXER.finditer(text):
        kind = match.lastgroup
        if kind is not None:
            yield kind, match.group(kind)


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary+; unary := NOT? primary."""

    def __init__(self, text: str) -> None:
        self.tokens = list(_lex(text))
        self.pos = 0
        self.terms = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.any_(0)
        if self.peek() is not None:
            raise QueryError("unbalanced parenthesis: ')' without '('")
        return node

    def any_(self, depth: int) -> Node:
        parts = [self.all_(depth)]
        while self.peek() == ("bare", "OR"):
            self.take()
            if self.peek() in (None, ("paren", ")")):
                raise QueryError("OR needs a word after it")
            parts.append(self.all_(depth))
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def all_(self, depth: int) -> Node:
        include: list[Node] = []
        exclude: list[Node] = []
        while (token := self.peek()) is not None and token not in (("paren", ")"), ("bare", "OR")):
            if token == ("bare", "AND"):
                self.take()
                if not include and not exclude:
                    raise QueryError("AND needs a word before it")
                if self.peek() in (None, ("paren", ")"), ("bare", "OR")):
                    raise QueryError("AND needs a word after it")
                continue
            negated = token == ("bare", "NOT")
            if negated:
                self.take()
            node = self.primary(depth, "NOT" if negated else None)
            if node is not None:
                (exclude if negated else include).append(node)
        if not include:
            if exclude:
                raise QueryError("NOT needs a word to keep before it: 'a NOT b' finds a without b")
            raise QueryError("the query has no word to search for")
        if len(include) == 1 and not exclude:
            return include[0]
        return All(tuple(include), tuple(exclude))

    def primary(self, depth: int, after: str | None) -> Node | None:
        token = self.peek()
        if token is None or token in (("paren", ")"), ("bare", "OR"), ("bare", "AND")):
            raise QueryError(f"{after} needs a word after it")
        kind, value = self.take()
        if value == "(":
            if depth >= MAX_DEPTH:
                raise QueryError(f"too many nested parentheses (at most {MAX_DEPTH})")
            node = self.any_(depth + 1)
            if self.peek() != ("paren", ")"):
                raise QueryError("unbalanced parenthesis: '(' without ')'")
            self.take()
            return node
        if value == "NOT":
            raise QueryError("NOT NOT is not a query")
        return self.term(value.strip('"') if kind == "phrase" else value)

    def term(self, value: str) -> Term | None:
        prefix = value.endswith("*")
        words = tuple(WORD.findall(value.lower()))
        if not words:  # punctuation alone: nothing to find, so nothing to ask for
            if prefix:
                raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters before *")
            return None
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters before *: {value!r}")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError(f"too many words in the query (at most {MAX_TERMS})")
        return Term(words, prefix)


def parse_query(text: str) -> Query:
    """Parse the query language above; QueryError names what is wrong, in one line."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the query is not valid UTF-8 text") from None
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
    return Query(text, _Parser(text.replace("\x00", " ")).parse())


def _positive_terms(node: Node) -> Iterator[Term]:
    if isinstance(node, Term):
        yield node
    else:
        for part in node.include if isinstance(node, All) else node.parts:
            yield from _positive_terms(part)


def _fts5(node: Node) -> str:
    if isinstance(node, Term):
        return '"' + " ".join(node.words).replace('"', '""') + '"' + ("*" if node.prefix else "")
    if isinstance(node, Any_):
        return " OR ".join(f"({_fts5(p)})" for p in node.parts)
    expression = " AND ".join(f"({_fts5(p)})" for p in node.include)
    for part in node.exclude:
        expression = f"({expression}) NOT ({_fts5(part)})"
    return expression


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery(node: Node) -> str:
    if isinstance(node, Term):
        lexemes = [_lexeme(w) for w in node.words]
        if node.prefix:
            lexemes[-1] += ":*"
        return "(" + " <-> ".join(lexemes) + ")"
    if isinstance(node, Any_):
        return "(" + " | ".join(_tsquery(p) for p in node.parts) + ")"
    parts = [_tsquery(p) for p in node.include] + [f"!{_tsquery(p)}" for p in node.exclude]
    return "(" + " & ".join(parts) + ")"


def _is_pair(node: Node) -> bool:
    return isinstance(node, Term) and len(node.words) == 2


def _pairs(node: Node) -> Iterator[str]:
    """The pair lexemes of the phrases a match must have (not those under OR or NOT)."""
    if isinstance(node, All):
        for part in node.include:
            yield from _pairs(part)
    elif isinstance(node, Term):
        for i, (first, second) in enumerate(itertools.pairwise(node.words)):
            prefix = node.prefix and i == len(node.words) - 2
            yield _lexeme(f"{first} {second}") + (":*" if prefix else "")


# --- searching ----------------------------------------------------------------------------


def _day(value: date) -> int:
    return value.year * 10_000 + value.month * 100 + value.day


def _filters(
    dialect: str, source: str | None, since: date | None, until: date | None,
    status: str | None, changed_since: datetime | None,
) -> tuple[list[str], list[BindParameter[Any]]]:  # fmt: skip
    """SQL conditions over ``r`` (release), ``s`` (source) and, on PostgreSQL, ``v``."""
    where: list[str] = []
    binds: list[BindParameter[Any]] = []

    def add(condition: str, name: str, value: Any, type_: Any = None) -> None:
        where.append(condition)
        binds.append(bindparam(name, value, type_=type_))

    if source:
        add("s.key = :source", "source", source)
    if status:
        add("r.status = :status", "status", status)
    if changed_since:
        add("r.last_changed >= :changed_since", "changed_since", changed_since, UTCDateTime())
    if dialect == "sqlite":  # the date is in the rowid: a range FTS5 reads directly
        if since:
            add("f.rowid >= :key_lo", "key_lo", _day(since) << ID_BITS)
        if until:  # a release without a date has key 0: outside every range
            add("f.rowid < :key_hi", "key_hi", (_day(until) + 1) << ID_BITS)
            if not since:
                add("f.rowid >= :key_lo", "key_lo", 1 << ID_BITS)
    else:
        if since:
            add("v.published >= :since", "since", since, Date())
        if until:
            add("v.published <= :until", "until", until, Date())
    return where, binds


def _matches_sql(dialect: str, where: list[str], columns: str) -> str:
    """Every release matching ``:q`` and the filters, newest first (see the module doc)."""
    conditions = " AND ".join(["TRUE", *where])
    if dialect == "sqlite":
        return (
            f"SELECT {columns} FROM release_fts f "
            f"JOIN release r ON r.id = (f.rowid & {(1 << ID_BITS) - 1}) "
            f"JOIN source s ON s.id = r.source_id "
            f"WHERE release_fts MATCH :q AND {conditions} ORDER BY f.rowid DESC"
        )
    return (  # ix_release_version_published walks the versions in this order
        f"SELECT {columns} FROM release_version v "
        f"JOIN release r ON r.current_version_id = v.id "
        f"JOIN source s ON s.id = r.source_id "
        f"WHERE {conditions} "
        f"ORDER BY v.published DESC NULLS LAST, v.release_id DESC"
    )


_SCORE = {
    "sqlite": "-bm25(release_fts)",
    "postgresql": "ts_rank_cd(v.search_vector, to_tsquery('simple', :q))",
}
_HITS = (
    select(
        Release.id,
        Release.url,
        Source.key,
        ReleaseVersion.title,
        ReleaseVersion.published,
        Release.status,
        Release.last_changed,
        ReleaseVersion.body,
    )  # fmt: skip
    .join(ReleaseVersion, ReleaseVersion.id == Release.current_version_id)
    .join(Source, Source.id == Release.source_id)
    .where(Release.id.in_(bindparam("ids", expanding=True)))
)


def search(
    session: Session, query: Query, *, source: str | None = None, since: date | None = None,
    until: date | None = None, status: str | None = None, changed_since: datetime | None = None,
    order: Order = "relevance", limit: int = 20, offset: int = 0,
) -> SearchPage:  # fmt: skip
    """One page of the releases matching ``query`` and the filters (see the module doc).

    Raises QueryError when the engine refuses the query (the session's transaction is then
    rolled back: PostgreSQL aborts it).
    """
    walk = max(CANDIDATES, offset + limit if order == "date" else 0) + 1
    matches = _walk(
        session, query, source, since, until, status, changed_since, walk, order == "relevance"
    )
    exact = len(matches) < walk
    matches = matches[: walk - 1]
    if order == "relevance":  # a stable sort: equal scores stay newest first
        matches.sort(key=lambda m: -m.score)
    ranked = matches[offset : offset + limit]
    rows = {row.id: row for row in session.execute(_HITS, {"ids": [r.id for r in ranked]})}
    terms = query.terms
    hits = [
        ReleaseHit(
            id=row.id,
            url=row.url,
            source=row.key,
            title=row.title,
            published=row.published,
            status=row.status,
            last_changed=row.last_changed,
            snippet=snippet(row.body, terms),
            rank=None if r.score is None else float(r.score),
        )  # fmt: skip
        for r in ranked
        if (row := rows.get(r.id)) is not None  # None: deleted since the walk
    ]
    return SearchPage(len(matches), exact, hits)


def newest_ids(
    session: Session, query: Query, *, source: str | None = None, since: date | None = None,
    until: date | None = None, status: str | None = None, limit: int | None = None,
) -> list[int]:  # fmt: skip
    """The ids of up to ``limit`` releases matching, newest first (the walk ``search`` ranks).

    Raises QueryError as ``search`` does.
    """
    return [m.id for m in _walk(session, query, source, since, until, status, None, limit)]


def _walk(
    session: Session, query: Query, source: str | None, since: date | None,
    until: date | None, status: str | None, changed_since: datetime | None,
    limit: int | None, scored: bool = False,
) -> list[Any]:  # fmt: skip
    """(id, score) of the matches newest first, at most ``limit`` of them."""
    dialect = session.get_bind().dialect.name
    where, binds = _filters(dialect, source, since, until, status, changed_since)
    if dialect == "sqlite" or scored:
        binds.append(bindparam("q", query.fts5() if dialect == "sqlite" else query.tsquery()))
    if dialect == "postgresql":  # the pairs index finds phrases (and answers two words)
        if pairs := query.pairs():
            where.append("v.search_pairs @@ CAST(lower(:pairs) AS tsquery)")
            binds.append(bindparam("pairs", pairs))
        if rest := query.rest():
            where.append("v.search_vector @@ to_tsquery('simple', :rest)")
            binds.append(bindparam("rest", rest))
    score = _SCORE[dialect] if scored else "NULL"
    sql = _matches_sql(dialect, where, f"r.id AS id, {score} AS score")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    try:
        if dialect == "postgresql":  # the plan depends on the words: never a generic one
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        return list(session.execute(text(sql).bindparams(*binds)).all())
    except DBAPIError as exc:
        session.rollback()
        raise QueryError(f"the database refused the query: {_first_line(exc)}") from None


def _first_line(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines()
    return lines[0] if lines else type(exc.orig).__name__


# --- snippets -----------------------------------------------------------------------------


def _matcher(terms: list[Term]) -> Any:
    exact = {w for t in terms for w in (t.words if not t.prefix else t.words[:-1])}
    prefixes = tuple(t.words[-1] for t in terms if t.prefix)
    return lambda word: word in exact or word.startswith(prefixes) if prefixes else word in exact


def snippet(body: str, terms: list[Term], words: int = SNIPPET_WORDS) -> str:
    """About ``words`` words of ``body`` around its densest matches, as escaped HTML."""
    found = list(WORD.finditer(body))
    if not found:
        return html.escape(body[:200])
    is_match = _matcher(terms)
    marked = [is_match(m.group().lower()) for m in found]
    best, best_count, count = 0, -1, 0
    for i, hit in enumerate(marked):  # a sliding window over the words
        count += hit - (marked[i - words] if i >= words else 0)
        if count > best_count:
            best, best_count = max(0, i - words + 1), count
    last = min(len(found), best + words) - 1
    start = found[best].start() if best else 0
    end = found[last].end() if last < len(found) - 1 else len(body)
    pieces = ["…" if start else ""]
    pos = start
    for m, hit in zip(found[best : last + 1], marked[best : last + 1], strict=True):
        if hit:
            pieces += [
                html.escape(body[pos : m.start()]),
                "<mark>",
                html.escape(m.group()),
                "</mark>",
            ]
            pos = m.end()
    pieces += [html.escape(body[pos:end]), "…" if end < len(body) else ""]
    return " ".join("".join(pieces).split())


# --- in Python, over one text -------------------------------------------------------------


@lru_cache(maxsize=256)
def _indexed(text: str) -> tuple[tuple[str, ...], dict[str, list[int]]]:
    """The words of ``text`` as the query language sees them (lower case, in order), and
    where each one stands; cached, since every watch looks at the same event's text."""
    words = tuple(w.lower() for w in WORD.findall(text))
    where: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        where.setdefault(word, []).append(i)
    return words, where


def matches(query: Query, text: str) -> bool:
    """Whether ``text`` matches ``query``, as a search of it would find it."""
    return _holds(query.root, *_indexed(text))


def _holds(node: Node, words: tuple[str, ...], where: dict[str, list[int]]) -> bool:
    if isinstance(node, Any_):
        return any(_holds(p, words, where) for p in node.parts)
    if isinstance(node, All):
        return all(_holds(p, words, where) for p in node.include) and not any(
            _holds(p, words, where) for p in node.exclude
        )
    *head, last = node.words
    if not head:
        return any(w.startswith(last) for w in where) if node.prefix else last in where
    n = len(node.words)
    for i in where.get(head[0], ()):
        if i + n <= len(words) and list(words[i + 1 : i + n - 1]) == head[1:]:
            end = words[i + n - 1]
            if end.startswith(last) if node.prefix else end == last:
                return True
    return False
