"""re-canonicalise release URLs on w3lib and merge the releases that were one

Before, storage.urls kept ``/a%2fb`` and ``/a%2Fb``, ``/café`` and ``/caf%C3%A9`` apart, so
one release could be archived twice. Each release URL (and each run error's URL) is written
again in today's canonical form. Releases whose URLs now coincide are merged into the one
first seen: the versions of all of them in the order they were fetched, numbered again from
1, a version with the same content as the one before it dropped (the archive would never
have recorded it); change events re-pointed; the release's dates, status and current
version taken from what was seen last; the duplicates deleted. Nothing is lost but repeats.

Downgrade leaves the URLs and merges as they are: the canonical forms are valid URLs.

Revision ID: 0004
Revises: 0002
"""

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.urls import canonical_url

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

release = sa.table(
    "release",
    sa.column("id", sa.Integer), sa.column("url", sa.String), sa.column("external_id", sa.String),
    sa.column("status", sa.String), sa.column("first_seen", sa.DateTime(timezone=True)),
    sa.column("last_seen", sa.DateTime(timezone=True)), sa.column("last_changed", sa.DateTime(timezone=True)),
    sa.column("missing_count", sa.Integer), sa.column("current_version_id", sa.Integer),
)  # fmt: skip
version = sa.table(
    "release_version",
    sa.column("id", sa.Integer), sa.column("release_id", sa.Integer),
    sa.column("number", sa.Integer), sa.column("content_hash", sa.String),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
)  # fmt: skip
event = sa.table(
    "change_event",
    sa.column("id", sa.Integer), sa.column("release_id", sa.Integer),
    sa.column("version_id", sa.Integer),
)  # fmt: skip
crawl_error = sa.table("crawl_error", sa.column("id", sa.Integer), sa.column("url", sa.String))


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError:  # unreadable: left as it was
        return url


def upgrade() -> None:
    conn = op.get_bind()
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(sa.select(release).order_by(release.c.first_seen, release.c.id)):
        groups[_canonical(row.url)].append(row)
    for url, rows in groups.items():
        if len(rows) > 1:
            _merge(conn, rows[0], rows[1:])
        if rows[0].url != url:
            conn.execute(release.update().where(release.c.id == rows[0].id).values(url=url))
    for row in conn.execute(sa.select(crawl_error.c.id, crawl_error.c.url)).all():
        if (url := _canonical(row.url)) != row.url:
            conn.execute(crawl_error.update().where(crawl_error.c.id == row.id).values(url=url))


def _merge(conn: sa.Connection, keep: Any, duplicates: list[Any]) -> None:
    """Fold the duplicates' versions and events into ``keep``, then delete the duplicates."""
    ids = [keep.id, *(d.id for d in duplicates)]
    versions = conn.execute(
        sa.select(version.c.id, version.c.content_hash)
        .where(version.c.release_id.in_(ids))
        .order_by(version.c.fetched_at, version.c.release_id != keep.id, version.c.number)
    ).all()
    kept: list[int] = []
    replaced: dict[int, int] = {}  # a dropped version -> the same content kept before it
    last_hash = None
    for v in versions:
        if v.content_hash == last_hash:
            replaced[v.id] = kept[-1]
        else:
            kept.append(v.id)
            last_hash = v.content_hash
    latest = max([keep, *duplicates], key=lambda r: (r.last_seen, r.id))
    current = replaced.get(latest.current_version_id, latest.current_version_id)
    conn.execute(release.update().where(release.c.id.in_(ids)).values(current_version_id=None))
    conn.execute(event.update().where(event.c.release_id.in_(ids)).values(release_id=keep.id))
    for old, new in replaced.items():
        conn.execute(event.update().where(event.c.version_id == old).values(version_id=new))
    if replaced:
        conn.execute(version.delete().where(version.c.id.in_(list(replaced))))
    # Negative numbers first, so no two versions of one release share a number meanwhile.
    for number, vid in enumerate(kept, start=1):
        conn.execute(
            version.update().where(version.c.id == vid).values(release_id=keep.id, number=-number)
        )
    conn.execute(
        version.update().where(version.c.release_id == keep.id).values(number=-version.c.number)
    )
    conn.execute(release.delete().where(release.c.id.in_(ids[1:])))
    conn.execute(
        release.update()
        .where(release.c.id == keep.id)
        .values(
            first_seen=min(r.first_seen for r in [keep, *duplicates]),
            last_seen=latest.last_seen,
            last_changed=max(r.last_changed for r in [keep, *duplicates]),
            status=latest.status,
            missing_count=latest.missing_count,
            current_version_id=current,
            external_id=keep.external_id
            or next((d.external_id for d in duplicates if d.external_id), None),
        )
    )


def downgrade() -> None:
    """Nothing to undo: canonical URLs are valid URLs, and merged histories stay merged."""
