"""listings: external_id, the provider's own reference used by bulk import to update

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(
            'uq_listings_provider_external_id', ['provider_id', 'external_id']
        )


def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_listings_provider_external_id', type_='unique')
        batch_op.drop_column('external_id')
