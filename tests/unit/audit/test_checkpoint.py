"""Checkpoints anchor the audit chain's head outside the database, so truncation is caught.

The attack: delete the newest entries and rewind ``audit_chain_head`` to the last one kept. The
shorter chain is intact in itself (``verify_chain`` finds nothing); the checkpoint written before
still names the removed entry, and ``audit verify`` fails naming that checkpoint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from marketplace.audit import checkpoint as checkpoints
from marketplace.audit import services as audit
from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine
from tests.audit_support import tamper

N = 6
SECRET = "test-secret-key"  # conftest's SECRET_KEY


def record_entries(session: Session, count: int, start: int = 1) -> list[AuditEntry]:
    entries = [audit.record(session, actor_id=i, action="order.refund", subject_type="order",
                            subject_id=i, details={"n": i}) for i in range(start, start + count)]
    session.commit()
    return entries


@pytest.fixture
def engine(app):
    return get_engine(app)


@pytest.fixture
def path(app):
    return app.extensions["datamarket.settings"].audit_checkpoint_file


def hash_of(engine, seq: int) -> str:
    with Session(engine) as session:
        return session.get(AuditEntry, seq).entry_hash  # ids follow seq in a fresh log


def truncate_to(engine, keep: int) -> None:
    """Delete entries after ``keep`` and rewind the head to it, as an attacker would."""
    tip = hash_of(engine, keep)
    tamper(engine, "DELETE FROM audit_entry WHERE seq > :keep", keep=keep)
    tamper(engine, "UPDATE audit_chain_head SET last_seq = :keep, last_hash = :tip WHERE id = 1",
           keep=keep, tip=tip)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_checkpoint_file_is_under_the_instance_folder_by_default(app, path):
    assert path == Path(app.config["INSTANCE_PATH"]) / "audit-checkpoints.jsonl"


def test_checkpoint_records_the_head_signed(db, path):
    record_entries(db, N)
    written = checkpoints.write_checkpoint(db, path, SECRET,
                                           now=datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
    assert (written.seq, written.entry_hash) == (N, hash_of(db.get_bind(), N))
    line = json.loads(path.read_text().splitlines()[-1])
    assert line == {"seq": N, "entry_hash": written.entry_hash,
                    "created_at": "2026-12-07T03:00:00+00:00", "signature": written.signature}
    assert checkpoints.read_checkpoints(path, SECRET) == [written]
    # Another installation's key does not accept it.
    with pytest.raises(checkpoints.CheckpointError, match="not signed"):
        checkpoints.read_checkpoints(path, "another-secret")


def test_checkpoints_are_appended_and_logged(db, path, caplog):
    record_entries(db, 2)
    caplog.set_level("INFO", logger="marketplace.audit.checkpoint")
    first = checkpoints.write_checkpoint(db, path, SECRET)
    record_entries(db, 3, start=10)
    second = checkpoints.write_checkpoint(db, path, SECRET)
    assert [c.seq for c in checkpoints.read_checkpoints(path, SECRET)] == [2, 5]
    assert first.signature != second.signature
    assert f"seq=5 entry_hash={second.entry_hash}" in caplog.text


def test_truncation_with_a_rewound_head_fools_the_chain_alone(engine, db, path):
    record_entries(db, N)
    truncate_to(engine, 4)
    with Session(engine) as session:
        assert audit.verify_chain(session).ok  # why the checkpoint is needed


def test_verify_fails_naming_the_checkpoint_after_truncation(app, engine, db, path):
    record_entries(db, N)
    assert cli(app, "checkpoint").exit_code == 0
    written = checkpoints.read_checkpoints(path, SECRET)[-1]
    record_entries(db, 2, start=20)  # entries after the checkpoint are fine
    assert cli(app, "verify").exit_code == 0

    truncate_to(engine, 4)
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "BROKEN" in result.stderr
    assert f"checkpoint of {written.created_at} (entry #{N}" in result.stderr
    assert "the log ends at #4" in result.stderr


def test_truncation_then_regrowth_is_caught_by_the_anchored_hash(engine, db, path):
    record_entries(db, N)
    written = checkpoints.write_checkpoint(db, path, SECRET)
    truncate_to(engine, 3)
    with Session(engine) as session:
        record_entries(session, 5, start=100)  # new entries 4..8, a self-consistent chain
        report = checkpoints.verify_against(session, written)
    assert not report.ok
    assert (report.kind, report.seq) == ("altered", N)
    assert written.describe() in report.problem


def test_an_edited_checkpoint_file_is_refused(app, db, path):
    record_entries(db, N)
    checkpoints.write_checkpoint(db, path, SECRET)
    line = json.loads(path.read_text())
    line["seq"] = 2  # make the anchor agree with a log cut back to #2
    path.write_text(json.dumps(line) + "\n")
    result = cli(app, "verify")
    assert result.exit_code == 1
    assert "UNTRUSTED" in result.stderr and "line 1" in result.stderr


def test_a_broken_chain_is_not_anchored(app, engine, db, path):
    record_entries(db, N)
    tamper(engine, "UPDATE audit_entry SET details = '{}' WHERE seq = 2")
    result = cli(app, "checkpoint")
    assert result.exit_code == 1
    assert "Entry #2 was altered" in result.stderr
    assert not path.exists()


def test_verify_without_a_checkpoint_says_so(app, db):
    record_entries(db, 2)
    result = cli(app, "verify")
    assert result.exit_code == 0
    assert "2 entries verified" in result.output and "No checkpoint yet" in result.output
