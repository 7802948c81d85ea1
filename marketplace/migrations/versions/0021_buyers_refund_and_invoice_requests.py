"""buyers' refund requests on order lines and invoice (发票) requests; a refund claim may be
of one order line

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-07 12:07:27
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invoice_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('company_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('taxpayer_id', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('bank_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('bank_account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('pdf_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('pdf_size', sa.Integer(), nullable=True),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['issued_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['commerce_order.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['merchant_organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'organization_id')
    )
    with op.batch_alter_table('invoice_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_request_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_state'), ['state'], unique=False)

    op.create_table('refund_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('open_line_id', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('approved_amount', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['open_line_id'], ['order_line.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['commerce_order.id'], ),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['merchant_organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_line_id')
    )
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_request_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_request_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_request_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_request_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_request_state'), ['state'], unique=False)

    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_line_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_payment_attempt_order_line_id', 'order_line',
                                    ['order_line_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_constraint('fk_payment_attempt_order_line_id', type_='foreignkey')
        batch_op.drop_column('order_line_id')

    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_request_state'))
        batch_op.drop_index(batch_op.f('ix_refund_request_organization_id'))
        batch_op.drop_index(batch_op.f('ix_refund_request_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_refund_request_order_id'))
        batch_op.drop_index(batch_op.f('ix_refund_request_buyer_id'))

    op.drop_table('refund_request')
    with op.batch_alter_table('invoice_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_request_state'))
        batch_op.drop_index(batch_op.f('ix_invoice_request_organization_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_request_order_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_request_buyer_id'))
    op.drop_table('invoice_request')
