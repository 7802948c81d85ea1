"""The hash-chained audit log: verification names exactly where history was changed.

Tampering goes around the application, through SQL on the engine, as an attacker with database
access would (on PostgreSQL, whose test databases are migrated, switching the append-only
trigger off first: tests/audit_support.py). ``test_migrated_database_refuses_update_and_delete``
and tests/unit/audit/test_append_only.py show the triggers refusing.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from marketplace import migrate
from marketplace.audit import services as audit
from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.base import utcnow
from marketplace.db import get_engine, make_engine, new_session
from tests.audit_support import tamper

N = 6


def record_entries(session: Session, count: int, start: int = 1) -> list[AuditEntry]:
    return [
        audit.record(
            session,
            actor_id=i,
            action="listing.approve",
            subject_type="listing",
            subject_id=i,
            details={"from": "submitted", "to": "approved", "n": i, "note": "审核通过"},
        )
        for i in range(start, start + count)
    ]


@pytest.fixture
def engine(app):
    return get_engine(app)


@pytest.fixture
def chain(db):
    """N committed entries, 1..N."""
    record_entries(db, N)
    db.commit()
    return db


def verify(engine):
    """Verify with a session of its own, as the CLI does."""
    with Session(engine) as session:
        return audit.verify_chain(session)


def sql(engine, statement: str, **params) -> None:
    tamper(engine, statement, **params)


def hash_of(engine, seq: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT entry_hash FROM audit_entry WHERE seq = :s"), {"s": seq}
        ).scalar_one()


def forged(seq: int, prev_hash: str) -> AuditEntry:
    entry = AuditEntry(seq=seq, occurred_at=utcnow(), actor_id=99, action="refund.grant",
                       subject_type="order", subject_id="7", details={"amount": 1_000_000},
                       prev_hash=prev_hash, entry_hash="")
    entry.entry_hash = audit.entry_hash(entry)
    return entry


def insert_raw(engine, entry: AuditEntry) -> None:
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.insert().values(
            **entry.model_dump(exclude={"id"})))


def shift_up_from(engine, seq: int) -> None:
    """Make room at ``seq``: renumber later entries, highest first (seq is unique)."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_entry")).scalar_one()
    for s in range(last, seq - 1, -1):
        sql(engine, "UPDATE audit_entry SET seq = seq + 1 WHERE seq = :s", s=s)


# ---------------------------------------------------------------------------- intact


def test_empty_log_verifies(engine, db):
    report = verify(engine)
    assert report.ok and report.checked == 0


def test_intact_chain_verifies(engine, chain):
    report = verify(engine)
    assert report.ok, report.problem
    assert report.checked == N
    assert (report.seq, report.kind) == (None, None)


def test_entries_link_to_each_other_and_the_head(engine, chain):
    entries = chain.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, N + 1))
    assert entries[0].prev_hash == audit.GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    head = chain.get(AuditChainHead, 1)
    assert (head.last_seq, head.last_hash) == (N, entries[-1].entry_hash)


def test_uncommitted_entries_leave_no_trace(engine, chain):
    record_entries(chain, 3, start=100)
    chain.rollback()
    assert verify(engine).checked == N


# ---------------------------------------------------------------------------- tampering


def test_altered_details_are_reported_with_their_seq(engine, chain):
    sql(engine, """UPDATE audit_entry SET details = '{"from": "submitted", "to": "rejected"}'
                   WHERE seq = 3""")
    report = verify(engine)
    assert not report.ok
    assert (report.kind, report.seq, report.checked) == ("altered", 3, 2)
    assert "#3" in report.problem


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor_id", 42), ("action", "listing.reject"), ("subject_id", "999"),
     ("occurred_at", "2020-01-01 00:00:00.000000")],
)
def test_any_altered_field_is_reported(engine, chain, column, value):
    sql(engine, f"UPDATE audit_entry SET {column} = :v WHERE seq = 4", v=value)
    report = verify(engine)
    assert (report.kind, report.seq) == ("altered", 4)


def test_renumbered_entry_is_reported(engine, chain):
    sql(engine, "UPDATE audit_entry SET seq = 50 WHERE seq = :s", s=N)
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("altered", 50, N - 1)


def test_tampering_is_seen_by_a_session_that_wrote_the_entries(engine, db):
    """The verifier reads the database, not the objects the caller's session still holds."""
    kept = record_entries(db, N)  # noqa: F841  (held, so the session's identity map keeps them)
    db.commit()
    sql(engine, """UPDATE audit_entry SET details = '{"forged": true}' WHERE seq = 2""")
    report = audit.verify_chain(db)
    assert (report.kind, report.seq) == ("altered", 2)


def test_removal_is_seen_by_a_session_that_holds_the_head(engine, db):
    record_entries(db, N)
    db.commit()
    head = db.get(AuditChainHead, 1)
    sql(engine, "DELETE FROM audit_entry WHERE seq = :s", s=N)
    sql(engine, "UPDATE audit_chain_head SET last_seq = 99 WHERE id = 1")
    report = audit.verify_chain(db)
    assert (report.kind, report.seq) == ("removed", N)
    assert head.last_seq == 99  # verify read the head from the database


def test_appends_after_another_session_wrote_use_the_current_tip(engine, db):
    """A session that kept the head object from an earlier transaction must not reuse its tip."""
    record_entries(db, 2)
    db.commit()
    head = db.get(AuditChainHead, 1)
    assert head.last_seq == 2
    with Session(engine) as other:
        record_entries(other, 3, start=10)
        other.commit()
    entry = audit.record(db, actor_id=None, action="late", subject_type="t", subject_id=1)
    db.commit()
    assert entry.seq == 6
    assert verify(engine).ok


def test_entry_removed_from_the_middle(engine, chain):
    sql(engine, "DELETE FROM audit_entry WHERE seq = 3")
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("removed", 3, 2)
    assert "#3" in report.problem


def test_first_entry_removed(engine, chain):
    sql(engine, "DELETE FROM audit_entry WHERE seq = 1")
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("removed", 1, 0)


def test_last_entry_removed(engine, chain):
    sql(engine, "DELETE FROM audit_entry WHERE seq = :s", s=N)
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("removed", N, N - 1)


def test_forged_entry_inserted_in_the_middle(engine, chain):
    """A self-consistent forged entry that links to its predecessor is found at its position."""
    position = 3
    shift_up_from(engine, position)
    insert_raw(engine, forged(position, prev_hash=hash_of(engine, position - 1)))
    report = verify(engine)
    assert not report.ok
    assert (report.kind, report.seq, report.checked) == ("inserted", position, position - 1)
    assert f"#{position}" in report.problem


def test_forged_entry_with_a_made_up_prev_hash_inserted_in_the_middle(engine, chain):
    position = 4
    shift_up_from(engine, position)
    insert_raw(engine, forged(position, prev_hash="f" * 64))
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("inserted", position, position - 1)


def test_forged_entry_inserted_first(engine, chain):
    shift_up_from(engine, 1)
    insert_raw(engine, forged(1, prev_hash=audit.GENESIS_HASH))
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("inserted", 1, 0)


def test_entry_appended_without_updating_the_head(engine, chain):
    insert_raw(engine, forged(N + 1, prev_hash=hash_of(engine, N)))
    report = verify(engine)
    assert (report.kind, report.seq, report.checked) == ("inserted", N + 1, N + 1)
    assert f"#{N + 1}" in report.problem


def test_last_entry_replaced_by_a_forged_one(engine, chain):
    sql(engine, "DELETE FROM audit_entry WHERE seq = :s", s=N)
    insert_raw(engine, forged(N, prev_hash=hash_of(engine, N - 1)))
    report = verify(engine)
    assert (report.kind, report.seq) == ("inserted", N)


# ---------------------------------------------------------------------------- the CLI


def test_cli_verify_exits_0_with_the_count(app, chain):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{N} entries verified" in result.output


def test_cli_verify_exits_1_naming_the_entry(app, engine, chain):
    sql(engine, "DELETE FROM audit_entry WHERE seq = 2")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.stderr
    assert "Entry #2 was removed" in result.stderr


def test_cli_verify_names_an_altered_entry(app, engine, chain):
    sql(engine, """UPDATE audit_entry SET details = '{}' WHERE seq = 5""")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "Entry #5 was altered" in result.stderr


# ---------------------------------------------------------------------------- the database


def test_migrated_database_refuses_update_and_delete(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        session = new_session(engine)
        record_entries(session, 3)
        session.commit()
        session.close()
        for statement in ("UPDATE audit_entry SET details = '{}' WHERE seq = 2",
                          "DELETE FROM audit_entry WHERE seq = 2",
                          "DELETE FROM audit_entry"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with Session(engine) as check:
            assert check.exec(select(func.count()).select_from(AuditEntry)).one() == 3
            report = audit.verify_chain(check)
        assert report.ok and report.checked == 3
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- concurrency


def test_concurrent_appends_form_one_chain(empty_database_url):
    """Two writers through separate sessions: the chain-head lock serializes them, no retries.

    On a migrated database of the suite's engine (PostgreSQL when the suite runs there)."""
    url = empty_database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    per_thread, errors = 50, []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        session = new_session(engine)
        try:
            start.wait()
            for i in range(per_thread):
                audit.record(session, actor_id=None, action="test.append",
                             subject_type="thread", subject_id=name, details={"i": i})
                session.commit()
        except Exception as exc:  # reported below; the thread must not die silently
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        with Session(engine) as session:
            report = audit.verify_chain(session)
            per_writer = session.exec(
                select(AuditEntry.subject_id, func.count()).group_by(AuditEntry.subject_id)
            ).all()
        assert report.ok, report.problem
        assert report.checked == 2 * per_thread
        assert sorted(per_writer) == [("a", per_thread), ("b", per_thread)]
    finally:
        engine.dispose()
