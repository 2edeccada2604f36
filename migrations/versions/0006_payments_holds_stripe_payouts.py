"""payments: holds, refusals, Stripe objects, webhooks, payout runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 13:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Ledger balances and transfers in 64 bits: a funding account passes the 32-bit £21 million.
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.alter_column('balance_pence', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.alter_column('amount_pence', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id'))
    )
    op.create_table('connect_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=False),
    sa.Column('charges_enabled', sa.Boolean(), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_connect_accounts_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connect_accounts')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_connect_accounts_provider_id')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_connect_accounts_stripe_account_id'))
    )
    op.create_table('payout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('total_pence', sa.Integer(), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_payout_runs_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payout_runs_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs'))
    )
    with op.batch_alter_table('payout_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_runs_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('rail', sa.Enum('STRIPE', 'PAYMENT_RUN', name='payoutrail', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'PAID', name='payoutstatus', native_enum=False, length=20), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('stripe_transfer_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_payouts_provider_id_providers')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payouts_run_id_payout_runs')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payouts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('stripe_transfer_id', name=op.f('uq_payouts_stripe_transfer_id'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('spend_refusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('NOT_ENOUGH_MONEY', 'OUTSIDE_PLAN', 'ABOVE_CAP', 'POT_CLOSED', name='refusalreason', native_enum=False, length=30), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_spend_refusals_category_id_categories')),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_spend_refusals_pot_id_pots')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_spend_refusals_provider_id_providers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_spend_refusals_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_refusals'))
    )
    with op.batch_alter_table('spend_refusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_refusals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_refusals_pot_id'), ['pot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_refusals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('top_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=False),
    sa.Column('paid_by_id', sa.Integer(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SUCCEEDED', 'REFUNDED', name='topupstatus', native_enum=False, length=20), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('refund_id', sa.String(length=255), nullable=True),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_top_ups_amount_positive')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_top_ups_paid_by_id_users')),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_top_ups_pot_id_pots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_top_ups')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_top_ups_payment_intent_id')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_top_ups_refund_id')),
    sa.UniqueConstraint('request_key', name=op.f('uq_top_ups_request_key'))
    )
    with op.batch_alter_table('top_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_top_ups_pot_id'), ['pot_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pot_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('HELD', 'RELEASED', 'SETTLED', name='holdstatus', native_enum=False, length=20), nullable=False),
    sa.Column('settled_pence', sa.Integer(), nullable=False),
    sa.Column('fee_pence', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_holds_amount_positive')),
    sa.CheckConstraint('settled_pence + fee_pence <= amount_pence', name=op.f('ck_holds_settled_within_hold')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_holds_category_id_categories')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_holds_payout_id_payouts')),
    sa.ForeignKeyConstraint(['pot_id'], ['pots.id'], name=op.f('fk_holds_pot_id_pots')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_holds_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
    sa.UniqueConstraint('pot_id', 'reference', name='uq_holds_pot_reference')
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_pot_id'), ['pot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_provider_id'), ['provider_id'], unique=False)

    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_allocations_request_key'), ['request_key'])



def downgrade():
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_allocations_request_key'), type_='unique')
        batch_op.drop_column('request_key')

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_provider_id'))
        batch_op.drop_index(batch_op.f('ix_holds_pot_id'))
        batch_op.drop_index(batch_op.f('ix_holds_payout_id'))

    op.drop_table('holds')
    with op.batch_alter_table('top_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_top_ups_pot_id'))

    op.drop_table('top_ups')
    with op.batch_alter_table('spend_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_refusals_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_spend_refusals_pot_id'))
        batch_op.drop_index(batch_op.f('ix_spend_refusals_created_at'))

    op.drop_table('spend_refusals')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_payouts_run_id'))
        batch_op.drop_index(batch_op.f('ix_payouts_provider_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('payout_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_runs_tenant_id'))

    op.drop_table('payout_runs')
    op.drop_table('connect_accounts')
    op.drop_table('stripe_events')
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.alter_column('amount_pence', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.alter_column('balance_pence', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
