"""user_account: when the e-mail address was confirmed, and whether sellers may see it

Revision ID: 0011
Revises: 0013
Create Date: 2026-12-07 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('share_email_with_sellers', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Accounts made before confirmation was asked for keep buying as they did.
    op.execute("UPDATE user_account SET email_confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('share_email_with_sellers')
        batch_op.drop_column('email_confirmed_at')
