"""Times as presswatch prints them: ISO 8601 with their zone, UTC (``Z``) unless asked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def iso_time(moment: datetime, local: bool = False) -> str:
    """``2026-11-01T09:00:00Z``, or with the machine's offset when ``local``."""
    moment = moment.astimezone() if local else moment.astimezone(UTC)
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def jsonable(value: Any, local: bool = False) -> Any:
    """``value`` with every datetime and date in it made an ISO 8601 string."""
    if isinstance(value, datetime):
        return iso_time(value, local)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v, local) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, local) for v in value]
    return value


def http_date(value: str | None) -> datetime | None:
    """A Last-Modified header as a datetime (None when absent or unreadable)."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
