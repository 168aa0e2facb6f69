"""crawl runs record their Scrapyd job and node; the archive gets an identity

``crawl_run.job`` is the Scrapyd job id a crawl was started as (its spider argument
``_job``): the daemon finds the job's run by it. ``crawl_run.node`` is the node's URL,
written by the daemon. ``archive_identity`` holds one random id per archive: the daemon
passes it to crawls on Scrapyd nodes, which refuse to write to an archive with another id
(a node whose PRESSWATCH_DATABASE_URL points elsewhere). Docs: docs/daemon.md.

Revision ID: 0009
Revises: 0008
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("node", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_crawl_run_job", ["job"])
    table = op.create_table(
        "archive_identity",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_archive_identity"),
    )
    op.bulk_insert(table, [{"id": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("archive_identity")
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_run_job")
        batch_op.drop_column("node")
        batch_op.drop_column("job")
