"""The background job that prepares a large data package download (``delivery.prepare_download``).

Asked for by the download page when the dataset has more than ``DOWNLOAD_JOB_ROWS`` rows. The
job counts the download first (:func:`downloads.claim`, committed; its usage record's request
id is the download id, so a second run finds it counted and goes on), then writes the file
through the output policy and the watermark into the dataset store under
:func:`downloads.prepared_key`, reporting progress per batch. A worker killed halfway leaves no
file (the store writes beside the key and renames); the retry writes it once, and the usage
record stays one. A refusal (entitlement revoked meanwhile, limit reached) ends the job with
the reason as its message and no file.
"""

from __future__ import annotations

import tempfile
from datetime import datetime

from sqlmodel import Session

from marketplace import failpoints, jobs
from marketplace.datasets import get_store
from marketplace.datasets.storage import DatasetStore
from marketplace.delivery import downloads
from marketplace.delivery.download_links import new_download_id
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.models import Entitlement
from marketplace.jobs.models import JobRun, JobState
from marketplace.settings import settings

KIND = "delivery.prepare_download"


def ask(session: Session, entitlement: Entitlement, fmt: ExportFormat,
        asked_by: int) -> JobRun:
    """Ask for the file of a new download of ``entitlement`` in ``fmt`` (a new download id);
    the job reaches the queue when the caller commits."""
    return jobs.enqueue(session, KIND, asked_by=asked_by, download_id=new_download_id(),
                        entitlement_id=entitlement.id, fmt=ExportFormat(fmt).value)


def job_for(session: Session, job_id: int | None, entitlement: Entitlement,
            asked_by: int) -> JobRun | None:
    """The download job ``job_id`` if ``asked_by`` asked it for ``entitlement``; else None."""
    if job_id is None or not 0 < job_id <= 2**31 - 1:
        return None
    job = session.get(JobRun, job_id)
    if job is None or job.kind != KIND or job.asked_by != asked_by \
            or job.args.get("entitlement_id") != entitlement.id:
        return None
    return job


def is_ready(job: JobRun, store: DatasetStore, made_after: datetime) -> bool:
    """Whether the job made its file, recently enough to be fetched still."""
    return (job.state == JobState.SUCCEEDED and job.finished_at is not None
            and job.finished_at >= made_after
            and store.exists(downloads.prepared_key(job.args["download_id"],
                                                    ExportFormat(job.args["fmt"]))))


@jobs.job(KIND, max_attempts=3, retry_delay=5.0)
def prepare_download(job: jobs.RunningJob, download_id: str, entitlement_id: int,
                     fmt: str) -> None:
    """Count the download once, then write its file into the store with progress."""
    session = job.session
    app_settings = settings(job.app)
    limit = app_settings.downloads.limit
    fmt = ExportFormat(fmt)
    entitlement = session.get(Entitlement, entitlement_id)
    if entitlement is None:
        return
    try:
        if downloads.already_counted(session, download_id):
            package = downloads.package_of(session, entitlement)
            downloads.check_usable(entitlement)
        else:
            package = downloads.check_request(session, entitlement, limit)
            try:
                downloads.claim(session, entitlement, download_id, fmt, limit,
                                actor_id=job.asked_by, rows=package.dataset.row_count)
            except downloads.DownloadRefused as refused:
                if refused.status_code != 409:  # 409: another run counted it meanwhile
                    raise
    except downloads.DownloadRefused as refused:
        session.rollback()
        jobs.report_progress(job, 100, str(refused))
        return
    session.commit()  # counted; and SQLite's write lock is free for the progress reports
    if package is None:
        return
    key = downloads.prepared_key(download_id, fmt)
    store = get_store(job.app)
    if store.exists(key):
        return
    total = max(1, package.dataset.row_count)

    def progress(rows: int) -> None:
        jobs.report_progress(job, min(99, rows * 100 // total),
                             f"{rows:,} / {package.dataset.row_count:,}")
        if rows * 2 >= total:
            failpoints.hit("download_export_halfway")

    with tempfile.TemporaryFile(prefix="datamarket-download-") as out:
        downloads.write(package, fmt, out, app_settings.secret_key, progress=progress)
        out.seek(0)
        store.put(key, out)
