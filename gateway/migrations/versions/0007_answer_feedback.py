"""Customers rate knowledge answers 有用 / 没用; one rating per answer.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

import gateway.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id"), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(length=120), nullable=False, index=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=20), nullable=True),
        sa.Column("entry_id", sa.String(length=120), nullable=False, index=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", gateway.models.TZDateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("answer_feedback")
