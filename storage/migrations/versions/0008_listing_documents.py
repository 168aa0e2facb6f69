"""listing documents: the last feed or sitemap of a configured source, with its validators

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_listing_document_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_document")),
        sa.UniqueConstraint("source_id", "url", name=op.f("uq_listing_document_source_id")),
    )


def downgrade() -> None:
    op.drop_table("listing_document")
