"""session arrival marks: when the worker arrived and left, marked on the session's day

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:40:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_occurrences_left_after_arrived'),
            'left_at IS NULL OR (arrived_at IS NOT NULL AND left_at >= arrived_at)',
        )


def downgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_occurrences_left_after_arrived'), type_='check')
        batch_op.drop_column('left_at')
        batch_op.drop_column('arrived_at')
