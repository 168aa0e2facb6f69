"""notification deliveries, targets and health alerts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_cursor", sa.Integer(), nullable=False),
        sa.Column("alert_cursor", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_target")),
        sa.UniqueConstraint("name", name=op.f("uq_notify_target_name")),
    )
    op.create_table(
        "health_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_run.id"], name=op.f("fk_health_alert_run_id_crawl_run")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_health_alert_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_alert")),
    )
    with op.batch_alter_table("health_alert", schema=None) as batch_op:
        batch_op.create_index("ix_health_alert_source", ["source_id", "id"], unique=False)

    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["health_alert.id"],
            name=op.f("fk_notification_delivery_alert_id_health_alert"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["change_event.id"],
            name=op.f("fk_notification_delivery_event_id_change_event"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["notify_target.id"],
            name=op.f("fk_notification_delivery_target_id_notify_target"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint("target_id", "alert_id", name="uq_notification_delivery_target_alert"),
        sa.UniqueConstraint("target_id", "event_id", name="uq_notification_delivery_target_event"),
    )


def downgrade() -> None:
    op.drop_table("notification_delivery")
    with op.batch_alter_table("health_alert", schema=None) as batch_op:
        batch_op.drop_index("ix_health_alert_source")

    op.drop_table("health_alert")
    op.drop_table("notify_target")
