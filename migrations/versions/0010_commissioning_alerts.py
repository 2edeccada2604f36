"""commissioning alerts: computed daily, open until a commissioner acknowledges them with a note

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commissioning_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('UNSPENT', 'RUNNING_OUT', 'REFUSED_SPEND', 'PROVIDER_SHARE', 'DISPUTE', name='alertkind', native_enum=False, length=20), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=True),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=600), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_commissioning_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_commissioning_alerts_holder_id_users')),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_commissioning_alerts_pot_id_pots')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_commissioning_alerts_provider_id_providers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_commissioning_alerts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commissioning_alerts')),
    sa.UniqueConstraint('tenant_id', 'dedupe_key', name='uq_commissioning_alerts_dedupe')
    )
    with op.batch_alter_table('commissioning_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commissioning_alerts_pot_id'), ['pot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('commissioning_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commissioning_alerts_pot_id'))

    op.drop_table('commissioning_alerts')
