"""The plugin runtime on a real app, with real plugins from ``tests/plugin_samples``.

Every fault is tried in both isolation modes: trusted (a thread of this process) and untrusted
(the plugin's worker process).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from datamarket_sdk import Scope
from sqlalchemy import create_engine
from sqlmodel import select

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.db import get_engine, new_session
from marketplace.notifications.models import Notification
from marketplace.plugins import get_runtime, services
from marketplace.plugins.breaker import BreakerState
from marketplace.plugins.errors import (
    OperationNotFound,
    OperationPaused,
    PluginBadInput,
    PluginFault,
    PluginNotFoundError,
    PluginTimeout,
)
from marketplace.plugins.models import InstalledPlugin, PluginIncident
from tests.factories import make_user

SAMPLES = Path(__file__).resolve().parents[2] / "plugin_samples"
BUYER = {"buyer": "buyer-7f3a", "scope": Scope(operations=frozenset({"echo"}))}


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(SAMPLES),
            "PLUGIN_BREAKER_THRESHOLD": 3, "PLUGIN_BREAKER_COOLDOWN": 30}


@pytest.fixture
def runtime(app):
    runtime = get_runtime(app)
    runtime.sync()
    yield runtime
    runtime.close()


def set_trusted(app, name: str, trusted: bool) -> None:
    session = new_session(get_engine(app))
    try:
        row = services.find(session, name)
        row.trusted = trusted
        session.add(row)
        session.commit()
    finally:
        session.close()


@pytest.fixture(params=["trusted", "untrusted"])
def mode(request, app, runtime) -> str:
    set_trusted(app, "faulty", request.param == "trusted")
    return request.param


def incident_row(db, incident: str) -> PluginIncident:
    db.expire_all()
    return db.exec(select(PluginIncident).where(PluginIncident.incident == incident)).one()


def plugin_row(db, name: str) -> InstalledPlugin:
    db.expire_all()
    return db.exec(select(InstalledPlugin).where(InstalledPlugin.name == name)).one()


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ---------------------------------------------------------------------------- what is offered


def test_operations_lists_enabled_plugins_with_schemas_and_merchant(runtime):
    operations = {(op.plugin, op.name): op for op in runtime.operations()}
    echo = operations[("faulty", "echo")]
    assert echo.merchant == "91350100M000100Y43"
    assert echo.input_schema["properties"]["text"]["type"] == "string"
    assert echo.output_schema["required"] == ["text"]
    assert echo.timeout_seconds == 5.0
    assert not {plugin for plugin, _name in operations} & {"misspelt", "future_sdk"}
    assert runtime.operation("faulty", "sleepy").timeout_seconds == 0.5


@pytest.mark.parametrize(("plugin", "operation"), [
    ("faulty", "no_such_operation"), ("no_such_plugin", "echo"), ("future_sdk", "anything")])
def test_unknown_operations_are_not_found(runtime, plugin, operation):
    with pytest.raises(OperationNotFound) as caught:
        runtime.invoke(plugin, operation, {}, **BUYER)
    assert caught.value.status_code == 404
    with pytest.raises(OperationNotFound):
        runtime.operation(plugin, operation)


def test_a_disabled_plugin_offers_nothing(app, db, runtime):
    admin = make_user(db, Role.ADMIN)
    services.set_state(db, admin, services.find(db, "faulty"), "disabled")
    db.commit()
    with pytest.raises(OperationNotFound):
        runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER)
    assert not [op for op in runtime.operations() if op.plugin == "faulty"]


# ---------------------------------------------------------------------------- answers and faults


def test_an_answer_is_returned_as_json_data(mode, runtime, db):
    assert runtime.invoke("faulty", "echo", {"text": "你好"}, **BUYER) == {"text": "你好"}
    assert plugin_row(db, "faulty").health == "ok"


def test_trusted_runs_here_and_untrusted_in_another_process(mode, runtime):
    pid = runtime.invoke("faulty", "pid", {}, **BUYER)["pid"]
    assert (pid == os.getpid()) is (mode == "trusted")
    assert (runtime.worker_pid("faulty") is None) is (mode == "trusted")


def test_a_plugin_that_raises_gives_a_fault_with_an_incident(mode, runtime, db, caplog):
    with caplog.at_level(logging.ERROR, logger="marketplace.plugins.runtime"):
        with pytest.raises(PluginFault) as caught:
            runtime.invoke("faulty", "explode", {}, **BUYER)
    error = caught.value
    assert error.status_code == 502
    assert error.incident and error.incident in str(error)
    assert "kaboom" not in str(error), "the plugin's message never reaches the caller"
    row = incident_row(db, error.incident)
    assert (row.plugin, row.operation, row.kind) == ("faulty", "explode", "exception")
    assert "RuntimeError: kaboom" in row.message
    assert "Traceback" not in row.message, "tracebacks go to the log only"
    logged = caplog.text
    assert error.incident in logged and "Traceback" in logged and "kaboom" in logged
    assert plugin_row(db, "faulty").health == "faulting"
    assert runtime.invoke("faulty", "echo", {"text": "still here"}, **BUYER) == {
        "text": "still here"}


def test_output_that_breaks_the_schema_is_a_fault(mode, runtime, db):
    with pytest.raises(PluginFault) as caught:
        runtime.invoke("faulty", "bad_output", {}, **BUYER)
    row = incident_row(db, caught.value.incident)
    assert row.kind == "bad_output"
    assert "does not match Text" in row.message


def test_a_plugin_past_its_deadline_times_out(mode, runtime, db):
    before = runtime.invoke("faulty", "pid", {}, **BUYER)["pid"]
    started = time.monotonic()
    with pytest.raises(PluginTimeout) as caught:
        runtime.invoke("faulty", "sleepy", {"seconds": 10}, **BUYER)
    assert time.monotonic() - started < 3, "the deadline is 0.5 s"
    assert caught.value.status_code == 504
    assert incident_row(db, caught.value.incident).kind == "timeout"
    after = runtime.invoke("faulty", "pid", {}, **BUYER)["pid"]
    if mode == "untrusted":
        assert not exists(before), "the hung worker was killed"
        assert after != before, "and a new one answers"
    assert runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER) == {"text": "x"}


def test_bad_input_and_not_found_carry_the_plugin_message(mode, runtime, db):
    with pytest.raises(PluginBadInput) as refused:
        runtime.invoke("faulty", "refuse", {}, **BUYER)
    assert (refused.value.status_code, str(refused.value)) == (422, "The number must be positive.")
    with pytest.raises(PluginNotFoundError) as missing:
        runtime.invoke("faulty", "missing", {}, **BUYER)
    assert missing.value.status_code == 404
    assert str(missing.value) == "No company is registered under that code."
    with pytest.raises(PluginBadInput, match="text"):
        runtime.invoke("faulty", "echo", {"txt": "typo"}, **BUYER)
    assert db.exec(select(PluginIncident)).all() == [], "refusals are not incidents"


def test_a_worker_that_dies_is_a_crash(runtime, db):
    with pytest.raises(PluginFault) as caught:
        runtime.invoke("faulty", "die", {}, **BUYER)
    row = incident_row(db, caught.value.incident)
    assert (row.kind, row.message) == ("crash", "the worker exited with status 3")
    assert runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER) == {"text": "x"}


# ---------------------------------------------------------------------------- the worker's limits


def test_the_worker_environment_has_no_secrets(runtime, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY", "SMTP_PASSWORD"):
        monkeypatch.setenv(name, "must-not-leak")
    names = runtime.invoke("faulty", "environment", {}, **BUYER)["names"]
    assert "PATH" in names
    assert not {"SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY", "SMTP_PASSWORD"} & set(names)
    assert not [name for name in names if "SECRET" in name or "PASSWORD" in name]


def test_memory_is_limited_and_the_worker_survives(runtime, db):
    with pytest.raises(PluginFault) as caught:
        runtime.invoke("faulty", "hog", {"megabytes": 4096}, **BUYER)
    assert "MemoryError" in incident_row(db, caught.value.incident).message
    assert runtime.invoke("faulty", "hog", {"megabytes": 8}, **BUYER) == {"done": True}


def test_a_cpu_burning_plugin_is_stopped_by_rlimit_cpu(app_config, db):
    app = create_app({**app_config, "PLUGIN_WORKER_CPU_SECONDS": 2})
    runtime = get_runtime(app)
    try:
        started = time.monotonic()
        with pytest.raises(PluginTimeout) as caught:
            runtime.invoke("faulty", "burn", {}, **BUYER)  # its own deadline is 30 s
        assert time.monotonic() - started < 15, "stopped long before its 30 s deadline"
        assert "RLIMIT_CPU" in incident_row(db, caught.value.incident).message
        assert runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER) == {"text": "x"}
    finally:
        runtime.close()
        get_engine(app).dispose()


def test_trusting_a_plugin_stops_its_worker(app, runtime):
    runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER)
    pid = runtime.worker_pid("faulty")
    assert pid is not None
    set_trusted(app, "faulty", True)
    assert runtime.invoke("faulty", "pid", {}, **BUYER)["pid"] == os.getpid()
    assert runtime.worker_pid("faulty") is None and not exists(pid)


# ---------------------------------------------------------------------------- the breaker


def admin_notices(db) -> list[Notification]:
    db.expire_all()
    return list(db.exec(select(Notification).where(Notification.kind == "plugin.paused")))


def test_repeated_faults_open_the_breaker_tell_admins_and_it_closes_after_cooldown(
        app, runtime, db):
    admin = make_user(db, Role.ADMIN)
    set_trusted(app, "faulty", True)
    clock = Clock()
    runtime.breakers.clock = clock
    for _ in range(2):
        with pytest.raises(PluginFault):
            runtime.invoke("faulty", "flaky", {"fail": True}, **BUYER)
    assert admin_notices(db) == []
    with pytest.raises(PluginFault):
        runtime.invoke("faulty", "flaky", {"fail": True}, **BUYER)
    assert runtime.breaker_states("faulty")["flaky"] == BreakerState.OPEN

    [notice] = admin_notices(db)
    assert notice.user_id == admin.id
    assert notice.params == {"plugin": "faulty", "operation": "flaky", "faults": 3, "seconds": 30}
    assert plugin_row(db, "faulty").health == "paused"

    clock.now += 10
    with pytest.raises(OperationPaused) as paused:
        runtime.invoke("faulty", "flaky", {"fail": False}, **BUYER)
    assert (paused.value.status_code, paused.value.retry_after) == (503, 20)
    assert incident_row(db, paused.value.incident).kind == "breaker_open"
    # Other operations of the plugin keep working.
    assert runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER) == {"text": "x"}

    clock.now += 21
    assert runtime.invoke("faulty", "flaky", {"fail": False}, **BUYER) == {"text": "fine"}
    assert runtime.breaker_states("faulty")["flaky"] == BreakerState.CLOSED
    assert runtime.invoke("faulty", "flaky", {"fail": False}, **BUYER) == {"text": "fine"}


def test_a_failed_trial_pauses_again_without_a_second_notice(app, runtime, db):
    make_user(db, Role.ADMIN)
    clock = Clock()
    runtime.breakers.clock = clock
    for _ in range(3):
        with pytest.raises(PluginFault):
            runtime.invoke("faulty", "flaky", {"fail": True}, **BUYER)
    clock.now += 30
    with pytest.raises(PluginFault):
        runtime.invoke("faulty", "flaky", {"fail": True}, **BUYER)  # the trial, in the worker
    with pytest.raises(OperationPaused) as paused:
        runtime.invoke("faulty", "flaky", {"fail": False}, **BUYER)
    assert paused.value.retry_after == 30
    assert len(admin_notices(db)) == 1


def test_refusals_do_not_trip_the_breaker(app, runtime):
    set_trusted(app, "faulty", True)
    for _ in range(5):
        with pytest.raises(PluginBadInput):
            runtime.invoke("faulty", "refuse", {}, **BUYER)
    assert runtime.breaker_states("faulty")["refuse"] == BreakerState.CLOSED


# ---------------------------------------------------------------------------- records


def test_sync_records_every_plugin_with_its_state(runtime, db):
    rows = {row.name: row for row in services.installed(db)}
    assert rows["faulty"].state == "enabled" and not rows["faulty"].trusted
    assert rows["faulty"].version == "1.0.0"
    assert rows["faulty"].capabilities["operations"][:3] == ["bad_output", "burn", "chatty"]
    assert rows["faulty"].source == f"folder {SAMPLES / 'faulty.py'}"
    assert rows["broken_import"].state == "failed"
    assert "ModuleNotFoundError" in rows["broken_import"].load_error
    assert rows["misspelt"].state == "failed"
    assert rows["future_sdk"].state == "failed" and rows["future_sdk"].version == "3.0.0"


def test_admin_decisions_survive_a_restart_and_missing_plugins_are_marked(app_config, app, db,
                                                                           runtime, tmp_path):
    admin = make_user(db, Role.ADMIN)
    services.set_state(db, admin, services.find(db, "faulty"), "disabled")
    misspelt = services.find(db, "misspelt")
    misspelt.trusted = True  # trusted while an earlier version loaded (it cannot be now)
    db.add(misspelt)
    db.commit()
    (tmp_path / "platform_own.py").write_text(
        "from datamarket_sdk import Manifest, hookimpl\n\n@hookimpl\n"
        "def datamarket_plugin_manifest():\n    return Manifest(name='platform_own', "
        "version='1.0', merchant='', sdk='>=0.1,<0.2')\n", encoding="utf-8")
    restarted = create_app({**app_config, "DATAMARKET_PLUGINS_DIR": str(tmp_path)})
    try:
        assert get_runtime(restarted).sync()
    finally:
        get_engine(restarted).dispose()
    assert plugin_row(db, "faulty").state == "disabled"
    assert plugin_row(db, "faulty").load_error == "It is no longer installed."
    assert plugin_row(db, "misspelt").trusted
    own = plugin_row(db, "platform_own")
    assert (own.state, own.trusted, own.merchant) == ("enabled", True, "")


def test_an_app_starts_and_calls_plugins_before_the_tables_exist(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_engine(url).dispose()
    app = create_app({**app_config, "DATABASE_URL": url})
    runtime = get_runtime(app)
    try:
        assert runtime.sync() is False
        assert runtime.records() == {}
        assert ("faulty", "echo") in {(op.plugin, op.name) for op in runtime.operations()}
        assert runtime.invoke("faulty", "echo", {"text": "x"}, **BUYER) == {"text": "x"}
        with pytest.raises(PluginFault) as caught:
            runtime.invoke("faulty", "explode", {}, **BUYER)
        assert caught.value.incident  # logged even though it could not be stored
    finally:
        runtime.close()
        get_engine(app).dispose()
