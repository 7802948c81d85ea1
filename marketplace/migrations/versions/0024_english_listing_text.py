"""a listing's optional English title, summary and description beside the Chinese ones, and
an order line's English title

Revision ID: 0024
Revises: 0025
Create Date: 2026-12-07 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0024'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("title_en", 200), ("summary_en", 500), ("description_md_en", 50_000))


def upgrade() -> None:
    # Existing listings keep their text as the Chinese version and have no English one yet.
    with op.batch_alter_table('listing') as batch_op:
        for name, length in _COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length),
                                          nullable=False, server_default=''))
    with op.batch_alter_table('order_line') as batch_op:
        batch_op.add_column(sa.Column('title_en', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('order_line') as batch_op:
        batch_op.drop_column('title_en')
    with op.batch_alter_table('listing') as batch_op:
        for name, _length in reversed(_COLUMNS):
            batch_op.drop_column(name)
