"""search: outbox of listing changes and anonymous search events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_outbox_listing_id'), ['listing_id'], unique=False)

    op.create_table('search_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('outcode', sa.String(length=4), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('text', sa.String(length=100), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_search_events_tenant_id_tenants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_events'))
    )
    with op.batch_alter_table('search_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_events_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_search_events_created_at'))
    op.drop_table('search_events')
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_outbox_listing_id'))
    op.drop_table('search_outbox')
