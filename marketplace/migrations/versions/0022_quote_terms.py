"""service_quote.calls and valid_days: what a quoted price buys

A quote had only a price, and the entitlement it became had no quota and no end. The merchant
now quotes the calls included and how many days they stay usable from payment; quotes made
before stay without them and must be quoted again before they can be accepted.

Revision ID: 0022
Revises: 0014
Create Date: 2026-12-07 12:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('service_quote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calls', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('valid_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('service_quote', schema=None) as batch_op:
        batch_op.drop_column('valid_days')
        batch_op.drop_column('calls')
