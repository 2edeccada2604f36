"""conversations between holders and providers: messages, reading marks, safeguarding reports
and blocks

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:32:11
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_conversations_holder_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_conversations_provider_id_providers')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_conversations_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('holder_id', 'provider_id', name='uq_conversations_holder_provider')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_last_message_at'), ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('blocked_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_by_id'], ['users.id'], name=op.f('fk_provider_blocks_blocked_by_id_users')),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_provider_blocks_holder_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_blocks_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_blocks')),
    sa.UniqueConstraint('holder_id', 'provider_id', name='uq_provider_blocks_pair')
    )
    with op.batch_alter_table('provider_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_blocks_provider_id'), ['provider_id'], unique=False)

    op.create_table('conversation_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_reads_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_reads_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_reads')),
    sa.UniqueConstraint('conversation_id', 'user_id', name='uq_conversation_reads_pair')
    )
    with op.batch_alter_table('conversation_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_reads_user_id'), ['user_id'], unique=False)

    op.create_table('conversation_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_reports_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_conversation_reports_reported_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_conversation_reports_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_reports'))
    )
    with op.batch_alter_table('conversation_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_reports_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_reports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_reports_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('conversation_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.Enum('HOLDER', 'PROVIDER', name='party', native_enum=False, length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(body) >= 1 AND length(body) <= 2000', name=op.f('ck_conversation_messages_body_length')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_conversation_messages_booking_id_bookings')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_conversation_messages_sender_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_messages'))
    )
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_messages_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_conversation_messages_sender_sent', ['sender_id', 'sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_messages_sender_sent')
        batch_op.drop_index(batch_op.f('ix_conversation_messages_conversation_id'))

    op.drop_table('conversation_messages')
    with op.batch_alter_table('conversation_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_reports_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_reports_created_at'))
        batch_op.drop_index(batch_op.f('ix_conversation_reports_conversation_id'))

    op.drop_table('conversation_reports')
    with op.batch_alter_table('conversation_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_reads_user_id'))

    op.drop_table('conversation_reads')
    with op.batch_alter_table('provider_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_blocks_provider_id'))

    op.drop_table('provider_blocks')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_provider_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_last_message_at'))
        batch_op.drop_index(batch_op.f('ix_conversations_holder_id'))

    op.drop_table('conversations')
