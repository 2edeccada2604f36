"""bookings: the cancellation terms agreed at acceptance, copied from the listing

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:50:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancellation_notice_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancellation_charge_bps', sa.Integer(), nullable=True))
    # Bookings already accepted keep the terms their listing has now (the best record there is).
    op.execute(
        "UPDATE bookings SET "
        "cancellation_notice_hours = (SELECT cancellation_notice_hours FROM listings "
        "WHERE listings.id = bookings.listing_id), "
        "cancellation_charge_bps = (SELECT cancellation_charge_bps FROM listings "
        "WHERE listings.id = bookings.listing_id) "
        "WHERE accepted_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('cancellation_charge_bps')
        batch_op.drop_column('cancellation_notice_hours')
