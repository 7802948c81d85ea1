"""A large data package prepared by a real worker process that is killed halfway (after the
download was counted, before its file was stored): the retry finishes it once, with one file
and one usage record."""

from __future__ import annotations

from sqlmodel import select

from marketplace.datasets import store_settings
from marketplace.db import get_engine, new_session
from marketplace.delivery import download_jobs
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.models import Entitlement, UsageRecord
from marketplace.jobs.models import JobRun, JobState
from tests.download_support import buy, make_package
from tests.jobs_support import WorkerProcess, queue_config, wait_for


def _job(app, job_id: int) -> JobRun:
    with new_session(get_engine(app)) as session:
        return session.get(JobRun, job_id)


def test_a_download_job_killed_halfway_finishes_once(make_app, app_config, tmp_path):
    config = queue_config(app_config, tmp_path, JOBS_LEASE_SECONDS=1.0, DOWNLOAD_JOB_ROWS=10,
                          USAGE_SWEEP_SECONDS=0)
    app = make_app(config)
    with app.test_request_context(), new_session(get_engine(app)) as db:
        world = make_package(app, db)
        mine = buy(db, world, world.buyer)
        job_id = download_jobs.ask(db, mine, ExportFormat.XLSX, world.buyer.id).id
        db.commit()
    worker = WorkerProcess(config, tmp_path / "worker.log")
    worker.env["DATAMARKET_FAILPOINTS"] = "download_export_halfway"
    worker.start()
    try:
        worker.process.wait(60)  # the failpoint ends the process, as a kill would
        halfway = _job(app, job_id)
        assert halfway.state == JobState.RUNNING, "the dead worker left it running"
        worker.env.pop("DATAMARKET_FAILPOINTS")
        worker.start()
        done = wait_for(lambda: (row := _job(app, job_id)).state == JobState.SUCCEEDED and row,
                        timeout=60, what="the retried download job")
    finally:
        worker.stop()
    assert done.attempts == 2 and done.progress == 100
    with new_session(get_engine(app)) as db:
        records = db.exec(select(UsageRecord).where(UsageRecord.entitlement_id == mine.id)).all()
        assert [r.request_id for r in records] == [done.args["download_id"]]
        assert db.get(Entitlement, mine.id).downloads_used == 1
    with app.app_context():
        folder = store_settings(app).local_dir / "downloads"
    assert [path.name for path in folder.iterdir()] == [f"{done.args['download_id']}.xlsx"]
