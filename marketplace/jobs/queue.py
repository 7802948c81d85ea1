"""The app's Huey: made once per app from its settings, carrying nothing but job ids.

SQLite storage in the instance folder by default; Redis when ``REDIS_URL`` is set. One Huey
task, ``run_job(job_id)``, runs every kind: the ``job_run`` row says what to do, so a job can
always be put back on the queue from the database (a retry, a sweep, an admin's retry).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

from marketplace.settings import JobSettings, settings

QUEUE_KEY = "datamarket.jobs"
log = logging.getLogger(__name__)


class JobQueue:
    """The app's queue: :meth:`push` puts a job's id on it, now or after a delay."""

    def __init__(self, app: Flask, job_settings: JobSettings):
        self.settings = job_settings
        self.huey = make_huey(job_settings)
        # Imported here: the runner imports the registry's modules, which import this package.
        from marketplace.jobs import runner

        @self.huey.task(name="run_job")
        def run_job(job_id: int) -> None:
            runner.run(app, job_id)

        self._run_job = run_job

    @property
    def backend(self) -> str:
        """``"redis"``, ``"sqlite"`` or ``"immediate"``, for the worker's banner and the docs."""
        if self.settings.immediate:
            return "immediate"
        return "redis" if self.settings.redis_url else "sqlite"

    def push(self, job_id: int, delay: float = 0.0) -> None:
        """Put ``job_id`` on the queue, to run after ``delay`` seconds."""
        if delay > 0:
            self._run_job.schedule(args=(job_id,), delay=delay)
        else:
            self._run_job(job_id)


def make_huey(job_settings: JobSettings) -> Huey:
    """A Huey for these settings: Redis when a URL is set, SQLite otherwise. Results are not
    kept (``job_run`` keeps what matters); times are UTC."""
    options = {"results": False, "utc": True, "immediate": job_settings.immediate}
    if job_settings.redis_url:
        return RedisHuey(job_settings.queue_name, url=job_settings.redis_url, **options)
    if not job_settings.immediate:
        job_settings.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(job_settings.queue_name, filename=str(job_settings.sqlite_file),
                      **options)


def init_app(app: Flask) -> None:
    app.extensions[QUEUE_KEY] = JobQueue(app, settings(app).jobs)


def get_queue(app: Flask | None = None) -> JobQueue:
    return (app or current_app).extensions[QUEUE_KEY]
