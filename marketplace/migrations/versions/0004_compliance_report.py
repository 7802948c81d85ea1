"""compliance report: the automatic scan attached to a listing's review

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'compliance_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('blocking', sa.Integer(), nullable=False),
        sa.Column('scanned_by', sa.JSON(), nullable=False),
        sa.Column('failures', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('compliance_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_report_listing_id'), ['listing_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('compliance_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_report_listing_id'))
    op.drop_table('compliance_report')
