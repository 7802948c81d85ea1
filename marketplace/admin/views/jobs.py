"""Background jobs: the failed ones with their error, retried by an admin; the latest ones."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.admin.views import blp, get_or_404
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobRun
from marketplace.policy import authorize, current_actor
from marketplace.settings import settings


@blp.route("/jobs")
def jobs():
    authorize("job.manage")
    db = get_session()
    return render_template("admin/jobs.html", failed=job_services.failed(db),
                           recent=job_services.recent(db),
                           counts=job_services.count_by_state(db))


@blp.route("/jobs/<int:job_id>/retry", methods=["POST"])
def retry_job(job_id: int):
    job = get_or_404(JobRun, job_id)
    authorize("job.manage", job)
    db = get_session()
    try:
        job_services.retry(db, current_actor(), job, settings().jobs)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Job %(id)s is queued again.", id=job_id), "success")
    return redirect(url_for("admin.jobs"))
