"""Refund requests' background job: telling the admins when a request has become theirs,
asked for by the workers every ``REFUND_REQUESTS_SWEEP_SECONDS``."""

from __future__ import annotations

from marketplace import jobs
from marketplace.commerce.buyer_requests.refund_requests import tell_admins_when_due


@jobs.job("commerce.refund_requests_due", every="REFUND_REQUESTS_SWEEP_SECONDS")
def refund_requests_due(job: jobs.RunningJob) -> None:
    """Announce to the admins the refund requests merchants left undecided for three working
    days (each once; committed with the job's success)."""
    tell_admins_when_due(job.session)
