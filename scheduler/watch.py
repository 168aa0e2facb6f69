"""Watches: which of a target's events it is sent, by source and by a search query.

The query is the language of ``presswatch search`` (storage.search), matched here in Python
over one event's text, so a watch finds what a search of the archive would.
"""

from __future__ import annotations

from scheduler.options import Watch
from storage.notifications import EventNote
from storage.search import matches


def needs_text(watch: Watch | None) -> bool:
    """Whether ``wanted`` needs the events' bodies (storage.notifications.with_bodies)."""
    return watch is not None and watch.query is not None


def changed_text(event: EventNote) -> str:
    """The words a change changed: its diff's added and removed passages and both titles."""
    diff = event.diff or {}
    title = diff.get("title") or {}
    parts = [*diff.get("added", []), *diff.get("removed", []), *title.values()]
    return "\n".join(p for p in parts if p)


def wanted(watch: Watch | None, event: EventNote) -> bool:
    """Whether ``event`` passes ``watch``."""
    if watch is None:
        return True
    if watch.sources is not None and event.source not in watch.sources:
        return False
    if watch.query is None:
        return True
    if watch.match == "changed" and event.kind == "changed":
        return matches(watch.query, changed_text(event))
    return matches(watch.query, f"{event.title}\n{event.body or ''}")
