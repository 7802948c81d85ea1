"""plugins: installed plugins (with the admins' decisions) and their incidents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:09:02.530743
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('installed_plugin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('trusted', sa.Boolean(), nullable=False),
    sa.Column('load_error', sa.Text(), nullable=False),
    sa.Column('health', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('installed_plugin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installed_plugin_name'), ['name'], unique=True)

    op.create_table('plugin_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('plugin', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plugin_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plugin_incident_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_plugin_incident_incident'), ['incident'], unique=True)
        batch_op.create_index(batch_op.f('ix_plugin_incident_plugin'), ['plugin'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plugin_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plugin_incident_plugin'))
        batch_op.drop_index(batch_op.f('ix_plugin_incident_incident'))
        batch_op.drop_index(batch_op.f('ix_plugin_incident_created_at'))

    op.drop_table('plugin_incident')
    with op.batch_alter_table('installed_plugin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installed_plugin_name'))

    op.drop_table('installed_plugin')
