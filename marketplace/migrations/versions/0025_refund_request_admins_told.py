"""refund_request.admins_told_at: when the admins heard a request became theirs

A refund request the merchant leaves undecided for three working days may be decided by an
admin; the sweep tells the admins once and records when.

Revision ID: 0025
Revises: 0021
Create Date: 2026-12-07 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0025'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admins_told_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_column('admins_told_at')
