"""saved searches: a person's kept searches and the listings they were already told about

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:30:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('outcode', sa.String(length=4), nullable=True),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('radius_miles', sa.Float(), nullable=True),
        sa.Column('alerts_on', sa.Boolean(), nullable=False),
        sa.Column('result_count', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['tenant_id'], ['tenants.id'],
            name=op.f('fk_saved_searches_tenant_id_tenants'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_saved_searches_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    )
    op.create_index(
        op.f('ix_saved_searches_tenant_id'), 'saved_searches', ['tenant_id'], unique=False
    )
    op.create_index(
        op.f('ix_saved_searches_user_id'), 'saved_searches', ['user_id'], unique=False
    )
    op.create_table(
        'saved_search_told',
        sa.Column('saved_search_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('told_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['saved_search_id'], ['saved_searches.id'],
            name=op.f('fk_saved_search_told_saved_search_id_saved_searches'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'saved_search_id', 'listing_id', name=op.f('pk_saved_search_told')
        ),
    )


def downgrade():
    op.drop_table('saved_search_told')
    op.drop_index(op.f('ix_saved_searches_user_id'), table_name='saved_searches')
    op.drop_index(op.f('ix_saved_searches_tenant_id'), table_name='saved_searches')
    op.drop_table('saved_searches')
