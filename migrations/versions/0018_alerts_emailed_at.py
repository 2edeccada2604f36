"""alerts: when the daily summary told commissioners of each (alerts found on opening the list
are told of the next day)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:00:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commissioning_alerts') as batch:
        batch.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
    # Alerts stored before this were told of when they were found (or never will be): mark them.
    op.execute('UPDATE commissioning_alerts SET emailed_at = first_seen_at')


def downgrade():
    with op.batch_alter_table('commissioning_alerts') as batch:
        batch.drop_column('emailed_at')
