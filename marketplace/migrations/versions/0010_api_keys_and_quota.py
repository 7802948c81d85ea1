"""api_key and quota_counter for the delivery gateway; usage records gain their key, their kind
(call or overage) and the audit entry that sealed them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:39:57.221842
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entitlement_ids', sa.JSON(), nullable=False),
    sa.Column('allowed_networks', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['api_key.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_key_prefix'), ['prefix'], unique=True)

    op.create_table('quota_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entitlement_id'], ['entitlement.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entitlement_id', 'period')
    )
    with op.batch_alter_table('quota_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_counter_entitlement_id'), ['entitlement_id'], unique=False)

    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default='call'))
        batch_op.add_column(sa.Column('audit_batch', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_usage_record_api_key_id'), ['api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_record_audit_batch'), ['audit_batch'], unique=False)
        batch_op.create_foreign_key('fk_usage_record_api_key_id', 'api_key', ['api_key_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_usage_record_api_key_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_usage_record_audit_batch'))
        batch_op.drop_index(batch_op.f('ix_usage_record_api_key_id'))
        batch_op.drop_column('audit_batch')
        batch_op.drop_column('kind')
        batch_op.drop_column('api_key_id')

    with op.batch_alter_table('quota_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_counter_entitlement_id'))

    op.drop_table('quota_counter')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_prefix'))
        batch_op.drop_index(batch_op.f('ix_api_key_buyer_id'))

    op.drop_table('api_key')
