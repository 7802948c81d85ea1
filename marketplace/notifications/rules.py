"""Who may read notifications: each user their own."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.rules import signed_in
from marketplace.notifications.models import Notification
from marketplace.policy import register, rule


@rule("notification.read")
def _own_notification(actor: User | None, notification: Notification) -> bool:
    return actor is not None and notification.user_id == actor.id


register("notification.list", signed_in)
