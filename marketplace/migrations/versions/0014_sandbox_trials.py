"""sandbox trials: a listing's free trial calls, the buyer's trial of a product, sandbox keys,
and usage records of sandbox calls (no entitlement)

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-07 06:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sandbox_trial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('buyer_id', 'product_id')
    )
    with op.batch_alter_table('sandbox_trial', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_trial_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_trial_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_calls', sa.Integer(), nullable=False,
                                      server_default='0'))

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_key_trial_id'), ['trial_id'], unique=False)
        batch_op.create_foreign_key('fk_api_key_trial_id', 'sandbox_trial', ['trial_id'], ['id'])

    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_id', sa.Integer(), nullable=True))
        batch_op.alter_column('entitlement_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_usage_record_trial_id'), ['trial_id'], unique=False)
        batch_op.create_foreign_key('fk_usage_record_trial_id', 'sandbox_trial', ['trial_id'],
                                    ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM usage_record WHERE entitlement_id IS NULL")
    # A sandbox key without its trial would read as a key covering every entitlement.
    op.execute("UPDATE api_key SET revoked_at = CURRENT_TIMESTAMP "
               "WHERE trial_id IS NOT NULL AND revoked_at IS NULL")
    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_usage_record_trial_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_usage_record_trial_id'))
        batch_op.alter_column('entitlement_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('trial_id')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_constraint('fk_api_key_trial_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_key_trial_id'))
        batch_op.drop_column('trial_id')

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_column('trial_calls')

    with op.batch_alter_table('sandbox_trial', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_trial_product_id'))
        batch_op.drop_index(batch_op.f('ix_sandbox_trial_buyer_id'))

    op.drop_table('sandbox_trial')
