"""market report rollups (placeholder: filled by the work that needs it)

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
    pass


def downgrade():
    pass
