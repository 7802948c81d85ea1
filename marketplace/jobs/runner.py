"""Running one job in a worker: claim it, keep its heartbeat, run its kind, settle it.

Every change of a job's state is a conditional ``UPDATE``: a worker claims a queued, due job
under a fresh ``run_token``, and only the holder of that token may record its heartbeat, its
progress, its success or its failure. A worker killed halfway leaves its job ``running`` with
a heartbeat that stops; the sweep (:func:`marketplace.jobs.services.sweep`) puts it back on the
queue, and the next claim gets a new token, so the dead worker's token settles nothing even if
it comes back. The job's uncommitted work commits in the same transaction as its success.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy import Engine, update
from sqlmodel import Session

from marketplace.base import utcnow
from marketplace.db import get_engine, new_session
from marketplace.jobs.models import JobRun, JobState
from marketplace.jobs.queue import get_queue
from marketplace.jobs.registry import KINDS, RunningJob
from marketplace.jobs.signals import JobFailed, announce_failed
from marketplace.settings import settings

log = logging.getLogger(__name__)

#: A queue message may arrive this much before the job's ``due_at`` (clocks of two hosts).
EARLY_SECONDS = 2.0
#: The longest wait between two retries, however many came before.
MAX_RETRY_DELAY = 3600.0


def run(app: Flask, job_id: int) -> None:
    """Run the job ``job_id`` if it is queued and due; anything else is left as it is."""
    with app.app_context():
        engine = get_engine(app)
        token = uuid.uuid4().hex
        with new_session(engine) as session:
            row = _claim(session, job_id, token)
            if row is None:
                _push_again_if_early(app, session, job_id)
                return
            kind_name, attempt, asked_by, args = row.kind, row.attempts, row.asked_by, row.args
        heartbeat = Heartbeat(engine, job_id, token,
                              settings(app).jobs.lease_seconds / 3).start()
        try:
            _run_claimed(app, engine, job_id, token, kind_name, attempt, asked_by, args)
        finally:
            heartbeat.stop()


def _claim(session: Session, job_id: int, token: str) -> JobRun | None:
    now = utcnow()
    claimed = session.execute(
        update(JobRun)
        .where(JobRun.id == job_id, JobRun.state == JobState.QUEUED,
               JobRun.due_at <= now + timedelta(seconds=EARLY_SECONDS))
        .values(state=JobState.RUNNING, attempts=JobRun.attempts + 1, run_token=token,
                heartbeat_at=now, updated_at=now)
        .returning(JobRun.id)).first()
    session.commit()
    return session.get(JobRun, job_id) if claimed is not None else None


def _push_again_if_early(app: Flask, session: Session, job_id: int) -> None:
    """A message that came before its job was due (another host's clock) waits its turn."""
    row = session.get(JobRun, job_id)
    if row is not None and row.state == JobState.QUEUED:
        wait = (row.due_at - utcnow()).total_seconds()
        if wait > 0:
            get_queue(app).push(job_id, delay=wait)


def _run_claimed(app: Flask, engine: Engine, job_id: int, token: str, kind_name: str,
                 attempt: int, asked_by: int | None, args: dict) -> None:
    kind = KINDS.get(kind_name)
    with new_session(engine) as session:
        job = RunningJob(id=job_id, kind=kind_name, attempt=attempt, asked_by=asked_by,
                         session=session, app=app, token=token)
        try:
            if kind is None:
                raise LookupError(f"this worker knows no job kind {kind_name!r}; is its module "
                                  "listed in marketplace/tasks.py or JOBS_IMPORT?")
            kind.run(job, **args)
            settled = _settle(session, job_id, token, state=JobState.SUCCEEDED, progress=100)
            if settled:
                session.commit()
            else:
                session.rollback()
                log.warning("job %s lost its claim while running; its work is rolled back",
                            job_id)
            return
        except Exception as exc:
            session.rollback()
            log.exception("job %s (%s) failed on attempt %s", job_id, kind_name, attempt)
            error = f"{type(exc).__name__}: {exc}"[:4000]
    _attempt_failed(app, engine, job_id, token, kind_name, error)


def _settle(session: Session, job_id: int, token: str, **values) -> bool:
    now = utcnow()
    done = values.get("state") in (JobState.SUCCEEDED, JobState.FAILED)
    row = session.execute(
        update(JobRun)
        .where(JobRun.id == job_id, JobRun.run_token == token, JobRun.state == JobState.RUNNING)
        .values(updated_at=now, **({"finished_at": now, "run_token": None} if done else {}),
                **values)
        .returning(JobRun.id)).first()
    return row is not None


def retry_delay(base: float, attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt``: ``base``, then twice as long
    each time, at most an hour."""
    return min(MAX_RETRY_DELAY, base * 2 ** max(0, attempt - 1))


def _attempt_failed(app: Flask, engine: Engine, job_id: int, token: str, kind_name: str,
                    error: str) -> None:
    job_settings = settings(app).jobs
    kind = KINDS.get(kind_name)
    base = job_settings.retry_delay
    if kind is not None and kind.retry_delay is not None:
        base = kind.retry_delay
    with new_session(engine) as session:
        row = session.get(JobRun, job_id)
        if row is None or row.run_token != token:
            return
        if kind is not None and row.attempts < row.max_attempts:
            delay = retry_delay(base, row.attempts)
            if _settle(session, job_id, token, state=JobState.QUEUED, error=error,
                       run_token=None, due_at=utcnow() + timedelta(seconds=delay)):
                session.commit()
                get_queue(app).push(job_id, delay=delay)
            return
        if _settle(session, job_id, token, state=JobState.FAILED, error=error):
            session.commit()
            announce_failed(app, JobFailed(job_id=job_id, kind=kind_name,
                                           attempts=row.attempts, error=error))


def touch(engine: Engine, job_id: int, token: str, **values) -> bool:
    """Record the heartbeat (and ``values``, such as progress) of the attempt holding
    ``token``, in a transaction of its own; False when that attempt no longer holds the job."""
    with new_session(engine) as session:
        now = utcnow()
        row = session.execute(
            update(JobRun)
            .where(JobRun.id == job_id, JobRun.run_token == token,
                   JobRun.state == JobState.RUNNING)
            .values(heartbeat_at=now, updated_at=now, **values)
            .returning(JobRun.id)).first()
        session.commit()
        return row is not None


class Heartbeat:
    """A thread that says "still running" for one attempt every ``interval`` seconds."""

    def __init__(self, engine: Engine, job_id: int, token: str, interval: float):
        self.engine, self.job_id, self.token = engine, job_id, token
        self.interval = max(0.05, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"job {job_id} heartbeat")

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not touch(self.engine, self.job_id, self.token):
                    return
            except Exception:  # the database is away for a moment; the next beat tries again
                log.warning("could not record job %s's heartbeat", self.job_id, exc_info=True)
