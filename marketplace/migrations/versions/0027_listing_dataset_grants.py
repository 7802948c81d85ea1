"""listings grant their operations datasets of the merchant's own, by name

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-07 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0027'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'listing_dataset_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('dataset_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('listing_id', 'name', name='uq_listing_dataset_grant'),
    )
    with op.batch_alter_table('listing_dataset_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_dataset_grant_dataset_id'), ['dataset_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_listing_dataset_grant_listing_id'), ['listing_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('listing_dataset_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_dataset_grant_listing_id'))
        batch_op.drop_index(batch_op.f('ix_listing_dataset_grant_dataset_id'))
    op.drop_table('listing_dataset_grant')
