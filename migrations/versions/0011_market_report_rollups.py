"""market report rollups: search events counted per tenant (none: not signed in) by day and week

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_event_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('outcode', sa.String(length=4), nullable=True),
        sa.Column('categories', sa.String(length=1000), nullable=False),
        sa.Column('time_band', sa.String(length=20), nullable=False),
        sa.Column('searches', sa.Integer(), nullable=False),
        sa.Column('zero_results', sa.Integer(), nullable=False),
        sa.Column('few_results', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_search_event_daily_tenant_day', 'search_event_daily', ['tenant_id', 'day'], unique=False
    )
    op.create_table(
        'search_event_weekly',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=60), nullable=False),
        sa.Column('outcode', sa.String(length=4), nullable=True),
        sa.Column('time_band', sa.String(length=20), nullable=False),
        sa.Column('searches', sa.Integer(), nullable=False),
        sa.Column('zero_results', sa.Integer(), nullable=False),
        sa.Column('few_results', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_search_event_weekly_tenant_week', 'search_event_weekly', ['tenant_id', 'week'],
        unique=False,
    )
    op.create_table(
        'report_rollups',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('rolled_up_to', sa.Date(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('report_rollups')
    op.drop_index('ix_search_event_weekly_tenant_week', table_name='search_event_weekly')
    op.drop_table('search_event_weekly')
    op.drop_index('ix_search_event_daily_tenant_day', table_name='search_event_daily')
    op.drop_table('search_event_daily')
