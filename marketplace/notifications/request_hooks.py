"""What notifications add to every request: the bell's unread count, and the outbox's delivery
asked for (a background job) once the request's work that wrote e-mail is committed."""

from __future__ import annotations

import logging

from flask import Flask, g
from flask_login import current_user

from marketplace import jobs
from marketplace.db import get_engine, get_session, new_session
from marketplace.notifications.services import unread_count

log = logging.getLogger(__name__)


def _unread_notifications() -> dict[str, int]:
    user = current_user if current_user and current_user.is_authenticated else None
    return {"unread_notifications": unread_count(get_session(), user.id) if user else 0}


def _deliver_mail(response):
    session = g.get("db_session")
    if session is not None and session.info.pop("outbox_committed", False):
        # A session of its own, so that asking can never commit the request's unfinished work.
        try:
            with new_session(get_engine()) as job_session:
                jobs.enqueue(job_session, "notifications.deliver_outbox")
                job_session.commit()
        except Exception:  # mail must never break the page that caused it
            log.exception("could not ask for the outbox's delivery; the outbox keeps the "
                          "messages for the next one")
    return response


def init_app(app: Flask) -> None:
    app.context_processor(_unread_notifications)
    app.after_request(_deliver_mail)
