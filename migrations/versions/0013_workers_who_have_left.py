"""provider workers: a worker who has left is kept (past bookings name them) with the time they left

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 19:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('provider_workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('provider_workers', schema=None) as batch_op:
        batch_op.drop_column('left_at')
