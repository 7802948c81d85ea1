"""background jobs: the record of every job (job_run) and the keys of effects done once
(job_effect)

Revision ID: 0017
Revises: 0020
Create Date: 2026-12-07 12:05:23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('asked_by', sa.Integer(), nullable=True),
    sa.Column('run_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['asked_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_asked_by'), ['asked_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_state'), ['state'], unique=False)

    op.create_table('job_effect',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job_run.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('job_effect', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_effect_job_id'), ['job_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_effect', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_effect_job_id'))
    op.drop_table('job_effect')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_state'))
        batch_op.drop_index(batch_op.f('ix_job_run_kind'))
        batch_op.drop_index(batch_op.f('ix_job_run_asked_by'))

    op.drop_table('job_run')
