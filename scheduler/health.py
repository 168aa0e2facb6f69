"""Source health: one alert after N bad runs in a row, one more when a run is good again.

A run is bad when its outcome (storage.outcome) is failed or unhealthy; aborted runs (stopped,
or found dead) say nothing about the site and are skipped. The state lives in the
health_alert table, so a restart neither repeats nor forgets an alert.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from storage import notifications as store
from storage.models import HealthAlert
from storage.outcome import BAD

log = logging.getLogger("presswatch.health")


def check_health(session: Session, source: str, after: int) -> HealthAlert | None:
    """Raise the alert the source's newest runs call for, if any; returns it."""
    source_id = store.source_id(session, source)
    if source_id is None:
        return None
    runs = store.recent_statuses(session, source_id, after)
    if not runs:
        return None
    last = store.last_alert(session, source_id)
    alerting = last is not None and last.kind == "failing"
    if not alerting and len(runs) == after and all(r.status in BAD for r in runs):
        reasons = "; ".join(dict.fromkeys(r.health or r.status for r in runs))
        detail = f"{after} runs in a row failed or unhealthy: {reasons}"
        log.error("%s: %s", source, detail)
        return store.add_alert(session, source_id, "failing", runs[0].id, detail)
    if alerting and runs[0].status == "ok":
        counts = runs[0].counts or {}
        detail = f"run {runs[0].id} ok with {counts.get('items', 0)} items"
        log.warning("%s recovered: %s", source, detail)
        return store.add_alert(session, source_id, "recovered", runs[0].id, detail)
    return None
