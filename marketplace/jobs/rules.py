"""Who may follow a job and who may manage them: the user who asked, and platform admins."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.rules import is_admin
from marketplace.jobs.models import JobRun
from marketplace.policy import register, rule


@rule("job.view")
def _asker_or_admin(actor: Any, job: JobRun) -> bool:
    """The user who asked for the job, or an admin (a job nobody asked for: admins only)."""
    if actor is None:
        return False
    return (job.asked_by is not None and job.asked_by == actor.id) or is_admin(actor)


register("job.manage", is_admin)
