"""The usage sweep scheduled on the workers: one job per ``USAGE_SWEEP_SECONDS`` period,
however many workers ask for it at once, run by a real worker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from marketplace.db import get_engine, new_session
from marketplace.jobs import services
from marketplace.jobs.models import JobEffect, JobRun, JobState
from marketplace.monitoring.tasks import KIND
from tests.jobs_support import queue_config, running_worker, wait_for

SLOT_START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _sweeps(app) -> list[JobRun]:
    with new_session(get_engine(app)) as session:
        return list(session.exec(select(JobRun).where(JobRun.kind == KIND)))


def test_two_workers_asking_in_the_same_period_get_one_sweep(make_app, app_config, tmp_path):
    app = make_app(queue_config(app_config, tmp_path, USAGE_SWEEP_SECONDS=300))
    start = threading.Barrier(2)
    asked: list[list[int]] = []

    def ask(now: datetime) -> None:
        with app.app_context(), new_session(get_engine(app)) as session:
            start.wait()
            asked.append(services.enqueue_periodic(session, app.config, now))

    threads = [threading.Thread(target=ask, args=(SLOT_START + timedelta(seconds=s),))
               for s in (1, 250)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(ids) for ids in asked) == [0, 1], "one of the two asked, in one period"
    with app.app_context(), new_session(get_engine(app)) as session:
        assert services.enqueue_periodic(session, app.config,
                                         SLOT_START + timedelta(seconds=299)) == []
        assert len(services.enqueue_periodic(session, app.config,
                                             SLOT_START + timedelta(seconds=300))) == 1
    assert len(_sweeps(app)) == 2


def test_a_zero_period_asks_for_nothing(make_app, app_config, tmp_path):
    app = make_app(queue_config(app_config, tmp_path, USAGE_SWEEP_SECONDS=0))
    with app.app_context(), new_session(get_engine(app)) as session:
        assert services.enqueue_periodic(session, app.config, SLOT_START) == []
    assert _sweeps(app) == []


def test_running_workers_run_the_sweep_once_per_period(make_app, app_config, tmp_path):
    app = make_app(queue_config(app_config, tmp_path, USAGE_SWEEP_SECONDS=3600))
    with running_worker(app), running_worker(app):
        wait_for(lambda: any(job.state == JobState.SUCCEEDED for job in _sweeps(app)),
                 timeout=60, what="a usage sweep run by a worker")
        wait_for(lambda: len(_sweeps(app)) >= 1, what="the sweep")
    jobs = _sweeps(app)
    with new_session(get_engine(app)) as session:
        periods = session.exec(select(JobEffect.key).where(
            col(JobEffect.key).startswith(f"periodic:{KIND}:"))).all()
    # Two workers sweeping every 0.2 s for the whole test: one job per period (the test may
    # straddle the turn of an hour, so one or two periods).
    assert len(jobs) == len(set(periods)) and 1 <= len(jobs) <= 2
    assert all(job.state == JobState.SUCCEEDED for job in jobs)


def test_the_refund_requests_notice_is_asked_for_on_its_own_period(make_app, app_config,
                                                                   tmp_path):
    app = make_app(queue_config(app_config, tmp_path, REFUND_REQUESTS_SWEEP_SECONDS=900))
    with app.app_context(), new_session(get_engine(app)) as session:
        asked = services.enqueue_periodic(session, app.config, SLOT_START)
        again = services.enqueue_periodic(session, app.config, SLOT_START + timedelta(seconds=899))
        kinds = [session.get(JobRun, job_id).kind for job_id in asked]
    assert (kinds, again) == (["commerce.refund_requests_due"], [])
