"""indexes that let SQLite walk current versions newest first (storage.queries.list_releases)

``list`` and the web view's ``/releases`` read current versions by published date, then
release id, newest first, and stop at a page. PostgreSQL got these indexes in 0006 (the
search walk); SQLite gets them here, so neither sorts or counts the whole archive.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX ix_release_version_published ON release_version "
            "(published DESC, release_id DESC)"
        )
        op.execute("CREATE INDEX ix_release_current_version ON release (current_version_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_release_current_version")
        op.execute("DROP INDEX ix_release_version_published")
