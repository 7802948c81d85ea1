"""authorization applications and their history; a listing's operations (existing listings'
one operation copied in); the listing's requires_application flag; the entitlement's application

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:41:11.247751
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('authorization_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('classification_level', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('scenario', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('legal_basis', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('legal_basis_detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('requested', sa.JSON(), nullable=False),
    sa.Column('approved_scope', sa.JSON(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['merchant_organization.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authorization_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorization_application_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_application_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_application_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_application_state'), ['state'], unique=False)

    op.create_table('listing_operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('plugin_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('operation_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('listing_id', 'plugin_name', 'operation_name', name='uq_listing_operation')
    )
    with op.batch_alter_table('listing_operation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_operation_listing_id'), ['listing_id'], unique=False)

    op.create_table('application_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['application_id'], ['authorization_application.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_event_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_entitlement_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key('fk_entitlement_application_id', 'authorization_application',
                                    ['application_id'], ['id'])

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_application', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    # Every listing that sells an operation sells it as the first row of its operations.
    op.execute("INSERT INTO listing_operation (listing_id, plugin_name, operation_name, position) "
               "SELECT id, plugin_name, operation_name, 0 FROM listing "
               "WHERE plugin_name IS NOT NULL AND operation_name IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_column('requires_application')

    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_constraint('fk_entitlement_application_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_entitlement_application_id'))
        batch_op.drop_column('application_id')

    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_event_application_id'))

    op.drop_table('application_event')
    with op.batch_alter_table('listing_operation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_operation_listing_id'))

    op.drop_table('listing_operation')
    with op.batch_alter_table('authorization_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_application_state'))
        batch_op.drop_index(batch_op.f('ix_authorization_application_product_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_application_organization_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_application_buyer_id'))

    op.drop_table('authorization_application')
