"""Plugin faults over HTTP, and the admin plugins page, with real plugins from a folder.

The operations are reached through a small gateway route the tests add (the merchant-facing
gateway comes later); it goes through the app's real error handling, so each fault is seen as a
caller sees it, and a normal page is requested after each fault to show the app keeps serving.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from datamarket_sdk import Scope
from flask import jsonify, request
from sqlmodel import select

from marketplace import policy
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine
from marketplace.plugins import get_runtime
from marketplace.plugins.models import InstalledPlugin, PluginIncident
from tests.factories import forget, logged_in_client, make_user

SAMPLES = Path(__file__).resolve().parents[1] / "plugin_samples"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(SAMPLES),
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 60}


@pytest.fixture
def app(app):
    def call(plugin: str, operation: str):
        result = get_runtime().invoke(plugin, operation, request.get_json(silent=True) or {},
                                      buyer="buyer-1", scope=Scope())
        return jsonify(result)

    gateway = policy.public(call)
    app.add_url_rule("/api/test-gateway/<plugin>/<operation>", "test_gateway", gateway,
                     methods=["POST"])
    app.add_url_rule("/test-page/<plugin>/<operation>", "test_page", gateway, methods=["POST"])
    yield app
    get_runtime(app).close()


@pytest.fixture(params=["trusted", "untrusted"])
def mode(request, app, db) -> str:
    get_runtime(app).sync()
    row = db.exec(select(InstalledPlugin).where(InstalledPlugin.name == "faulty")).one()
    row.trusted = request.param == "trusted"
    db.add(row)
    db.commit()
    return request.param




@pytest.fixture
def admin(db) -> User:
    return make_user(db, Role.ADMIN, name="Operator")


@pytest.fixture
def admin_client(app, admin):
    return logged_in_client(app, admin)


def invoke(client, operation: str, payload: dict | None = None, plugin: str = "faulty"):
    return client.post(f"/api/test-gateway/{plugin}/{operation}", json=payload or {})


def assert_still_serving(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert invoke(client, "echo", {"text": "ping"}).get_json() == {"text": "ping"}


def incident(db, incident_id: str) -> PluginIncident:
    forget(db)
    return db.exec(select(PluginIncident).where(PluginIncident.incident == incident_id)).one()


# ---------------------------------------------------------------------------- faults over HTTP


@pytest.mark.parametrize(("operation", "payload", "status", "kind"), [
    ("explode", {}, 502, "exception"),
    ("bad_output", {}, 502, "bad_output"),
    ("sleepy", {"seconds": 10}, 504, "timeout"),
])
def test_a_fault_is_a_clean_problem_with_an_incident(mode, client, db, operation, payload,
                                                     status, kind):
    started = time.monotonic()
    response = invoke(client, operation, payload)
    assert time.monotonic() - started < 5, "the deadline is 0.5 s (plus a worker's start-up)"
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert re.fullmatch(r"[0-9a-f]{16}", body["incident"])
    assert body["incident"] in body["detail"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "kaboom" not in text and "Text" not in body["detail"]
    assert incident(db, body["incident"]).kind == kind
    assert_still_serving(client)


@pytest.mark.parametrize(("operation", "payload", "status", "detail"), [
    ("refuse", {}, 422, "The number must be positive."),
    ("missing", {}, 404, "No company is registered under that code."),
    ("echo", {"text": ["not", "text"]}, 422, "text: Input should be a valid string"),
])
def test_refusals_carry_the_plugin_message_without_an_incident(mode, client, operation, payload,
                                                               status, detail):
    response = invoke(client, operation, payload)
    assert response.status_code == status
    body = response.get_json()
    assert body["detail"] == detail
    assert "incident" not in body
    assert_still_serving(client)


def test_an_unknown_operation_is_404(client):
    response = invoke(client, "nope")
    assert response.status_code == 404
    assert "“nope” of plugin “faulty” is not available" in response.get_json()["detail"]
    assert invoke(client, "echo", plugin="misspelt").status_code == 404


def test_a_crashed_worker_is_a_fault_and_the_next_call_gets_a_new_one(client, db):
    response = invoke(client, "die")
    assert response.status_code == 502
    assert incident(db, response.get_json()["incident"]).kind == "crash"
    assert_still_serving(client)


def test_a_page_gets_the_error_page_with_the_incident(mode, client):
    response = client.post("/test-page/faulty/explode", headers={"Accept": "text/html"})
    assert response.status_code == 502
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    found = re.search(r"Incident reference: ([0-9a-f]{16})", page)
    assert found, page
    assert "A plugin failed to answer" in page
    assert "kaboom" not in page and "Traceback" not in page
    assert client.get("/").status_code == 200


def test_the_breaker_pauses_the_operation_with_retry_after_and_tells_admins(app, client, db,
                                                                             admin):
    assert invoke(client, "flaky", {"fail": True}).status_code == 502
    assert invoke(client, "flaky", {"fail": True}).status_code == 502
    paused = invoke(client, "flaky", {"fail": False})
    assert paused.status_code == 503
    body = paused.get_json()
    assert body["retry_after"] == 60 and paused.headers["Retry-After"] == "60"
    assert incident(db, body["incident"]).kind == "breaker_open"
    assert_still_serving(client)

    admin_client = logged_in_client(app, admin)
    bell = admin_client.get("/notifications").get_data(as_text=True)
    assert "The operation “flaky” of plugin faulty failed 2 times in a row and is paused for 60 " \
           "seconds." in bell
    page = admin_client.get("/admin/plugins").get_data(as_text=True)
    assert "Paused by a breaker" in page and body["incident"] in page


# ---------------------------------------------------------------------------- the admin page


def plugin_row(db, name: str) -> InstalledPlugin:
    forget(db)
    return db.exec(select(InstalledPlugin).where(InstalledPlugin.name == name)).one()


def test_admin_page_lists_every_plugin_with_failures_and_their_errors(admin_client):
    response = admin_client.get("/admin/plugins")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("faulty", "broken_import", "misspelt", "future_sdk"):
        assert f'id="plugin-{name}"' in page
    assert "Faulty test plugin" in page and "91350100M000100Y43" in page
    assert "ModuleNotFoundError: No module named" in page
    assert "datamarket_operatoins" in page
    assert "plugin needs SDK &gt;=0.2,&lt;0.3 but this platform provides 0.1.2" in page
    assert page.count("Failed to load") >= 3
    assert "<code>echo</code>" in page
    assert "No incidents: no plugin operation has failed yet." in page


def test_admin_page_in_chinese(app, db):
    admin = make_user(db, Role.ADMIN, locale="zh_Hans")
    page = logged_in_client(app, admin).get("/admin/plugins").get_data(as_text=True)
    assert "加载失败" in page and "最近的事件" in page


def test_disable_and_enable_a_plugin(admin_client, client, db, admin):
    response = admin_client.post("/admin/plugins/faulty/state", data={"state": "disabled"})
    assert response.status_code == 302
    assert plugin_row(db, "faulty").state == "disabled"
    assert invoke(client, "echo", {"text": "x"}).status_code == 404
    assert "faulty is disabled" in admin_client.get("/admin/plugins").get_data(as_text=True)

    admin_client.post("/admin/plugins/faulty/state", data={"state": "enabled"})
    assert plugin_row(db, "faulty").state == "enabled"
    assert invoke(client, "echo", {"text": "x"}).get_json() == {"text": "x"}
    actions = [entry.action for entry in db.exec(
        select(AuditEntry).where(AuditEntry.subject_type == "plugin"))]
    assert actions == ["plugin.disable", "plugin.enable"]
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "plugin.disable")).one()
    assert (entry.actor_id, entry.subject_id) == (admin.id, "faulty")


def test_a_failed_plugin_cannot_be_enabled_but_can_be_disabled(admin_client, db):
    admin_client.get("/admin/plugins")
    response = admin_client.post("/admin/plugins/misspelt/state", data={"state": "enabled"},
                                 follow_redirects=True)
    assert "did not load, so it cannot be enabled" in response.get_data(as_text=True)
    assert plugin_row(db, "misspelt").state == "failed"
    admin_client.post("/admin/plugins/misspelt/state", data={"state": "disabled"})
    assert plugin_row(db, "misspelt").state == "disabled"


def test_trust_and_untrust_a_plugin(app, admin_client, client, db):
    import os

    assert invoke(client, "pid").get_json()["pid"] != os.getpid()
    admin_client.post("/admin/plugins/faulty/trust", data={"trusted": "yes"})
    assert plugin_row(db, "faulty").trusted
    assert invoke(client, "pid").get_json()["pid"] == os.getpid()
    admin_client.post("/admin/plugins/faulty/trust", data={"trusted": "no"})
    assert not plugin_row(db, "faulty").trusted
    assert invoke(client, "pid").get_json()["pid"] != os.getpid()
    actions = [entry.action for entry in db.exec(
        select(AuditEntry).where(AuditEntry.subject_type == "plugin"))]
    assert actions == ["plugin.trust", "plugin.untrust"]


@pytest.mark.parametrize(("url", "data"), [
    ("/admin/plugins/faulty/state", {"state": "removed"}),
    ("/admin/plugins/faulty/trust", {"trusted": "maybe"}),
])
def test_nonsense_actions_change_nothing(admin_client, db, url, data):
    response = admin_client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Choose whether to" in response.get_data(as_text=True)
    row = plugin_row(db, "faulty")
    assert (row.state, row.trusted) == ("enabled", False)


def test_unknown_plugin_is_404(admin_client):
    assert admin_client.post("/admin/plugins/nobody/state",
                             data={"state": "disabled"}).status_code == 404


def test_only_admins_manage_plugins(app, db, client):
    get_runtime(app).sync()
    buyer = logged_in_client(app, make_user(db))
    assert buyer.get("/admin/plugins").status_code == 403
    assert buyer.post("/admin/plugins/faulty/state",
                      data={"state": "disabled"}).status_code == 403
    assert client.get("/admin/plugins").status_code == 302  # to the login page
    assert plugin_row(db, "faulty").state == "enabled"


def test_kill_switch_disables_discovery(app_config, monkeypatch, db, admin):
    from marketplace import create_app

    monkeypatch.setenv("DATAMARKET_DISABLE_PLUGIN_AUTOLOAD", "1")
    switched_off = create_app(app_config)
    try:
        assert get_runtime(switched_off).plugins == {}
        page = logged_in_client(switched_off, admin).get("/admin/plugins").get_data(as_text=True)
        assert "No plugin is installed." in page
    finally:
        get_engine(switched_off).dispose()


def plugin_actions(page: str, name: str) -> str:
    """The actions cell of one plugin's row on the admin page."""
    row = page.split(f'id="plugin-{name}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="row-actions"', 1)[1]


def test_a_plugin_that_did_not_load_is_offered_no_trust_or_disable(admin_client, db):
    page = admin_client.get("/admin/plugins").get_data(as_text=True)

    failed = plugin_actions(page, "misspelt")
    assert "Nothing to enable or trust until it loads" in failed
    assert ">Trust<" not in failed and ">Disable<" not in failed and ">Enable<" not in failed
    assert "Keep it off once it loads" in failed
    loaded = plugin_actions(page, "faulty")
    assert ">Trust<" in loaded and ">Disable<" in loaded
    assert "Nothing to enable or trust" not in loaded

    admin_client.post("/admin/plugins/misspelt/state", data={"state": "disabled"})
    kept_off = plugin_actions(admin_client.get("/admin/plugins").get_data(as_text=True),
                              "misspelt")
    assert "<form" not in kept_off  # disabled and not trusted: nothing left to decide


def test_a_plugin_that_did_not_load_cannot_be_trusted_but_can_lose_trust(admin_client, db):
    admin_client.get("/admin/plugins")
    response = admin_client.post("/admin/plugins/misspelt/trust", data={"trusted": "yes"},
                                 follow_redirects=True)

    assert "did not load, so it cannot be trusted" in response.get_data(as_text=True)
    assert not plugin_row(db, "misspelt").trusted

    row = plugin_row(db, "misspelt")
    row.trusted = True  # trusted before its latest version stopped loading
    db.add(row)
    db.commit()
    assert ">Stop trusting<" in plugin_actions(
        admin_client.get("/admin/plugins").get_data(as_text=True), "misspelt")
    admin_client.post("/admin/plugins/misspelt/trust", data={"trusted": "no"})
    assert not plugin_row(db, "misspelt").trusted
