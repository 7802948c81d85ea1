"""The periodic work of watching use, as one plain function: abnormal-use detection, then
version notices. Idempotent; scheduled as a background job (and run by
``datamarket sweep-usage``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace.accounts.services import admins
from marketplace.base import utcnow
from marketplace.monitoring import detection, notices
from marketplace.notifications.services import notify
from marketplace.settings import UsageWatchSettings


@dataclass(frozen=True)
class SweepReport:
    alerts: int
    suspended_keys: int
    notices: int
    input_keys_cleared: int


def sweep_usage(session: Session, watch: UsageWatchSettings,
                now: datetime | None = None) -> SweepReport:
    """Detect abnormal use (alerts, suspensions; admins told under the bell and by mail) and
    send version notices, then commit. Safe to repeat."""
    now = now or utcnow()
    found = detection.sweep(session, watch, now)
    if found.raised:
        people = admins(session)
        for alert in found.raised:
            notify(session, people, "usage.alert",
                   {"prefix": alert.evidence.get("key_prefix", ""), "rule": alert.rule,
                    "id": alert.id}, link=f"/admin/alerts/{alert.id}")
    told = notices.send_version_notices(session, now)
    session.commit()
    return SweepReport(len(found.raised), len(found.suspended), told, found.input_keys_cleared)
