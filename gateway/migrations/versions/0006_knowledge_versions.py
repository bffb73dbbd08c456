"""The knowledge base as operators keep it: published versions (version 1 is the repository's YAML), drafts that
never reach customers until published, and the unanswered-question groups a supervisor dismissed.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

import gateway.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=False),
        sa.Column("published_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("check_status", sa.String(length=10), nullable=False),
        sa.Column("check_detail", sa.Text(), nullable=True),
        sa.Column("checked_at", gateway.models.TZDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "knowledge_drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("entry_id", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", gateway.models.TZDateTime(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("inbox_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_knowledge_drafts_author", "knowledge_drafts", ["author"])
    op.create_index("ix_knowledge_drafts_status", "knowledge_drafts", ["status"])
    op.create_table(
        "inbox_dismissals",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", gateway.models.TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("inbox_dismissals")
    op.drop_index("ix_knowledge_drafts_status", table_name="knowledge_drafts")
    op.drop_index("ix_knowledge_drafts_author", table_name="knowledge_drafts")
    op.drop_table("knowledge_drafts")
    op.drop_table("knowledge_versions")
