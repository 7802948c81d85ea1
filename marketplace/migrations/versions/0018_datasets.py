"""dataset, listing.dataset_id: the uploaded dataset a data package sells

One immutable row per upload (its files live in the dataset store); a listing points at the
dataset it sells, and a new version of the product starts with the same one.

Revision ID: 0018
Revises: 0022
Create Date: 2026-12-07 12:05:11
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('original_format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('encoding', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('parquet_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['merchant_organization.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('storage_key')
    )
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dataset_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_listing_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_foreign_key('fk_listing_dataset_id', 'dataset', ['dataset_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_constraint('fk_listing_dataset_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_listing_dataset_id'))
        batch_op.drop_column('dataset_id')

    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_product_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_organization_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_listing_id'))

    op.drop_table('dataset')
