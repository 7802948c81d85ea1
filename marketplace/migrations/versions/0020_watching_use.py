"""watching use: usage alerts, version notices, suspended API keys, and what detection keeps
of a call (usage_record.input_key, usage_record.outcome)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 12:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('usage_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('window_end', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('open_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('key_suspended', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], ),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['entitlement_id'], ['entitlement.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    with op.batch_alter_table('usage_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_alert_api_key_id'), ['api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_alert_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_alert_rule'), ['rule'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_alert_state'), ['state'], unique=False)

    op.create_table('version_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'listing_id')
    )
    with op.batch_alter_table('version_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_notice_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_notice_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('suspension_reason',
                                      sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=''))

    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('input_key', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=10),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.drop_column('input_key')
    # A suspended key would work again without its suspension: revoke it instead.
    op.execute("UPDATE api_key SET revoked_at = CURRENT_TIMESTAMP "
               "WHERE suspended_at IS NOT NULL AND revoked_at IS NULL")
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
    with op.batch_alter_table('version_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_version_notice_user_id'))
        batch_op.drop_index(batch_op.f('ix_version_notice_listing_id'))
    op.drop_table('version_notice')
    with op.batch_alter_table('usage_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_alert_state'))
        batch_op.drop_index(batch_op.f('ix_usage_alert_rule'))
        batch_op.drop_index(batch_op.f('ix_usage_alert_created_at'))
        batch_op.drop_index(batch_op.f('ix_usage_alert_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_usage_alert_api_key_id'))
    op.drop_table('usage_alert')
