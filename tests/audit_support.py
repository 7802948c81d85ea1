"""Tampering with the audit log as an attacker with database access would.

On PostgreSQL the migrations install a trigger that refuses UPDATE and DELETE on ``audit_entry``
(tests/unit/audit/test_append_only.py shows it). The table's owner can still switch it off for
one transaction, and that is what an attacker holding those credentials would do first; so the
tampering helpers do the same, and the hash chain and its checkpoints must still catch them.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def tamper(engine: Engine, statement: str, **params) -> None:
    """Run ``statement`` (SQL that changes the audit tables) around the append-only trigger."""
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        conn.execute(text(statement), params)
        if postgres:
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
