"""first meetings: a free introduction asked for from a listing, at one of up to three times

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:40:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('holder_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('way', sa.Enum('PHONE', 'VIDEO', 'IN_PERSON', name='meetingway', native_enum=False, length=10), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('REQUESTED', 'SUGGESTED', 'AGREED', 'DECLINED', 'CANCELLED', name='meetingstate', native_enum=False, length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('suggested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('cancel_reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('minutes IN (15, 30)', name=op.f('ck_meetings_minutes_offered')),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_meetings_cancelled_by_id_users')),
        sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_meetings_holder_id_users')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_meetings_listing_id_listings')),
        sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_meetings_provider_id_providers')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_meetings_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    )
    op.create_index(op.f('ix_meetings_holder_id'), 'meetings', ['holder_id'], unique=False)
    op.create_index(op.f('ix_meetings_listing_id'), 'meetings', ['listing_id'], unique=False)
    op.create_index(op.f('ix_meetings_provider_id'), 'meetings', ['provider_id'], unique=False)
    op.create_index(op.f('ix_meetings_starts_at'), 'meetings', ['starts_at'], unique=False)
    op.create_table(
        'meeting_times',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_times_meeting_id_meetings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_times')),
        sa.UniqueConstraint('meeting_id', 'starts_at', name='uq_meeting_times_meeting_start'),
    )
    op.create_index(op.f('ix_meeting_times_meeting_id'), 'meeting_times', ['meeting_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_meeting_times_meeting_id'), table_name='meeting_times')
    op.drop_table('meeting_times')
    op.drop_index(op.f('ix_meetings_starts_at'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_provider_id'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_listing_id'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_holder_id'), table_name='meetings')
    op.drop_table('meetings')
