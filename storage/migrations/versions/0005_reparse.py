"""where an interrupted `presswatch reparse` goes on: one cursor per scope

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reparse_cursor",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("parsers", sa.String(length=500), nullable=False),
        sa.Column("last_release_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_reparse_cursor")),
    )


def downgrade() -> None:
    op.drop_table("reparse_cursor")
