"""breathing space end date; anonymised cases (issue 12, holds and retention)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('collection_case') as batch:
        batch.add_column(sa.Column('breathing_space_until', sa.Date(), nullable=True))
        batch.add_column(sa.Column('anonymised_at', storage.types.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('collection_case') as batch:
        batch.drop_column('anonymised_at')
        batch.drop_column('breathing_space_until')
