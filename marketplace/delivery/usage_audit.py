"""Gateway calls in the audit chain, in batches.

Every call through the gateway leaves a usage record (its request id, key, entitlement,
operation, time). Appending an audit entry per call would take the chain head's lock inside every
request and serialize the gateway, so calls are chained in batches instead: :func:`seal` takes
the chain lock, reads the records not sealed yet (oldest first), and appends one
``usage.seal`` entry holding their ids and a SHA-256 digest of their contents, then marks them
with that entry's ``seq``. The gateway seals every ``GATEWAY_AUDIT_BATCH`` calls per process;
``datamarket usage seal`` (and ``datamarket audit verify``, before it checks) seals the rest.

:func:`verify` recomputes every sealed batch: a usage record changed, removed or added to a
sealed batch, or pointing at a seal that does not exist, is reported. The audit chain protects
the seal entries themselves.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.audit.models import AuditEntry
from marketplace.delivery.models import UsageRecord

SEAL_ACTION = "usage.seal"
#: The most records one seal covers.
MAX_BATCH = 1000


def _when(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="microseconds")


def digest(records: list[UsageRecord]) -> str:
    """SHA-256 over the records' contents, in id order."""
    lines = [json.dumps([r.id, r.entitlement_id, r.api_key_id, r.operation, r.units, r.kind,
                         _when(r.occurred_at), r.request_id,
                         # a sandbox call's trial (absent for others: their digests stand)
                         *([r.trial_id] if r.trial_id is not None else [])],
                        separators=(",", ":"))
             for r in sorted(records, key=lambda r: r.id)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def seal(session: Session, limit: int = MAX_BATCH) -> AuditEntry | None:
    """Append one audit entry sealing up to ``limit`` unsealed usage records, in the caller's
    transaction; None when there is nothing to seal."""
    audit.lock_chain(session)  # two sealers never read the same unsealed records
    records = list(session.exec(select(UsageRecord).where(
        col(UsageRecord.audit_batch).is_(None)).order_by(col(UsageRecord.id)).limit(limit)
        .execution_options(populate_existing=True)))
    if not records:
        return None
    ids = [r.id for r in records]
    entry = audit.record(session, actor_id=None, action=SEAL_ACTION, subject_type="usage_batch",
                         subject_id=f"{ids[0]}-{ids[-1]}",
                         details={"count": len(ids), "ids": ids, "digest": digest(records)})
    session.exec(update(UsageRecord).where(col(UsageRecord.id).in_(ids))
                 .values(audit_batch=entry.seq).execution_options(synchronize_session=False))
    return entry


def seal_all(session: Session) -> int:
    """Seal every unsealed record, committing each batch; how many batches."""
    batches = 0
    while seal(session) is not None:
        session.commit()
        batches += 1
    session.commit()
    return batches


class Sealer:
    """Counts this process's gateway calls and seals a batch every ``batch`` calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0

    def call_made(self, batch: int) -> bool:
        """Count one call; True when this one should seal a batch."""
        with self._lock:
            self._calls += 1
            if self._calls >= batch:
                self._calls = 0
                return True
            return False


SEALER = Sealer()


@dataclass
class UsageSealReport:
    batches: int = 0
    records: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> UsageSealReport:
    """Recompute every sealed batch of usage records and name those that no longer match."""
    report = UsageSealReport()
    seals = session.exec(select(AuditEntry).where(AuditEntry.action == SEAL_ACTION)
                         .order_by(col(AuditEntry.seq))).all()
    known = set()
    for entry in seals:
        known.add(entry.seq)
        records = list(session.exec(select(UsageRecord).where(
            UsageRecord.audit_batch == entry.seq).execution_options(populate_existing=True)))
        ids = sorted(r.id for r in records)
        expected = entry.details.get("ids") or []
        report.batches += 1
        report.records += len(records)
        if ids != expected:
            gone = sorted(set(expected) - set(ids))
            added = sorted(set(ids) - set(expected))
            report.problems.append(
                f"Usage batch sealed by audit entry #{entry.seq}: records removed {gone}, "
                f"records added {added}.")
        elif digest(records) != entry.details.get("digest"):
            report.problems.append(
                f"Usage batch sealed by audit entry #{entry.seq} (records {entry.subject_id}) "
                "was altered: its records no longer match the sealed digest.")
    stray = session.exec(select(UsageRecord.audit_batch).where(
        col(UsageRecord.audit_batch).is_not(None),
        col(UsageRecord.audit_batch).not_in(known or {0})).distinct()).all()
    for seq in stray:
        report.problems.append(f"Usage records claim a seal #{seq} that the audit log lacks.")
    report.unsealed = int(session.exec(select(func.count()).select_from(UsageRecord).where(
        col(UsageRecord.audit_batch).is_(None))).one())
    return report
