"""listing age groups: who a listing serves (children, young people, adults, older people)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 07:00:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Listings that exist say nothing about age until their provider does ('[]').
    op.add_column(
        'listings', sa.Column('age_groups', sa.JSON(), nullable=False, server_default='[]')
    )


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('age_groups')
