"""A conversation is bound to the company whose promises the customer gets (widget embed, WeChat account, IVR
number), or to none; a ticket keeps the company whose promise set its due time.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("company", sa.String(length=20), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("company", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("company")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("company")
