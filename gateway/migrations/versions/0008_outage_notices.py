"""Outage notices (issue 21): notices, their changes, customers' subscriptions by address, and one delivery per
subscription and change.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import gateway.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("utility", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("starts_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("ends_at", gateway.models.TZDateTime(), nullable=True),
        sa.Column("restored_at", gateway.models.TZDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("short_notice", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("updated_at", gateway.models.TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_notices_status_utility", "outage_notices", ["status", "utility", "company"])
    op.create_table(
        "outage_notice_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), sa.ForeignKey("outage_notices.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("pushed_at", gateway.models.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "version", name="uq_outage_change_version"),
    )
    op.create_index("ix_outage_notice_changes_notice_id", "outage_notice_changes", ["notice_id"])
    op.create_index("ix_outage_notice_changes_pushed_at", "outage_notice_changes", ["pushed_at"])
    op.create_table(
        "outage_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("place", sa.JSON(), nullable=False),
        sa.Column("place_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("cancelled_at", gateway.models.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_subscriptions_conversation_id", "outage_subscriptions", ["conversation_id"])
    op.create_table(
        "outage_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), sa.ForeignKey("outage_subscriptions.id"), nullable=False),
        sa.Column("change_id", sa.Integer(), sa.ForeignKey("outage_notice_changes.id"), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("done_at", gateway.models.TZDateTime(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "change_id", name="uq_outage_delivery"),
    )
    op.create_index("ix_outage_deliveries_subscription_id", "outage_deliveries", ["subscription_id"])
    op.create_index("ix_outage_deliveries_change_id", "outage_deliveries", ["change_id"])
    op.create_index("ix_outage_deliveries_status", "outage_deliveries", ["status"])


def downgrade() -> None:
    op.drop_table("outage_deliveries")
    op.drop_table("outage_subscriptions")
    op.drop_table("outage_notice_changes")
    op.drop_index("ix_outage_notices_status_utility", table_name="outage_notices")
    op.drop_table("outage_notices")
