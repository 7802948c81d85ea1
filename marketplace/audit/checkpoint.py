"""Anchoring the audit chain outside the database: signed checkpoints of its head.

The hash chain shows any change *inside* the log, but someone who can write the database can
delete the newest entries and rewind ``audit_chain_head`` to the last one kept: the shorter chain
is then intact in itself. A checkpoint records the head (its ``seq`` and entry hash, and when)
in a file outside the database, one JSON object a line, signed with HMAC-SHA256 under a key
derived from the app's ``SECRET_KEY``. Verifying against the latest checkpoint then requires the
entry it names to still be there with the same hash, so a truncated log is caught and named.

The signature keeps a database writer without the secret from writing a checkpoint that matches
a rewritten log; the file itself should live where that writer cannot delete it (a separate
volume, or shipped to log storage: every checkpoint is also logged).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from marketplace.audit.models import AuditChainHead, AuditEntry
from marketplace.audit.services import ChainReport, verify_chain
from marketplace.base import utcnow

log = logging.getLogger(__name__)

#: Domain separation: the checkpoint key is used for nothing else than checkpoints.
_KEY_LABEL = b"datamarket audit checkpoint v1"


class CheckpointError(Exception):
    """The checkpoint file cannot be trusted (unreadable, or a signature does not match), or
    the chain is broken and must not be anchored."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at one moment: entry ``seq`` had hash ``entry_hash``."""

    seq: int
    entry_hash: str
    created_at: str  # ISO 8601, UTC
    signature: str = ""

    def payload(self) -> bytes:
        body = {"seq": self.seq, "entry_hash": self.entry_hash, "created_at": self.created_at}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def describe(self) -> str:
        return f"checkpoint of {self.created_at} (entry #{self.seq}, {self.entry_hash[:12]}…)"


def checkpoint_key(secret_key: str) -> bytes:
    """The HMAC key of checkpoints, derived from the app's secret (never the secret itself)."""
    return hmac.new(secret_key.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def sign(checkpoint: Checkpoint, secret_key: str) -> Checkpoint:
    signature = hmac.new(checkpoint_key(secret_key), checkpoint.payload(), hashlib.sha256)
    return Checkpoint(checkpoint.seq, checkpoint.entry_hash, checkpoint.created_at,
                      signature.hexdigest())


def _signed_correctly(checkpoint: Checkpoint, secret_key: str) -> bool:
    return hmac.compare_digest(sign(checkpoint, secret_key).signature, checkpoint.signature)


def write_checkpoint(session: Session, path: Path, secret_key: str,
                     now: datetime | None = None) -> Checkpoint:
    """Verify the chain, then append a signed checkpoint of its head to ``path`` and log it.

    :raises CheckpointError: the chain is broken (anchoring it would bless the damage).
    """
    report = verify_chain(session)
    if not report.ok:
        raise CheckpointError(f"The audit chain is broken; no checkpoint written. {report.problem}")
    head = session.get(AuditChainHead, 1, populate_existing=True)
    seq, entry_hash = (head.last_seq, head.last_hash) if head is not None else (0, "0" * 64)
    created = (now or utcnow()).isoformat(timespec="seconds")
    checkpoint = sign(Checkpoint(seq, entry_hash, created), secret_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(checkpoint), sort_keys=True) + "\n"
    # One write of one line in append mode: concurrent writers never interleave a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit checkpoint: seq=%s entry_hash=%s created_at=%s signature=%s",
             checkpoint.seq, checkpoint.entry_hash, checkpoint.created_at, checkpoint.signature)
    return checkpoint


def read_checkpoints(path: Path, secret_key: str) -> list[Checkpoint]:
    """Every checkpoint in ``path``, oldest first; ``[]`` when the file does not exist.

    :raises CheckpointError: a line is not a checkpoint, or its signature does not match.
    """
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            checkpoint = Checkpoint(int(data["seq"]), str(data["entry_hash"]),
                                    str(data["created_at"]), str(data["signature"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{path} line {number} is not a checkpoint ({exc}).") from None
        if not _signed_correctly(checkpoint, secret_key):
            raise CheckpointError(
                f"{path} line {number}: the {checkpoint.describe()} is not signed with this "
                "installation's key; the file was edited or belongs to another installation.")
        found.append(checkpoint)
    return found


def verify_against(session: Session, checkpoint: Checkpoint) -> ChainReport:
    """Check the chain, then that it still holds the entry ``checkpoint`` anchored.

    The chain is checked first, so damage inside it is named as :func:`verify_chain` names it;
    an intact chain that no longer reaches the checkpoint's entry, or reaches it with another
    hash, was cut back (and perhaps regrown) after the checkpoint.
    """
    report = verify_chain(session)
    if not report.ok or checkpoint.seq == 0:
        return report
    anchored = session.exec(
        select(AuditEntry).where(AuditEntry.seq == checkpoint.seq)
        .execution_options(populate_existing=True)
    ).first()
    if anchored is None:
        return ChainReport(
            report.checked,
            f"Entries after #{report.checked} were removed: the {checkpoint.describe()} "
            f"records entry #{checkpoint.seq}, but the log ends at #{report.checked}.",
            report.checked + 1,
            "removed",
        )
    if anchored.entry_hash != checkpoint.entry_hash:
        return ChainReport(
            checkpoint.seq - 1,
            f"Entry #{checkpoint.seq} was replaced: its hash differs from the one in the "
            f"{checkpoint.describe()}; the log was rewritten from there on.",
            checkpoint.seq,
            "altered",
        )
    return report
