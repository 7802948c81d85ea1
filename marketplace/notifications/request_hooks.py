"""What notifications add to every request: the bell's unread count, and e-mail sent once the
request's work is committed."""

from __future__ import annotations

import logging

from flask import Flask, g
from flask_login import current_user
from sqlmodel import Session

from marketplace.db import get_engine, get_session
from marketplace.notifications.services import deliver_outbox, unread_count
from marketplace.settings import settings

log = logging.getLogger(__name__)


def _unread_notifications() -> dict[str, int]:
    user = current_user if current_user and current_user.is_authenticated else None
    return {"unread_notifications": unread_count(get_session(), user.id) if user else 0}


def _deliver_mail(response):
    session = g.get("db_session")
    if session is not None and session.info.pop("outbox_committed", False):
        # A session of its own, so that delivery can never commit the request's unfinished work.
        try:
            with Session(get_engine()) as mail_session:
                deliver_outbox(mail_session, settings().mail)
        except Exception:  # mail must never break the page that caused it
            log.exception("e-mail delivery failed; the outbox keeps the messages")
    return response


def init_app(app: Flask) -> None:
    app.context_processor(_unread_notifications)
    app.after_request(_deliver_mail)
