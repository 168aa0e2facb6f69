"""Sources and their health: schedule, last runs with their outcome, coverage and errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request
from starlette.routing import Route

from presswatch.daemon_commands import run_json, source_status
from presswatch.web.render import page_and_api
from storage.models import CrawlRun, Source
from storage.notifications import archive_totals

RUNS_SHOWN = 5
ERRORS_SHOWN = 5


def _runs(session: Session, key: str) -> list[dict[str, Any]]:
    """The newest runs of a source, each with its coverage and first errors."""
    runs = session.scalars(
        select(CrawlRun).join(Source).where(Source.key == key)
        .options(selectinload(CrawlRun.errors))
        .order_by(CrawlRun.id.desc()).limit(RUNS_SHOWN)
    )  # fmt: skip
    return [
        {**(run_json(run) or {}), "coverage": run.coverage or {},
         "errors": [{"url": e.url, "reason": e.reason, "at": e.at} for e in run.errors[:ERRORS_SHOWN]],
         "error_count": len(run.errors)}
        for run in runs
    ]  # fmt: skip


def sources_data(request: Request, session: Session) -> dict[str, Any]:
    """`status --json`'s ``sources`` and ``archive``, each source with its recent runs."""
    now = datetime.now(UTC)
    config = request.app.state.config
    sources = [
        {**source_status(session, source, now), "runs": _runs(session, source.key)}
        for source in config.sources.values()
    ]
    return {"now": now, "sources": sources, "archive": archive_totals(session)}


sources_page, sources_api = page_and_api(sources_data, "sources.html")


ROUTES = [
    Route("/sources", sources_page, name="sources"),
    Route("/api/sources", sources_api, name="api_sources"),
]
