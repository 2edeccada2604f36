"""sent forms: a form that makes something new is acted on once per key and person

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:00:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sent_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('endpoint', sa.String(length=120), nullable=False),
        sa.Column('answer', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_sent_forms_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_forms')),
        sa.UniqueConstraint('user_id', 'key', name='uq_sent_forms_user_id_key'),
    )
    op.create_index(op.f('ix_sent_forms_created_at'), 'sent_forms', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_sent_forms_created_at'), table_name='sent_forms')
    op.drop_table('sent_forms')
