"""worker: one row per timed job and period (the claim, and the record admins read)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:00:00
"""
import sqlalchemy as sa
from alembic import op



revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column(
            'state',
            sa.Enum('QUEUED', 'RUNNING', 'DONE', 'RETRYING', 'FAILED', name='job_run_state',
                    native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
        sa.UniqueConstraint('job', 'period', name='uq_job_runs_job_period'),
    )


def downgrade():
    op.drop_table('job_runs')
