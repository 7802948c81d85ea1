"""Telling admins what the plugin runtime reported, through the durable outbox.

:func:`init_app` connects the listeners to :mod:`marketplace.plugins.signals` for one app. A
listener writes the notifications and their outbox e-mails in a session of its own and commits:
the plugin call that caused the notice may still roll its own work back, and never waits for
SMTP. The e-mails leave with the next outbox delivery (after a request that sent mail, or
``datamarket mail flush``); the bell shows the notice at once.
"""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError

from marketplace.accounts.services import admins
from marketplace.db import get_engine, new_session
from marketplace.notifications.services import notify
from marketplace.plugins.signals import BreakerOpened, breaker_opened

log = logging.getLogger(__name__)

ADMIN_PAGE = "/admin/plugins"


def init_app(app: Flask) -> None:
    """Listen to ``app``'s plugin runtime."""
    breaker_opened.connect(tell_admins_paused, sender=app)


def tell_admins_paused(app: Flask, notice: BreakerOpened) -> None:
    """Notify every admin that an operation's breaker opened (kind ``plugin.paused``)."""
    try:
        with _app_context(app), new_session(get_engine(app)) as session:
            notify(session, admins(session), "plugin.paused",
                   {"plugin": notice.plugin, "operation": notice.operation,
                    "faults": notice.faults, "seconds": notice.cooldown_seconds},
                   link=ADMIN_PAGE)
            session.commit()
    except DBAPIError:
        log.exception("could not tell the admins that %s.%s is paused", notice.plugin,
                      notice.operation)


def _app_context(app: Flask) -> contextlib.AbstractContextManager:
    """The app's context, pushed unless it is already the current one (messages translate)."""
    if has_app_context() and current_app._get_current_object() is app:
        return contextlib.nullcontext()
    return app.app_context()
