"""full-text search index over each release's current version (storage/search.py)

SQLite: a contentless FTS5 table ``release_fts`` holding, per release, the current version's
title and body; its rowid is the release's search key, ``yyyymmdd(published) << 32 | id``
(0 for no date), so FTS5 walks matches newest first and reads a date range as a rowid range.
Triggers on ``release`` (current version set, release deleted) and ``release_version``
(text or date edited in place) keep it in step with every write, whoever makes it.

PostgreSQL: a stored generated column ``release_version.search_vector`` (``simple``
configuration: no stemming, no stop words, as FTS5's unicode61) with a GIN index, and the
indexes that let a query walk current versions newest first. Both engines see the same words: runs of letters and digits,
lowercased, diacritics kept; everything else separates words. Bodies are indexed up to
their first 100,000 characters on both.

Upgrading builds the index for the archive as it is. A later migration that rebuilds
``release`` or ``release_version`` in SQLite batch mode (copy and rename) drops these
triggers with the table, and must create them again.

Revision ID: 0006
Revises: 0004 (on this branch; re-chained after 0005 at merge)
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TEXT_LIMIT = 100_000
KEY = "(coalesce(CAST(strftime('%Y%m%d', {v}.published) AS INTEGER), 0) << 32) | {release}"
DOC = "{v}.title || ' ' || substr({v}.body, 1, " + str(TEXT_LIMIT) + ")"


def _fts_delete(version: str, release: str, where: str) -> str:
    """Remove a release's entry: a contentless table needs the very values it indexed."""
    return (
        f"INSERT INTO release_fts(release_fts, rowid, text) SELECT 'delete', "
        f"{KEY.format(v=version, release=release)}, {DOC.format(v=version)} {where};"
    )


def _fts_insert(version: str, release: str, where: str) -> str:
    return (
        f"INSERT INTO release_fts(rowid, text) SELECT {KEY.format(v=version, release=release)}, "
        f"{DOC.format(v=version)} {where};"
    )


SQLITE_TRIGGERS = {
    "release_fts_insert": f"""AFTER INSERT ON release WHEN new.current_version_id IS NOT NULL
        BEGIN {_fts_insert("v", "new.id", "FROM release_version v WHERE v.id = new.current_version_id")}
        END""",
    "release_fts_update": f"""AFTER UPDATE OF current_version_id ON release
        WHEN old.current_version_id IS NOT new.current_version_id BEGIN
        {_fts_delete("v", "old.id", "FROM release_version v WHERE v.id = old.current_version_id")}
        {_fts_insert("v", "new.id", "FROM release_version v WHERE v.id = new.current_version_id")}
        END""",
    "release_fts_delete": f"""AFTER DELETE ON release BEGIN
        {_fts_delete("v", "old.id", "FROM release_version v WHERE v.id = old.current_version_id")}
        END""",
    "release_version_fts_update": f"""AFTER UPDATE OF title, body, published ON release_version
        BEGIN
        {_fts_delete("old", "r.id", "FROM release r WHERE r.current_version_id = old.id")}
        {_fts_insert("new", "r.id", "FROM release r WHERE r.current_version_id = new.id")}
        END""",
}  # fmt: skip

PG_VECTOR = (
    "to_tsvector('simple'::regconfig, regexp_replace("
    f"title || ' ' || left(body, {TEXT_LIMIT}), '[^[:alnum:]]+', ' ', 'g'))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE release_fts USING fts5(text, content='', "
            "tokenize='unicode61 remove_diacritics 0', prefix='2 3 4')"
        )
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(
            _fts_insert(
                "v", "r.id", "FROM release r JOIN release_version v ON v.id = r.current_version_id"
            )  # fmt: skip
        )
    else:
        op.execute(
            f"ALTER TABLE release_version ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute(
            "CREATE INDEX ix_release_version_search ON release_version USING gin (search_vector)"
        )
        op.execute(
            "CREATE INDEX ix_release_version_published ON release_version "
            "(published DESC NULLS LAST, release_id DESC)"
        )
        op.execute("CREATE INDEX ix_release_current_version ON release (current_version_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE release_fts")
    else:
        op.execute("DROP INDEX ix_release_current_version")
        op.execute("DROP INDEX ix_release_version_published")
        op.execute("DROP INDEX ix_release_version_search")
        op.execute("ALTER TABLE release_version DROP COLUMN search_vector")
