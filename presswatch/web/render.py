"""What every page shares: templates, JSON answers, query parameters and the archive session.

Each page has one data function; its route renders the data through a Jinja2 template
(autoescaped: archived text is someone else's content) and its /api/ twin returns the
part that has the CLI's ``--json`` shape, so the page and the API cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from storage.queries import MAX_ID
from storage.times import iso_time, jsonable

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # never valid in XML


def _finalize(value: Any) -> Any:
    """Drop control characters from every value shown, so feeds stay well-formed XML."""
    if isinstance(value, Markup):
        return Markup(_CONTROL.sub("", value))
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def _time(moment: datetime | None) -> str:
    return iso_time(moment).replace("T", " ") if moment else "–"


def _web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None: never a javascript: link."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


env = Environment(
    loader=PackageLoader("presswatch.web"),
    autoescape=select_autoescape(["html", "xml"]),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters |= {"time": _time, "iso": lambda m: iso_time(m) if m else "", "web_url": _web_url}
templates = Jinja2Templates(env=env)


@contextmanager
def archive(request: Request) -> Iterator[Session]:
    """A read-only session on the archive for one request."""
    with request.app.state.sessions() as session:
        yield session


def page(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, template, data, status_code=status)


def api(data: Any) -> JSONResponse:
    return JSONResponse(jsonable(data))


Data = Callable[[Request, Session], dict[str, Any]]
Endpoint = Callable[[Request], Response]


def page_and_api(
    data: Data, template: str, to_api: Callable[[dict[str, Any]], Any] = lambda d: d
) -> tuple[Endpoint, Endpoint]:
    """An HTML page and its /api twin, both built from one data function."""

    def html(request: Request) -> Response:
        with archive(request) as session:
            return page(request, template, data(request, session))

    def json(request: Request) -> Response:
        with archive(request) as session:
            return api(to_api(data(request, session)))

    return html, json


def text_param(request: Request, name: str) -> str | None:
    return request.query_params.get(name, "").strip() or None


def int_param(
    request: Request, name: str, default: int | None = None, top: int = MAX_ID
) -> int | None:
    raw = text_param(request, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= top:
        raise HTTPException(400, f"{name} must be a whole number from 1 to {top}")
    return int(raw)


def date_param(request: Request, name: str) -> date | None:
    raw = text_param(request, name)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise HTTPException(400, f"{name} must be a date as YYYY-MM-DD") from None


def choice_param(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = text_param(request, name)
    if raw is not None and raw not in choices:
        raise HTTPException(400, f"{name} must be one of {', '.join(choices)}")
    return raw
