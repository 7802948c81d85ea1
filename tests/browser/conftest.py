"""A live marketplace with the demo data, and a real Chromium driven by Playwright.

Chromium comes from Debian's package (installed by scripts/ensure-test-services), never from
``playwright install``. Forms keep CSRF protection on here, as in production.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.db import get_engine, new_session
from marketplace.demo.seed import seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def live_server(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True, "TESTING": False})
    with app.app_context():
        session = new_session(get_engine(app))
        seed(session)
        session.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    get_engine(app).dispose()


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium; scripts/ensure-test-services "
                        "should have installed it.")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        # Every page of every browser test runs under the Content-Security-Policy; anything it
        # blocks (an inline script, an on*= handler, a style or image from elsewhere) fails the
        # test that loaded it.
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        violations: list[str] = []
        page.on("console", lambda message: _note_violation(violations, message, page))
        page.csp_violations = violations
        yield page
        context.close()
        browser.close()
        assert not violations, "the Content-Security-Policy blocked:\n" + "\n".join(violations)


REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
});
"""


def _note_violation(violations: list[str], message, page) -> None:
    text = message.text
    if message.type == "error" and ("CSP violation" in text or "Content Security Policy" in text):
        violations.append(f"{page.url}: {text}")
