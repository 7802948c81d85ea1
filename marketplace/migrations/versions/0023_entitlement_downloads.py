"""entitlements count their data package downloads (against the download limit)

Revision ID: 0023
Revises: 0024
Create Date: 2026-12-07 15:58:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('downloads_used', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_column('downloads_used')
