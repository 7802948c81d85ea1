"""Job kinds for the tests of the queue itself, loaded with ``JOBS_IMPORT=tests.job_samples``
(by the test's app and by a worker started as a separate process)."""

from __future__ import annotations

import time
from pathlib import Path

from marketplace import jobs
from marketplace.notifications.models import Notification


@jobs.job("samples.progress")
def progress(job: jobs.RunningJob, steps: int) -> None:
    """Reports its progress in ``steps`` steps."""
    for step in range(1, steps + 1):
        jobs.report_progress(job, step * 100 // steps, f"step {step} of {steps}")


@jobs.job("samples.notice_then_wait")
def notice_then_wait(job: jobs.RunningJob, user_id: int, release: str) -> None:
    """Writes one notice to ``user_id`` under an idempotency key and commits it, says so at
    50%, then waits until the file ``release`` exists: a worker killed meanwhile has done the
    effect but not finished the job."""
    if jobs.effect_once(job.session, f"samples.notice:{job.id}", job.id):
        job.session.add(Notification(user_id=user_id, kind="role.changed",
                                     params={"role": f"noticed by job {job.id}"}))
    job.session.commit()
    jobs.report_progress(job, 50, "notice written")
    deadline = time.monotonic() + 60
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} never appeared")
        time.sleep(0.05)


@jobs.job("samples.flaky", max_attempts=4, retry_delay=0.2)
def flaky(job: jobs.RunningJob, fail_times: int) -> None:
    """Fails on its first ``fail_times`` attempts."""
    if job.attempt <= fail_times:
        raise RuntimeError(f"attempt {job.attempt} fails on purpose")


@jobs.job("samples.broken", max_attempts=2, retry_delay=0.1)
def broken(job: jobs.RunningJob) -> None:
    """Always fails."""
    raise ValueError("the sample job always fails")
