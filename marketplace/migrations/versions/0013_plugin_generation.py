"""plugin_generation: one counter that moves with every change to a plugin's state or trust

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-07 03:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plugin_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO plugin_generation (id, counter) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('plugin_generation')
