"""On PostgreSQL the database itself refuses to change or remove audit entries.

The trigger comes from the migrations (``0001_initial_schema``), which is how the suite builds
its PostgreSQL schema; these tests run only there (``make test-postgres``, which ``.ci/run``
invokes). SQLite's triggers are covered by
``test_chain.test_migrated_database_refuses_update_and_delete``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from marketplace.audit import services as audit
from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="the append-only trigger under test is PostgreSQL's")


@pytest.fixture
def engine(app, db):
    for i in range(1, 4):
        audit.record(db, actor_id=i, action="listing.approve", subject_type="listing",
                     subject_id=i, details={"n": i})
    db.commit()
    return get_engine(app)


def test_the_suite_schema_comes_from_the_migrations(engine):
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        triggers = conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass "
            "AND NOT tgisinternal")).scalars().all()
    assert version
    assert {"audit_entry_append_only", "audit_entry_no_truncate"} <= set(triggers)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET details = '{}' WHERE seq = 2",
    "UPDATE audit_entry SET actor_id = 99",
    "DELETE FROM audit_entry WHERE seq = 3",
    "DELETE FROM audit_entry",
    "TRUNCATE audit_entry",
])
def test_update_and_delete_are_refused_by_the_database(engine, statement):
    with pytest.raises(DBAPIError, match="audit_entry is append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with Session(engine) as check:
        assert check.exec(select(func.count()).select_from(AuditEntry)).one() == 3
        report = audit.verify_chain(check)
    assert report.ok and report.checked == 3


def test_appending_still_works(engine):
    with Session(engine) as session:
        entry = audit.record(session, actor_id=None, action="late", subject_type="t",
                             subject_id=1)
        session.commit()
        assert entry.seq == 4
        assert audit.verify_chain(session).ok
