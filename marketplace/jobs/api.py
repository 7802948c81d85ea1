"""``/api/v1/jobs/<id>``: how far a background job is, for the user who asked and admins.

The progress bar of ``jobs/_progress.html`` polls it until ``done``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from marketplace.api.problems import PROBLEM_JSON, ProblemSchema
from marketplace.db import get_session
from marketplace.jobs import services
from marketplace.jobs.models import JobRun, JobState
from marketplace.jobs.schemas import JobSchema
from marketplace.policy import authorize

blp = Blueprint("jobs", __name__, description=(
    "Background jobs: what a long piece of work you asked for is doing, for a progress bar."))
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


def document(job: JobRun) -> dict:
    data = job.model_dump(include={"id", "kind", "state", "progress", "message", "attempts",
                                   "max_attempts", "error", "created_at", "updated_at",
                                   "finished_at"})
    data["done"] = job.state in (JobState.SUCCEEDED, JobState.FAILED)
    return data


@blp.route("/<int:job_id>")
class JobItem(MethodView):
    @blp.doc(security=[{"sessionCookie": []}])
    @blp.response(200, JobSchema)
    @blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @blp.alt_response(403, description="Someone else's job.", **PROBLEM)
    @blp.alt_response(404, description="No job has this id.", **PROBLEM)
    def get(self, job_id: int):
        """A job's state and progress (0–100, with what it is doing now)."""
        job = services.find(get_session(), job_id)
        if job is None:
            authorize("job.view", JobRun(kind="", asked_by=None))
            abort(404, message=_("No job has this id."))
        authorize("job.view", job)
        response = document(job)
        return response
