"""Release pages: the list with filters and search, one release, a diff, the page as fetched."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from presswatch.web.render import (
    api,
    archive,
    choice_param,
    date_param,
    int_param,
    page_and_api,
    text_param,
)
from storage import queries, search
from storage.models import Release, ReleaseVersion

LIMIT = 50
MARK = re.compile(r"</?mark>")


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    since: date | None = None
    until: date | None = None
    status: str | None = None


@dataclass(frozen=True)
class Found:
    """Releases matching a search, with a snippet per release: (text, highlighted) pieces."""

    page: queries.ReleasePage
    snippets: dict[int, list[tuple[str, bool]]]


def matching(session: Session, q: str | None, filters: Filters, limit: int = LIMIT) -> Found:
    """Releases matching ``q`` and ``filters``, newest first, with snippets."""
    query, found = _releases(session, q, filters, limit)
    return Found(found, _snippets(session, [r.id for r in found.rows], query))


def matching_ids(session: Session, q: str, filters: Filters, limit: int) -> list[int]:
    """The ids of the releases matching ``q`` and ``filters``, newest first."""
    return [row.id for row in _releases(session, q, filters, limit)[1].rows]


def _releases(
    session: Session, q: str | None, filters: Filters, limit: int
) -> tuple[search.Query | None, queries.ReleasePage]:
    """The one place the web view and feeds search (storage.search's language; a query it
    refuses is a 400 with its message)."""
    try:
        query = search.parse_query(q) if q else None
        found = queries.list_releases(
            session, filters.source, filters.since, filters.until, filters.status, limit, query
        )
    except search.QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return query, found


def _snippets(
    session: Session, ids: list[int], query: search.Query | None
) -> dict[int, list[tuple[str, bool]]]:
    """Some words of each body around its densest matches: (text, is a match) pieces."""
    if query is None:
        return {}
    bodies = session.execute(
        select(Release.id, ReleaseVersion.body)
        .join(ReleaseVersion, ReleaseVersion.id == Release.current_version_id)
        .where(Release.id.in_(ids))
    )
    return {
        release_id: [
            (html.unescape(piece), i % 2 == 1)  # search.snippet marks matches with <mark>
            for i, piece in enumerate(MARK.split(search.snippet(body, query.terms)))
        ]
        for release_id, body in bodies
    }


def releases_data(request: Request, session: Session) -> dict[str, Any]:
    filters = Filters(
        source=text_param(request, "source"),
        since=date_param(request, "since"),
        until=date_param(request, "until"),
        status=choice_param(request, "status", queries.RELEASE_STATUSES),
    )
    q = text_param(request, "q")
    found = matching(session, q, filters, int_param(request, "limit", LIMIT, top=1000))
    return {"q": q, "filters": filters, "found": found, "sources": queries.source_keys(session)}


releases_page, releases_api = page_and_api(
    releases_data, "releases.html", lambda d: [r.to_json() for r in d["found"].page.rows]
)


def _release(session: Session, request: Request) -> Release:
    release = queries.find_release(session, str(request.path_params["id"]))
    if release is None:
        raise HTTPException(404, f"no release {request.path_params['id']} in the archive")
    return release


def _version(release: Release, number: int | None) -> ReleaseVersion:
    try:
        return queries.find_version(release, number)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


def release_data(request: Request, session: Session) -> dict[str, Any]:
    release = _release(session, request)
    shown = _version(release, int_param(request, "version"))
    history = queries.history(session, release)
    previous = queries.previous_version(session, release, shown.number)
    return {
        "release": queries.release_json(release, shown), "history": history,
        "previous": previous, "has_page": shown.raw_html is not None,
    }  # fmt: skip


release_page, release_api = page_and_api(release_data, "release.html", lambda d: d["release"])


def history_api(request: Request) -> Response:
    with archive(request) as session:
        return api(queries.history(session, _release(session, request)))


def diff_data(request: Request, session: Session) -> dict[str, Any]:
    release = _release(session, request)
    try:
        diff = queries.compare_versions(
            session, release, int_param(request, "from"), int_param(request, "to")
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    return {
        "diff": diff, "view": choice_param(request, "view", ("inline", "side")) or "inline",
        "numbers": [v.number for v in release.versions],
    }  # fmt: skip


diff_page, diff_api = page_and_api(diff_data, "diff.html", lambda d: d["diff"])


def _kept_page(session: Session, request: Request) -> tuple[Release, int, str, str]:
    """The release, version number, encoding and decoded text of a kept page."""
    from w3lib.encoding import html_to_unicode

    release = _release(session, request)
    version = _version(release, request.path_params["number"])
    html = queries.raw_html(version)
    if html is None:
        raise HTTPException(404, f"no page kept for version {version.number}")
    encoding, text = html_to_unicode(None, html)
    return release, version.number, encoding, text


def page_text(request: Request) -> Response:
    """The page a version was read from, as plain text: never markup from this origin."""
    with archive(request) as session:
        release, number, _, text = _kept_page(session, request)
    name = f"release-{release.id}-v{number}.html.txt"
    return Response(
        text, media_type="text/plain; charset=utf-8",
        headers={"Content-Security-Policy": "sandbox", "Content-Disposition": f'inline; filename="{name}"'},
    )  # fmt: skip


def page_api(request: Request) -> Response:
    with archive(request) as session:
        release, number, encoding, text = _kept_page(session, request)
    return api(
        {
            "id": release.id,
            "url": release.url,
            "version": number,
            "encoding": encoding,
            "html": text,
        }
    )


ROUTES = [
    Route("/releases", releases_page, name="releases"),
    Route("/releases/{id:int}", release_page, name="release"),
    Route("/releases/{id:int}/diff", diff_page, name="diff"),
    Route("/releases/{id:int}/versions/{number:int}/page.txt", page_text, name="page_text"),
    Route("/api/releases", releases_api, name="api_releases"),
    Route("/api/releases/{id:int}", release_api, name="api_release"),
    Route("/api/releases/{id:int}/history", history_api, name="api_history"),
    Route("/api/releases/{id:int}/diff", diff_api, name="api_diff"),
    Route("/api/releases/{id:int}/versions/{number:int}/html", page_api, name="api_page"),
]
