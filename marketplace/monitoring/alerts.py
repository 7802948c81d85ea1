"""Alerts of abnormal use as admins handle them: the open ones first, one with its evidence,
closing it (and lifting the key's suspension when the use was legitimate). Audited."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey
from marketplace.errors import Conflict
from marketplace.monitoring.models import AlertRule, AlertState, UsageAlert

RULE_LABELS = {
    AlertRule.BURST: _l("Burst far above the key's baseline"),
    AlertRule.ENUMERATION: _l("Enumeration of sequential identifiers"),
    AlertRule.FISHING: _l("High share of no-match answers (fishing)"),
}
#: The most alerts one page lists.
PAGE_SIZE = 100


def listed(session: Session, state: str | None = AlertState.OPEN) -> list[UsageAlert]:
    """Alerts, newest first; only those in ``state`` unless None."""
    query = select(UsageAlert).order_by(col(UsageAlert.created_at).desc(),
                                        col(UsageAlert.id).desc()).limit(PAGE_SIZE)
    if state is not None:
        query = query.where(UsageAlert.state == state)
    return list(session.exec(query))


def open_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(UsageAlert)
                        .where(UsageAlert.state == AlertState.OPEN)).one()


def keys_of(session: Session, alerts: list[UsageAlert]) -> dict[int, ApiKey]:
    """The alerts' keys by id, in one query."""
    ids = sorted({alert.api_key_id for alert in alerts})
    if not ids:
        return {}
    return {key.id: key for key in session.exec(select(ApiKey).where(col(ApiKey.id).in_(ids)))}


def close(session: Session, alert: UsageAlert, *, actor_id: int, note: str = "",
          lift_suspension: bool = False) -> None:
    """Close an open alert with the admin's note; with ``lift_suspension``, the key works
    again (when this alert suspended it).

    :raises Conflict: the alert is closed already.
    """
    if alert.state != AlertState.OPEN:
        raise Conflict(_l("This alert is closed already."))
    alert.state = AlertState.CLOSED
    alert.open_key = None
    alert.closed_at = utcnow()
    alert.closed_by_id = actor_id
    alert.close_note = (note or "").strip()[:1000]
    session.add(alert)
    lifted = False
    if lift_suspension:
        key = session.get(ApiKey, alert.api_key_id)
        lifted = keys.lift_suspension(session, key, actor_id=actor_id)
    audit.record(session, actor_id=actor_id, action="usage_alert.close",
                 subject_type="usage_alert", subject_id=alert.id,
                 details={"rule": alert.rule, "key": alert.api_key_id,
                          "note": alert.close_note, "suspension_lifted": lifted})
