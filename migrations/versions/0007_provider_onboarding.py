"""provider onboarding: checks, documents, verification, workers, listing terms

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 13:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cqc_locations',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('provider_id', sa.String(length=20), nullable=True),
    sa.Column('provider_name', sa.String(length=300), nullable=True),
    sa.Column('local_authority', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_cqc_locations'))
    )
    op.create_table('provider_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('dbs_certificate_number', sa.String(length=12), nullable=True),
    sa.Column('dbs_issued_on', sa.Date(), nullable=True),
    sa.Column('insurer', sa.String(length=200), nullable=True),
    sa.Column('insurance_expires_on', sa.Date(), nullable=True),
    sa.Column('right_to_work_confirmed', sa.Boolean(), nullable=False),
    sa.Column('reference_1', sa.String(length=300), nullable=True),
    sa.Column('reference_2', sa.String(length=300), nullable=True),
    sa.Column('cqc_matched', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_checks_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_checks')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_provider_checks_provider_id'))
    )
    op.create_table('provider_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('DBS', 'INSURANCE', 'RIGHT_TO_WORK', 'OTHER', name='documentkind', native_enum=False, length=20), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_documents_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_provider_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_provider_documents_stored_name'))
    )
    with op.batch_alter_table('provider_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_documents_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=140), nullable=False),
    sa.Column('gender', sa.Enum('FEMALE', 'MALE', 'NON_BINARY', name='workergender', native_enum=False, length=12), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_workers_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_workers'))
    )
    with op.batch_alter_table('provider_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_workers_provider_id'), ['provider_id'], unique=False)

    op.create_table('verification_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('move', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_verification_decisions_actor_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_verification_decisions_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_decisions'))
    )
    with op.batch_alter_table('verification_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_decisions_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_worker_availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_provider_worker_availability_worker_window_order')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_provider_worker_availability_worker_weekday_range')),
    sa.ForeignKeyConstraint(['worker_id'], ['provider_workers.id'], name=op.f('fk_provider_worker_availability_worker_id_provider_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_worker_availability'))
    )
    with op.batch_alter_table('provider_worker_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_worker_availability_worker_id'), ['worker_id'], unique=False)

    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block_quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('block_pays_for', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_listings_block_discount'),
            'block_quantity IS NULL OR block_pays_for IS NULL '
            'OR (block_pays_for >= 1 AND block_pays_for < block_quantity)',
        )



def downgrade():
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_listings_block_discount'), type_='check')
        batch_op.drop_column('block_pays_for')
        batch_op.drop_column('block_quantity')

    with op.batch_alter_table('provider_worker_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_worker_availability_worker_id'))

    op.drop_table('provider_worker_availability')
    with op.batch_alter_table('verification_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_decisions_provider_id'))

    op.drop_table('verification_decisions')
    with op.batch_alter_table('provider_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_workers_provider_id'))

    op.drop_table('provider_workers')
    with op.batch_alter_table('provider_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_documents_provider_id'))

    op.drop_table('provider_documents')
    op.drop_table('provider_checks')
    op.drop_table('cqc_locations')
