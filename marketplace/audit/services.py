"""Appending to and verifying the hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields in a
canonical JSON form, so changing, removing or inserting any entry breaks the chain at that point.
Appends lock the single chain-head row, which serializes writers on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select, update

from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.base import utcnow

GENESIS_HASH = "0" * 64


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, computed from its ``prev_hash`` and its own fields."""
    payload = {
        "prev_hash": entry.prev_hash,
        "occurred_at": entry.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _chain_head(session: Session) -> AuditChainHead:
    # SQLite ignores FOR UPDATE, and pysqlite runs a SELECT outside any transaction, so two
    # writers could both read the same tip. A no-op UPDATE of the head row first takes the row
    # lock on PostgreSQL and the database write lock on SQLite, waiting for the other writer.
    session.exec(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_seq=AuditChainHead.last_seq)
        .execution_options(synchronize_session=False)
    )
    # populate_existing: a head object kept from an earlier transaction holds a stale tip.
    head = session.exec(
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:
        # The migration creates this row; a database built by create_all (tests) gets it here.
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def lock_chain(session: Session) -> None:
    """Take the chain's append lock for the rest of the caller's transaction (a writer that
    must read something consistently with what it then appends, as sealing a batch does)."""
    _chain_head(session)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: Any,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction; it is kept only if the caller commits.

    :param actor_id: the user who acted, or ``None`` for the platform itself (CLI, scheduler).
    :param action: a dotted name such as ``listing.approve``.
    :param details: JSON-serializable facts worth keeping (old and new state, reason...).
    """
    head = _chain_head(session)
    # A JSON round trip now makes the stored details identical to the hashed ones.
    clean_details = json.loads(json.dumps(details or {}, default=str))
    entry = AuditEntry(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=clean_details,
        prev_hash=head.last_hash,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.entry_hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The result of :func:`verify_chain`: ``problem`` is ``None`` when the chain is intact."""

    checked: int
    problem: str | None = None
    seq: int | None = None
    kind: str | None = None  # "altered", "removed" or "inserted"

    @property
    def ok(self) -> bool:
        return self.problem is None


def _entries(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        # populate_existing: check what the database holds, not objects the session kept.
        rows = session.exec(
            select(AuditEntry)
            .where(AuditEntry.seq > last)
            .order_by(AuditEntry.seq)
            .limit(batch)
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole chain and name the first entry that was altered, removed or inserted."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    before_prev_hash: str | None = None
    stream = _entries(session)
    entry = next(stream, None)
    while entry is not None:
        following = next(stream, None)
        if entry_hash(entry) != entry.entry_hash:
            return ChainReport(
                checked,
                f"Entry #{entry.seq} was altered: its contents no longer match its hash.",
                entry.seq,
                "altered",
            )
        if entry.prev_hash != prev_hash:
            if following is not None and following.prev_hash == prev_hash:
                return ChainReport(
                    checked,
                    f"Entry #{entry.seq} was inserted: the next entry links past it.",
                    entry.seq,
                    "inserted",
                )
            if entry.prev_hash == before_prev_hash:
                # The previous entry is consistent in itself but this one links past it.
                return ChainReport(
                    checked - 1,
                    f"Entry #{expected_seq - 1} was inserted: entry #{entry.seq} links past it.",
                    expected_seq - 1,
                    "inserted",
                )
            missing = expected_seq if entry.seq > expected_seq else entry.seq
            return ChainReport(
                checked,
                f"Entry #{missing} was removed: entry #{entry.seq} does not link to "
                f"entry #{expected_seq - 1}.",
                missing,
                "removed",
            )
        if entry.seq != expected_seq:
            return ChainReport(
                checked,
                f"Entry #{entry.seq} was altered: it follows #{expected_seq - 1} "
                "but its sequence number was changed.",
                entry.seq,
                "altered",
            )
        checked += 1
        before_prev_hash, prev_hash = prev_hash, entry.entry_hash
        expected_seq = entry.seq + 1
        entry = following

    head = session.get(AuditChainHead, 1, populate_existing=True)
    last_seq = expected_seq - 1
    if head is not None and head.last_seq > last_seq:
        return ChainReport(
            checked,
            f"Entry #{last_seq + 1} was removed: the chain head records {head.last_seq} entries "
            f"but the log ends at #{last_seq}.",
            last_seq + 1,
            "removed",
        )
    if head is not None and (head.last_seq < last_seq or head.last_hash != prev_hash):
        # Same length but another tip: the last entry was replaced by a forged one.
        first_extra = head.last_seq + 1 if head.last_seq < last_seq else last_seq
        return ChainReport(
            checked,
            f"Entry #{first_extra} was inserted: it was appended outside the audit log "
            f"(the chain head ends at #{head.last_seq}).",
            first_extra,
            "inserted",
        )
    return ChainReport(checked)


def recent_entries(session: Session, limit: int = 200) -> list[AuditEntry]:
    """The newest ``limit`` entries of the log, newest first (for the admin's audit page)."""
    return list(
        session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(limit))
    )
