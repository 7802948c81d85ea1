"""entitlement.overage_unit_price: a membership's overage price as sold

The gateway decided whether a membership may go past its quota from the plan as it is now; a
merchant editing the plan changed what entitlements already bought allowed. The price per extra
call is now kept on the entitlement when it is granted, and existing membership entitlements get
it from their order line's terms (``plan_terms`` JSON, read in Python so that SQLite and
PostgreSQL take the same path).

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 06:30:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overage_unit_price', sa.Integer(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT e.id, l.plan_terms FROM entitlement e JOIN order_line l "
        "ON l.id = e.order_line_id WHERE e.pricing_model = 'membership'")).all()
    for entitlement_id, terms in rows:
        if isinstance(terms, str):
            terms = json.loads(terms)
        price = (terms or {}).get('overage_unit_price')
        if price is not None:
            connection.execute(sa.text(
                "UPDATE entitlement SET overage_unit_price = :price WHERE id = :id"),
                {"price": int(price), "id": entitlement_id})


def downgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_column('overage_unit_price')
