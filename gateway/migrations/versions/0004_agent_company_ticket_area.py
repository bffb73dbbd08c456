"""Agents belong to a company (or, with none, to all: a platform operator); an electricity repair ticket keeps the
area its arrival time depends on (urban, rural, remote); an installation ticket keeps the day its conditions
were met (具备施工条件), from which its clock runs.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("company", sa.String(length=20), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("area", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("conditions_met_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("conditions_met_on")
        batch.drop_column("area")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("company")
