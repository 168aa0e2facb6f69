"""Atom feeds of change events: all, per source, per kind, per saved search (``?q=``).

One entry per event; its id is a tag: URI from the event id, so it never changes; a
"changed" entry carries the word diff as escaped HTML. The XML comes from a template.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from presswatch.web.events import KINDS, events
from presswatch.web.render import archive, env, page, text_param
from storage import queries
from storage.models import Release, ReleaseVersion
from storage.notifications import EventNote

TAG = "tag:presswatch,2026:"  # RFC 4151: entry ids stay the same wherever the feed is served
EXCERPT_WORDS = 80
ENTRIES = 20  # a diff per change: ~3 ms each for 3 KB bodies


def _content(session: Session, note: EventNote) -> str:
    """The entry's HTML: the word diff of a change, else the start of the version's text."""
    if note.version is None:
        return ""
    if note.kind == "changed" and note.previous_version is not None:
        release = session.get(Release, note.release_id)
        try:
            diff = queries.compare_versions(session, release, note.previous_version, note.version)
        except LookupError:
            diff = None
        if diff is not None:
            return env.get_template("_diff_inline.html").render(diff=diff)
    body = session.scalar(
        select(ReleaseVersion.body).where(
            ReleaseVersion.release_id == note.release_id, ReleaseVersion.number == note.version
        )
    ).split()
    excerpt = " ".join(body[:EXCERPT_WORDS]) + (" …" if len(body) > EXCERPT_WORDS else "")
    return env.get_template("_excerpt.html").render(kind=note.kind, excerpt=excerpt)


def feed_title(request: Request) -> str:
    parts = [
        f"{name} {text_param(request, name)}"
        for name in ("source", "kind")
        if text_param(request, name)
    ]
    if q := text_param(request, "q"):
        parts.append(f"matching “{q}”")
    return "presswatch: changes" + (f" ({', '.join(parts)})" if parts else "")


def feed_data(request: Request, session: Session) -> dict[str, Any]:
    notes = events(session, request, ENTRIES)
    return {
        "title": feed_title(request),
        "id": TAG + "feed/" + (request.url.query or "all"),
        "self_url": str(request.url),
        "html": str(request.url_for("events").include_query_params(**request.query_params)),
        "updated": max((n.at for n in notes), default=datetime.now(UTC)),
        "entries": [(n, _content(session, n)) for n in notes],
        "tag": TAG,
    }  # fmt: skip


def atom_feed(request: Request) -> Response:
    with archive(request) as session:
        data = feed_data(request, session)
        xml = env.get_template("atom.xml").render(request=request, **data)
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


def feeds_page(request: Request) -> Response:
    with archive(request) as session:
        sources = queries.source_keys(session)
    return page(request, "feeds.html", {"sources": sources, "kinds": KINDS})


ROUTES = [
    Route("/feeds", feeds_page, name="feeds"),
    Route("/feeds/events.atom", atom_feed, name="feed"),
]
