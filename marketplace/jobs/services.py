"""Asking for jobs and following them: enqueue, progress, effects done once, the admin's
failed jobs and retry, and the sweep that puts back jobs whose worker died.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.db import after_commit
from marketplace.errors import DomainError
from marketplace.jobs import runner
from marketplace.jobs.models import JobEffect, JobRun, JobState
from marketplace.jobs.queue import JobQueue, get_queue
from marketplace.jobs.registry import KINDS, RunningJob
from marketplace.jobs.signals import JobFailed
from marketplace.settings import JobSettings

log = logging.getLogger(__name__)


def enqueue(session: Session, kind: str, *, asked_by: int | None = None,
            **args: Any) -> JobRun:
    """Ask for a job of ``kind`` with ``args`` (JSON data), in the caller's transaction.

    The ``job_run`` row is written with the caller's work and the job reaches the queue once
    that work commits: a rolled-back request asks for nothing, and a job whose push was lost
    (the process died right after the commit) is pushed by the worker's sweep.

    :param asked_by: the user who asked, who may then follow the job at ``/api/v1/jobs/<id>``.
    :returns: the row, with its id (flushed).
    :raises LookupError: ``kind`` is not a registered job kind.
    """
    if kind not in KINDS:
        raise LookupError(f"no job kind {kind!r}; register it with @jobs.job({kind!r})")
    queue = get_queue()
    kind_attempts = KINDS[kind].max_attempts
    row = JobRun(kind=kind, args=json.loads(json.dumps(args)), asked_by=asked_by,
                 max_attempts=kind_attempts or queue.settings.max_attempts)
    session.add(row)
    session.flush()
    job_id = row.id
    after_commit(session, lambda: queue.push(job_id))
    return row


def report_progress(job: RunningJob, percent: int, message: str = "") -> bool:
    """Record how far ``job`` is (0 to 100) and what it is doing, visible at once to whoever
    follows it; it also counts as a heartbeat. Call it between units of work the job has
    committed (on SQLite, a transaction still open in ``job.session`` holds the write lock).

    :returns: False when this attempt no longer holds the job (it was taken for dead and run
        elsewhere): a long job should stop then.
    """
    percent = max(0, min(100, int(percent)))
    return runner.touch(job.session.get_bind(), job.id, job.token, progress=percent,
                        message=message[:300])


def effect_once(session: Session, key: str, job_id: int | None = None) -> bool:
    """Claim the effect named ``key`` in the caller's transaction: True the first time (do the
    effect in the same transaction), False if it was already done and committed.

    A job killed after committing its effect and before its success is run again; guarding
    the effect with a key makes the second run skip it, so it happens exactly once.
    """
    savepoint = session.begin_nested()
    try:
        session.add(JobEffect(key=key[:200], job_id=job_id))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def enqueue_periodic(session: Session, config: Mapping[str, Any],
                     now: datetime | None = None) -> list[int]:
    """Ask for one run of each periodic job kind (``@job(..., every="SETTING")``) whose
    period started since its last run, then commit; the ids asked for.

    Periods are slots of the clock (``now // seconds``), the same for every worker, and each
    slot is claimed once with :func:`effect_once` (a unique key in the database), so two
    workers sweeping at the same moment ask for one run between them.
    """
    now = now or utcnow()
    asked = []
    for kind in sorted(KINDS.values(), key=lambda k: k.name):
        seconds = float(config.get(kind.every) or 0) if kind.every else 0.0
        if seconds <= 0:
            continue
        slot = int(now.timestamp() // seconds)
        if effect_once(session, f"periodic:{kind.name}:{int(seconds)}:{slot}"):
            asked.append(enqueue(session, kind.name).id)
    session.commit()
    return asked


def find(session: Session, job_id: int) -> JobRun | None:
    return session.get(JobRun, job_id)


def failed(session: Session, limit: int = 100) -> list[JobRun]:
    """Failed jobs, the latest first: what an admin should look at."""
    return list(session.exec(select(JobRun).where(JobRun.state == JobState.FAILED)
                             .order_by(col(JobRun.updated_at).desc(), col(JobRun.id).desc())
                             .limit(limit)))


def recent(session: Session, limit: int = 50) -> list[JobRun]:
    """The latest jobs in any state."""
    return list(session.exec(select(JobRun).order_by(col(JobRun.id).desc()).limit(limit)))


def count_by_state(session: Session) -> dict[str, int]:
    rows = session.exec(select(JobRun.state, func.count()).group_by(JobRun.state)).all()
    return {str(state): int(count) for state, count in rows}


def retry(session: Session, actor: Any, job: JobRun, job_settings: JobSettings) -> JobRun:
    """An admin runs a failed job again: a full round of attempts, audited; the job reaches
    the queue once the caller commits.

    :raises DomainError: the job has not failed.
    """
    if job.state != JobState.FAILED:
        raise DomainError(f"Job {job.id} is {job.state}, not failed; only a failed job can be "
                          "retried.")
    kind = KINDS.get(job.kind)
    allowed = (kind.max_attempts if kind and kind.max_attempts else job_settings.max_attempts)
    previous_error = job.error
    job.state = JobState.QUEUED
    job.max_attempts = job.attempts + allowed
    job.due_at = job.updated_at = utcnow()
    job.finished_at = None
    job.progress, job.message = 0, ""
    session.add(job)
    audit.record(session, actor_id=actor.id, action="job.retry", subject_type="job_run",
                 subject_id=job.id, details={"kind": job.kind, "attempts": job.attempts,
                                             "error": previous_error[:500]})
    queue_push_after_commit(session, job.id)
    return job


def queue_push_after_commit(session: Session, job_id: int | None,
                            queue: JobQueue | None = None) -> None:
    queue = queue or get_queue()
    after_commit(session, lambda: queue.push(job_id))


@dataclass(frozen=True)
class Swept:
    """What one sweep did: the ids pushed again, and the jobs failed because their worker died
    on their last attempt (to announce)."""

    pushed: list[int] = field(default_factory=list)
    failed: list[JobFailed] = field(default_factory=list)


def sweep(session: Session, queue: JobQueue) -> Swept:
    """Put back on the queue what no worker will run otherwise: jobs ``running`` whose
    heartbeat stopped (their worker died) and jobs ``queued`` long past due (their message was
    lost). A job whose worker died on its last attempt is failed instead (a job that kills its
    worker every time must not loop). Safe to run from every worker at once: each job is taken
    back by one of them.
    """
    job_settings = queue.settings
    now = utcnow()
    stale = now - timedelta(seconds=job_settings.lease_seconds)
    lost = now - timedelta(seconds=job_settings.lost_after_seconds)
    dead = list(session.exec(select(JobRun).where(
        JobRun.state == JobState.RUNNING, col(JobRun.heartbeat_at) < stale)))
    forgotten = list(session.exec(select(JobRun.id).where(
        JobRun.state == JobState.QUEUED, col(JobRun.due_at) < lost)))
    result = Swept()
    for job in dead:
        last = job.attempts >= job.max_attempts
        error = "the worker running it stopped"
        values = ({"state": JobState.FAILED, "finished_at": now} if last
                  else {"state": JobState.QUEUED, "due_at": now, "message": ""})
        taken = session.execute(
            update(JobRun)
            .where(JobRun.id == job.id, JobRun.state == JobState.RUNNING,
                   col(JobRun.heartbeat_at) < stale)
            .values(run_token=None, updated_at=now, error=error, **values)
            .returning(JobRun.id)).first()
        if taken is None:
            continue
        if last:
            result.failed.append(JobFailed(job_id=job.id, kind=job.kind,
                                           attempts=job.attempts, error=error))
        else:
            result.pushed.append(job.id)
    for job_id in forgotten:
        taken = session.execute(
            update(JobRun)
            .where(JobRun.id == job_id, JobRun.state == JobState.QUEUED,
                   col(JobRun.due_at) < lost)
            .values(due_at=now, updated_at=now)
            .returning(JobRun.id)).first()
        if taken is not None:
            result.pushed.append(job_id)
    session.commit()
    for job_id in result.pushed:
        queue.push(job_id)
    if result.pushed or result.failed:
        log.warning("sweep: jobs %s put back on the queue, %s failed", result.pushed,
                    [notice.job_id for notice in result.failed])
    return result
