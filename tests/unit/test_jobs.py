"""The job runner's rules without a running worker: kinds, the sweep, effects done once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace import jobs
from marketplace.accounts.models import Role
from marketplace.base import utcnow
from marketplace.db import get_engine, new_session
from marketplace.jobs import runner
from marketplace.jobs.models import JobEffect, JobRun, JobState
from marketplace.jobs.registry import DuplicateJobKind
from marketplace.jobs.worker import Worker
from marketplace.notifications.models import Notification
from tests.factories import make_user
from tests.jobs_support import queue_config


@pytest.fixture
def queued(make_app, app_config, tmp_path):
    return make_app(queue_config(app_config, tmp_path, JOBS_LOST_AFTER_SECONDS=60))


def test_asking_for_an_unknown_kind_is_refused_at_once(app, db):
    with pytest.raises(LookupError, match="no job kind 'nope.nothing'"):
        jobs.enqueue(db, "nope.nothing")


def test_one_kind_name_cannot_mean_two_functions():
    with pytest.raises(DuplicateJobKind, match="notifications.deliver_outbox"):
        jobs.job("notifications.deliver_outbox")(lambda job: None)


def test_a_worker_refuses_to_start_in_immediate_mode(app):
    with pytest.raises(RuntimeError, match="JOBS_IMMEDIATE"):
        Worker(app, handle_signals=False)


def test_the_sweep_takes_back_dead_and_lost_jobs_once(queued, db):
    long_ago = utcnow() - timedelta(minutes=5)
    dead = JobRun(kind="samples.progress", args={"steps": 1}, state=JobState.RUNNING,
                  attempts=1, max_attempts=3, run_token="a" * 32, heartbeat_at=long_ago)
    dead_last = JobRun(kind="samples.progress", args={"steps": 1}, state=JobState.RUNNING,
                       attempts=3, max_attempts=3, run_token="b" * 32, heartbeat_at=long_ago)
    lost = JobRun(kind="samples.progress", args={"steps": 1}, due_at=long_ago)
    alive = JobRun(kind="samples.progress", args={"steps": 1}, state=JobState.RUNNING,
                   attempts=1, run_token="c" * 32, heartbeat_at=utcnow())
    waiting = JobRun(kind="samples.progress", args={"steps": 1})
    admin = make_user(db, Role.ADMIN)
    db.add_all([dead, dead_last, lost, alive, waiting])
    db.commit()

    worker = Worker(queued, handle_signals=False)
    swept = worker.sweep_once()
    assert sorted(swept.pushed) == sorted([dead.id, lost.id])
    assert [notice.job_id for notice in swept.failed] == [dead_last.id]
    assert worker.sweep_once().pushed == [], "each job is taken back once"

    with new_session(get_engine(queued)) as session:
        rows = {row.id: row for row in session.exec(select(JobRun))}
        notices = session.exec(select(Notification).where(Notification.user_id == admin.id)
                               ).all()
    assert (rows[dead.id].state, rows[dead.id].run_token) == (JobState.QUEUED, None)
    assert rows[dead_last.id].state == JobState.FAILED
    assert rows[dead_last.id].error == "the worker running it stopped"
    assert rows[alive.id].state == JobState.RUNNING and rows[waiting.id].state == "queued"
    assert [n.params["id"] for n in notices if n.kind == "job.failed"] == [dead_last.id]
    assert runner.touch(get_engine(queued), dead.id, "a" * 32) is False, \
        "the dead worker's token settles nothing once the job was taken back"


def test_an_effect_is_claimed_once(app, db):
    assert jobs.effect_once(db, "mail:42") is True
    db.commit()
    assert jobs.effect_once(db, "mail:42") is False
    assert jobs.effect_once(db, "mail:43") is True, "the session is still usable"
    db.commit()
    assert sorted(row.key for row in db.exec(select(JobEffect))) == ["mail:42", "mail:43"]


def test_a_worker_without_the_kind_fails_the_job_with_a_message(app, db):
    row = JobRun(kind="gone.away", max_attempts=5)
    db.add(row)
    db.commit()
    runner.run(app, row.id)
    db.refresh(row)
    assert row.state == JobState.FAILED and row.attempts == 1
    assert "this worker knows no job kind 'gone.away'" in row.error
