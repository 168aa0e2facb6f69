"""The home page: the newest change events across sources, and their JSON (webhook shape)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.routing import Route

from presswatch.web.releases import Filters, matching_ids
from presswatch.web.render import choice_param, int_param, page_and_api, text_param
from scheduler.options import EVENT_KINDS
from storage import queries
from storage.notifications import EventNote, recent_events

KINDS = (*sorted(EVENT_KINDS), "reparsed")
LIMIT = 50
SEARCH_SCOPE = 500  # a saved search follows the events of its best this many releases


def events(session: Session, request: Request, limit: int = LIMIT) -> list[EventNote]:
    """The newest events, filtered by ``source``, ``kind`` and a search ``q`` in the query."""
    q = text_param(request, "q")
    source = text_param(request, "source")
    releases = None
    if q:
        releases = matching_ids(session, q, Filters(source=source), SEARCH_SCOPE)
    return recent_events(
        session, source=source, kind=choice_param(request, "kind", KINDS), releases=releases,
        limit=int_param(request, "limit", limit, top=1000) or limit,
    )  # fmt: skip


def events_data(request: Request, session: Session) -> dict[str, Any]:
    return {
        "events": events(session, request), "sources": queries.source_keys(session),
        "kinds": KINDS, "source": text_param(request, "source"),
        "kind": text_param(request, "kind"), "q": text_param(request, "q"),
    }  # fmt: skip


events_page, events_api = page_and_api(
    events_data, "events.html", lambda d: [e.to_json() for e in d["events"]]
)


ROUTES = [
    Route("/", events_page, name="events"),
    Route("/api/events", events_api, name="api_events"),
]
