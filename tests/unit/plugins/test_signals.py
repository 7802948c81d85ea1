"""The runtime announces what happened (blinker signals, the app as sender) and tells no one.

Real plugins from ``tests/plugin_samples``; the listeners here stand for whatever the app wires.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from datamarket_sdk import Scope
from sqlmodel import select

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.db import get_engine
from marketplace.notifications.models import Notification
from marketplace.plugins import get_runtime, services, signals
from marketplace.plugins.breaker import BreakerState
from marketplace.plugins.errors import PluginFault
from marketplace.plugins.models import PluginIncident
from tests.factories import make_user

SAMPLES = Path(__file__).resolve().parents[2] / "plugin_samples"
BUYER = {"buyer": "buyer-7f3a", "scope": Scope(operations=frozenset({"flaky"}))}
FAULTY_MERCHANT = "91350100M000100Y43"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(SAMPLES),
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 45}


@pytest.fixture
def runtime(app):
    runtime = get_runtime(app)
    yield runtime
    runtime.close()


def trust(db, name: str) -> None:
    row = services.find(db, name)
    row.trusted = True
    db.add(row)
    db.commit()


def fail_twice(runtime) -> list[str]:
    incidents = []
    for _ in range(2):
        with pytest.raises(PluginFault) as caught:
            runtime.invoke("faulty", "flaky", {"fail": True}, **BUYER)
        incidents.append(caught.value.incident)
    return incidents


def test_the_breaker_open_signal_reaches_a_listener_with_what_a_notice_needs(app, db, runtime):
    runtime.sync()
    trust(db, "faulty")
    opened, recorded = [], []
    with signals.breaker_opened.connected_to(lambda sender, notice: opened.append(notice),
                                             sender=app), \
            signals.incident_recorded.connected_to(
                lambda sender, notice: recorded.append(notice), sender=app):
        faults = fail_twice(runtime)

    assert runtime.breaker_states("faulty")["flaky"] == BreakerState.OPEN
    [notice] = opened
    assert (notice.plugin, notice.operation, notice.merchant) == (
        "faulty", "flaky", FAULTY_MERCHANT)
    assert (notice.faults, notice.cooldown_seconds) == (2, 45)
    assert "flaky failed as asked" in notice.error
    db.expire_all()
    row = db.exec(select(PluginIncident).where(PluginIncident.incident == notice.incident)).one()
    assert row.kind == "breaker_open"
    # Every fault was announced, then the breaker's own incident.
    assert [n.incident for n in recorded] == [*faults, notice.incident]
    assert [n.kind for n in recorded] == ["exception", "exception", "breaker_open"]
    assert all(n.merchant == FAULTY_MERCHANT for n in recorded)


def test_listeners_of_another_app_hear_nothing(app, app_config, db, runtime):
    runtime.sync()
    trust(db, "faulty")
    other = create_app(app_config)
    heard = []
    try:
        with signals.breaker_opened.connected_to(lambda sender, notice: heard.append(notice),
                                                 sender=other):
            fail_twice(runtime)
    finally:
        get_runtime(other).close()
        get_engine(other).dispose()
    assert heard == []


def test_a_failing_listener_does_not_change_what_the_caller_gets(app, db, runtime):
    runtime.sync()
    trust(db, "faulty")

    def broken(sender, notice):
        raise RuntimeError("listener broke")

    with signals.breaker_opened.connected_to(broken, sender=app):
        fail_twice(runtime)  # PluginFault both times, not the listener's error
    assert runtime.breaker_states("faulty")["flaky"] == BreakerState.OPEN


def test_admins_are_told_by_the_listener_create_app_wires(app, db, runtime):
    admin = make_user(db, Role.ADMIN)
    db.commit()
    runtime.sync()
    trust(db, "faulty")
    fail_twice(runtime)
    db.expire_all()
    [notice] = db.exec(select(Notification).where(Notification.kind == "plugin.paused")).all()
    assert notice.user_id == admin.id
    assert notice.params == {"plugin": "faulty", "operation": "flaky", "faults": 2,
                             "seconds": 45}


def test_plugins_that_newly_fail_to_load_are_announced_once(app, runtime):
    failed = []
    with signals.load_failed.connected_to(lambda sender, notice: failed.append(notice),
                                          sender=app):
        assert runtime.sync()
        assert runtime.sync()  # nothing new: nothing announced again
    by_name = {notice.plugin: notice for notice in failed}
    assert len(by_name) == len(failed)
    expected = {name for name, plugin in runtime.plugins.items() if plugin.failed}
    assert {"broken_import", "misspelt", "future_sdk"} <= expected
    assert set(by_name) == expected
    assert "ModuleNotFoundError" in by_name["broken_import"].error
    assert by_name["broken_import"].source == f"folder {SAMPLES / 'broken_import.py'}"
