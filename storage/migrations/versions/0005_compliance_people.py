"""compliance per person: shared contact points, time-barred debts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contact_point', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('collection_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_barred', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('limitation_date', sa.Date(), nullable=True))
    # addresses several customers already hold are shared from now on
    op.execute(
        "UPDATE contact_point SET shared = true WHERE address IN ("
        "SELECT address FROM contact_point GROUP BY channel, address "
        "HAVING count(DISTINCT customer_id) > 1)")


def downgrade() -> None:
    with op.batch_alter_table('collection_case', schema=None) as batch_op:
        batch_op.drop_column('limitation_date')
        batch_op.drop_column('time_barred')
    with op.batch_alter_table('contact_point', schema=None) as batch_op:
        batch_op.drop_column('shared')
