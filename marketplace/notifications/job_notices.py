"""Telling admins that a background job failed for good, through the durable outbox.

:func:`init_app` connects the listener to :mod:`marketplace.jobs.signals` for one app. It writes
the notifications in a session of its own and commits; the job runner never knows who listens.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError

from marketplace.accounts.services import admins
from marketplace.db import get_engine, new_session
from marketplace.jobs.signals import JobFailed, job_failed
from marketplace.notifications.plugin_notices import _app_context
from marketplace.notifications.services import notify

log = logging.getLogger(__name__)

ADMIN_PAGE = "/admin/jobs"


def init_app(app: Flask) -> None:
    """Listen to ``app``'s job runner."""
    job_failed.connect(tell_admins_failed, sender=app)


def tell_admins_failed(app: Flask, notice: JobFailed) -> None:
    """Notify every admin that a job failed after its last try (kind ``job.failed``)."""
    try:
        with _app_context(app), new_session(get_engine(app)) as session:
            notify(session, admins(session), "job.failed",
                   {"id": notice.job_id, "kind": notice.kind, "attempts": notice.attempts,
                    "error": notice.error[:300]},
                   link=f"{ADMIN_PAGE}#job-{notice.job_id}")
            session.commit()
    except DBAPIError:
        log.exception("could not tell the admins that job %s failed", notice.job_id)
