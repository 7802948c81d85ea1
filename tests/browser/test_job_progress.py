"""The progress bar of a background job fills in the browser, under the Content-Security-Policy,
from GET /api/v1/jobs/<id> while a real worker runs the job (the admin's jobs page uses the
partial for unfinished jobs)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from marketplace import create_app, jobs
from marketplace.accounts.models import User
from marketplace.db import get_engine, new_session
from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET, seed
from tests.browser.conftest import ARTIFACTS
from tests.browser.sign_in import log_in as _log_in
from tests.jobs_support import queue_config, running_worker

pytestmark = pytest.mark.browser


@pytest.fixture
def queued_server(app_config, tmp_path):
    seeding = create_app(app_config)
    with seeding.app_context(), new_session(get_engine(seeding)) as session:
        seed(session)
    get_engine(seeding).dispose()
    app = create_app(queue_config({**app_config, "WTF_CSRF_ENABLED": True, "TESTING": False},
                                  tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    get_engine(app).dispose()


def test_a_jobs_progress_bar_fills_as_the_worker_runs_it(queued_server, page, tmp_path):
    app, base = queued_server
    release = tmp_path / "release"
    with app.app_context(), new_session(get_engine(app)) as session:
        admin = session.exec(select(User).where(User.email == "admin@example.com")).one()
        job_id = jobs.enqueue(session, "samples.notice_then_wait", asked_by=admin.id,
                              user_id=admin.id, release=str(release)).id
        session.commit()

    _log_in(page, base, "admin@example.com", "demo-admin", DEMO_ADMIN_TOTP_SECRET)
    page.goto(f"{base}/admin/jobs")
    box = page.locator(f"[data-job-url='/api/v1/jobs/{job_id}']")
    bar = box.locator("progress")
    assert bar.get_attribute("value") == "0"
    page.wait_for_function("() => document.querySelector('[data-job-progress]').dataset.state"
                           " === 'queued'")
    with running_worker(app):
        page.wait_for_function(
            "() => document.querySelector('[data-job-progress] progress').value === 50")
        assert box.locator(".job-progress-message").inner_text() == "notice written"
        page.screenshot(path=str(ARTIFACTS / "job-progress-halfway.png"), full_page=True)
        release.touch()
        page.wait_for_function("() => document.querySelector('[data-job-progress]')"
                               ".classList.contains('job-succeeded')")
    assert bar.evaluate("element => element.value") == 100
    assert re.search(r"100%", box.locator(".job-progress-percent").inner_text())
    page.screenshot(path=str(ARTIFACTS / "job-progress-done.png"), full_page=True)
    assert page.csp_violations == []
