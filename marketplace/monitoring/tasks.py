"""The usage sweep as a periodic background job: every ``USAGE_SWEEP_SECONDS`` the workers ask
for one run between them (:func:`marketplace.jobs.services.enqueue_periodic`)."""

from __future__ import annotations

from marketplace import jobs
from marketplace.monitoring.sweeps import sweep_usage
from marketplace.settings import settings

KIND = "monitoring.sweep_usage"


@jobs.job(KIND, every="USAGE_SWEEP_SECONDS", max_attempts=2, retry_delay=30.0)
def sweep(job: jobs.RunningJob) -> None:
    """Detect abnormal use and send version notices (:func:`sweep_usage`)."""
    sweep_usage(job.session, settings(job.app).usage_watch)
