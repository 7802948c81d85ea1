"""Background jobs run by a real worker: Huey's consumer on SQLite and on a real redis-server,
progress followed over the API, retries with backoff, failed jobs shown to admins and retried,
and a worker killed halfway whose job runs again with its effect once."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace import jobs
from marketplace.accounts.models import Role
from marketplace.audit import services as audit
from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine, new_session
from marketplace.jobs.models import JobRun, JobState
from marketplace.jobs.runner import retry_delay
from marketplace.notifications.models import Notification
from tests.factories import logged_in_client, make_user
from tests.jobs_support import WorkerProcess, queue_config, running_worker, wait_for


def _job(app, job_id: int) -> JobRun:
    with new_session(get_engine(app)) as session:
        return session.get(JobRun, job_id)


def _ask(app, kind: str, asked_by: int | None = None, **args) -> int:
    with app.app_context(), new_session(get_engine(app)) as session:
        row = jobs.enqueue(session, kind, asked_by=asked_by, **args)
        session.commit()
        return row.id


def _finished(app, job_id: int, state: str = JobState.SUCCEEDED):
    return lambda: (row := _job(app, job_id)).state == state and row


@pytest.fixture
def sqlite_app(make_app, app_config, tmp_path):
    return make_app(queue_config(app_config, tmp_path))


@pytest.fixture
def redis_app(make_app, app_config, tmp_path, redis_url):
    return make_app(queue_config(app_config, tmp_path, REDIS_URL=redis_url))


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_runs_a_queued_job_and_its_progress_is_followed(request, backend):
    app = request.getfixturevalue(f"{backend}_app")
    assert app.extensions["datamarket.jobs"].backend == backend
    with app.app_context(), new_session(get_engine(app)) as db:
        buyer, stranger, admin = make_user(db), make_user(db), make_user(db, Role.ADMIN)
        db.commit()
    job_id = _ask(app, "samples.progress", asked_by=buyer.id, steps=4)
    assert _job(app, job_id).state == JobState.QUEUED, "nothing ran it before a worker"

    asker = logged_in_client(app, buyer)
    waiting = asker.get(f"/api/v1/jobs/{job_id}").get_json()
    assert (waiting["state"], waiting["progress"], waiting["done"]) == ("queued", 0, False)

    with running_worker(app):
        done = wait_for(_finished(app, job_id), what=f"job {job_id} succeeding")
    assert (done.progress, done.message, done.attempts) == (100, "step 4 of 4", 1)
    answer = asker.get(f"/api/v1/jobs/{job_id}").get_json()
    assert (answer["state"], answer["progress"], answer["done"]) == ("succeeded", 100, True)
    assert logged_in_client(app, admin).get(f"/api/v1/jobs/{job_id}").status_code == 200
    assert logged_in_client(app, stranger).get(f"/api/v1/jobs/{job_id}").status_code == 403
    assert app.test_client().get(f"/api/v1/jobs/{job_id}").status_code == 401


def test_a_job_asked_in_a_rolled_back_transaction_never_runs(sqlite_app):
    with sqlite_app.app_context(), new_session(get_engine(sqlite_app)) as session:
        job_id = jobs.enqueue(session, "samples.progress", steps=1).id
        session.rollback()
    with running_worker(sqlite_app) as worker:
        assert worker.sweep_once().pushed == []
    assert _job(sqlite_app, job_id) is None


def test_a_failing_job_is_retried_with_growing_delays_until_it_succeeds(sqlite_app):
    job_id = _ask(sqlite_app, "samples.flaky", fail_times=2)
    with running_worker(sqlite_app):
        done = wait_for(_finished(sqlite_app, job_id), what="the flaky job succeeding")
    assert done.attempts == 3
    assert done.error == "RuntimeError: attempt 2 fails on purpose", "the last error is kept"
    assert [retry_delay(0.2, attempt) for attempt in (1, 2, 3)] == [0.2, 0.4, 0.8]
    assert retry_delay(10, 30) == 3600, "never more than an hour between tries"


def test_a_job_failed_for_good_is_shown_to_admins_who_retry_it(sqlite_app):
    with sqlite_app.app_context(), new_session(get_engine(sqlite_app)) as db:
        admin = make_user(db, Role.ADMIN)
        db.commit()
    job_id = _ask(sqlite_app, "samples.broken")
    with running_worker(sqlite_app):
        failed = wait_for(_finished(sqlite_app, job_id, JobState.FAILED), what="the failure")
        assert (failed.attempts, failed.max_attempts) == (2, 2)
        assert failed.error == "ValueError: the sample job always fails"

        # the admins are told after the failure is committed, so the notice may trail it
        notices = wait_for(lambda: _failure_notices(sqlite_app, admin.id),
                           what="the admin's failure notice")
        assert [notice.params["id"] for notice in notices] == [job_id]
        assert notices[0].link == f"/admin/jobs#job-{job_id}"

        console = logged_in_client(sqlite_app, admin)
        page = console.get("/admin/jobs").get_data(as_text=True)
        assert f'id="job-{job_id}"' in page and "the sample job always fails" in page
        response = console.post(f"/admin/jobs/{job_id}/retry")
        assert response.status_code == 302
        again = wait_for(lambda: (row := _job(sqlite_app, job_id)).attempts == 4
                         and row.state == JobState.FAILED and row,
                         what="the retried job's second round")
    assert again.max_attempts == 4, "a retry gives a full round of tries"
    with new_session(get_engine(sqlite_app)) as db:
        entries = db.exec(select(AuditEntry).where(AuditEntry.action == "job.retry")).all()
        assert [(e.actor_id, e.subject_id) for e in entries] == [(admin.id, str(job_id))]
        assert audit.verify_chain(db).ok
    notices = wait_for(lambda: len(found := _failure_notices(sqlite_app)) >= 2 and found,
                       what="the second failure notice")
    assert len(notices) == 2, "each time the job fails for good, the admin is told"


def _failure_notices(app, user_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == "job.failed")
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    with new_session(get_engine(app)) as db:
        return list(db.exec(query).all())


def test_a_job_that_has_not_failed_cannot_be_retried(sqlite_app):
    with sqlite_app.app_context(), new_session(get_engine(sqlite_app)) as db:
        admin = make_user(db, Role.ADMIN)
        db.commit()
    job_id = _ask(sqlite_app, "samples.progress", steps=1)
    console = logged_in_client(sqlite_app, admin)
    response = console.post(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert "only a failed job can be retried" in response.get_data(as_text=True)
    assert _job(sqlite_app, job_id).state == JobState.QUEUED


def test_a_job_whose_worker_was_killed_runs_again_and_its_effect_happens_once(
        make_app, app_config, tmp_path):
    config = queue_config(app_config, tmp_path, JOBS_LEASE_SECONDS=1.0)
    app = make_app(config)
    with app.app_context(), new_session(get_engine(app)) as db:
        buyer = make_user(db)
        db.commit()
    release = tmp_path / "release"
    job_id = _ask(app, "samples.notice_then_wait", user_id=buyer.id, release=str(release))

    def notices() -> int:
        with new_session(get_engine(app)) as db:
            return len(db.exec(select(Notification).where(Notification.user_id == buyer.id)
                               .where(Notification.kind == "role.changed")).all())

    worker = WorkerProcess(config, tmp_path / "worker.log").start()
    try:
        halfway = wait_for(lambda: (row := _job(app, job_id)).progress == 50 and row,
                           timeout=60, what="the job writing its notice")
        assert halfway.state == JobState.RUNNING and notices() == 1
        worker.kill()
        assert _job(app, job_id).state == JobState.RUNNING, "the killed worker left it running"
        release.touch()
        worker.start()
        done = wait_for(_finished(app, job_id), timeout=60, what="the job finishing")
    finally:
        worker.stop()
    assert done.attempts == 2, "run a second time, after the sweep took it back"
    assert notices() == 1, "the notice was written exactly once"
