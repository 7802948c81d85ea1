"""Background jobs on Huey: work that does not belong in a request.

The API other packages use:

- ``@job("domain.what")`` registers a function as a job kind; it runs as
  ``function(job, **args)`` with a :class:`RunningJob` (its own ``session``, ``attempt``, the
  user who ``asked_by``). List the module in ``marketplace/tasks.py``.
- ``enqueue(session, "domain.what", asked_by=user_id, **args)`` asks for one in the caller's
  transaction; the job reaches the queue when that commits. Its ``JobRun`` row has the id a page
  follows at ``GET /api/v1/jobs/<id>`` (the asker or an admin), and the
  ``jobs/_progress.html`` partial shows it as a progress bar.
- ``report_progress(job, percent, message)`` from a long job.
- ``effect_once(session, key, job.id)`` guards an effect that must happen once even when the
  job runs again (a retry, a worker killed halfway).

A job that raises is retried with exponential backoff (``JOBS_RETRY_DELAY``, doubled each time)
until ``JOBS_MAX_ATTEMPTS``, then it is ``failed``: the admins are told and may retry it from
``/admin/jobs``. See docs/decisions.md, "Background jobs".
"""

from __future__ import annotations

from flask import Flask

from marketplace.jobs.models import JobEffect, JobRun, JobState
from marketplace.jobs.registry import RunningJob, import_kinds, job
from marketplace.jobs.services import effect_once, enqueue, report_progress

__all__ = ["JobEffect", "JobRun", "JobState", "RunningJob", "effect_once", "enqueue", "init_app",
           "job", "report_progress"]


def init_app(app: Flask) -> None:
    """Give ``app`` its queue, and know the job kinds of ``JOBS_IMPORT`` (the platform's own
    are registered by :func:`marketplace.create_app`, which imports ``marketplace.tasks``)."""
    from marketplace.jobs import queue
    from marketplace.settings import settings

    import_kinds(settings(app).jobs.extra_modules)
    queue.init_app(app)
