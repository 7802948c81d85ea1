"""What the job runner announces: a job failed for good. The app decides who listens
(:mod:`marketplace.notifications.job_notices` tells the admins)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from blinker import Namespace
from flask import Flask

log = logging.getLogger(__name__)

job_signals = Namespace()

#: A job's last attempt failed; ``notice`` is a :class:`JobFailed`.
job_failed = job_signals.signal("datamarket.jobs.failed")


@dataclass(frozen=True)
class JobFailed:
    job_id: int
    kind: str
    attempts: int
    error: str


def announce_failed(app: Flask, notice: JobFailed) -> None:
    """Tell ``app``'s listeners; a listener's failure is logged, never raised."""
    try:
        job_failed.send(app, notice=notice)
    except Exception:
        log.exception("a listener of %s failed on %r", job_failed.name, notice)
