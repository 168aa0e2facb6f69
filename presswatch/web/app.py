"""The web application: routes of every page group, security headers, access, errors."""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from presswatch.web import events, feeds, releases, sources
from presswatch.web.render import page
from scheduler.options import Config
from storage.db import describe_error

# No script runs on any page: archived text that slipped through as markup would stay inert.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Guard:
    """Security headers on every answer; with a token, nothing without it (Bearer or Basic)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app, self.token = app, token

    def _allowed(self, scope: Scope) -> bool:
        if not self.token:
            return True
        scheme, _, value = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value, validate=True).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() != "bearer":
            return False
        return secrets.compare_digest(value.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        if self._allowed(scope):
            await self.app(scope, receive, send_with_headers)
            return
        denied = PlainTextResponse("a token is needed: Authorization: Bearer TOKEN, or Basic with it as password",
                                   401, headers={"WWW-Authenticate": 'Basic realm="presswatch"'})  # fmt: skip
        await denied(scope, receive, send_with_headers)


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/") or request.url.path.endswith(".atom"):
        return JSONResponse({"error": message}, status)
    return page(request, "error.html", {"status": status, "message": message}, status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(request, exc.status_code, exc.detail)


async def _database_error(request: Request, exc: Exception) -> Response:
    engine = request.app.state.sessions.kw["bind"]
    message = f"the archive cannot be read now: {describe_error(exc, engine.url)}"
    return _error(request, 503, message)


def create_app(
    sessions: sessionmaker[Session], config: Config, token: str | None = None
) -> ASGIApp:
    """The web view over the archive ``sessions`` read (storage.db.open_read_only)."""
    app = Starlette(
        routes=[
            *events.ROUTES, *releases.ROUTES, *sources.ROUTES, *feeds.ROUTES,
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        ],
        exception_handlers={HTTPException: _http_error, SQLAlchemyError: _database_error},
    )  # fmt: skip
    app.state.sessions = sessions
    app.state.config = config
    return Guard(app, token)
