"""occurrences: one per booking and start, so a repeated schedule can never make a second

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:55:00
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            'uq_occurrences_booking_start', ['booking_id', 'starts_at']
        )


def downgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_constraint('uq_occurrences_booking_start', type_='unique')
