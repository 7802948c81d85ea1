"""Abnormal-use detection over real gateway calls: a scripted enumeration of sequential ID
numbers raises an alert and suspends the key in one sweep (and the gateway then refuses the
key with the reason); fishing on a verification product and a burst raise alerts; ordinary
traffic raises none; sweeps repeat without raising twice."""

from __future__ import annotations

import datetime as dt
import random
from datetime import timedelta

import pytest
from datamarket_sdk import synthetic
from sqlmodel import func, select

from marketplace.audit.models import AuditEntry
from marketplace.base import utcnow
from marketplace.delivery.models import ApiKey, UsageRecord
from marketplace.monitoring import alerts, detection
from marketplace.monitoring.models import UsageAlert
from marketplace.monitoring.sweeps import sweep_usage
from marketplace.plugins import get_runtime
from marketplace.settings import settings
from tests.factories import logged_in_client
from tests.gateway_support import bearer, buy, gateway_config, make_world, new_key


@pytest.fixture
def app_config(app_config):
    return {**gateway_config(app_config), "GATEWAY_RATE_LIMIT": "10000/minute"}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    return make_world(app, db, operations=("gw_registry.verify",))


def _ids(sequences, born=dt.date(1990, 3, 14)):
    return [synthetic.resident_id("110105", born, n) for n in sequences]


def _call(client, world, token, code, operation="lookup"):
    response = client.post(world.url(operation), json={"credit_code": code},
                           headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response


def _alerts(db):
    db.rollback()
    return db.exec(select(UsageAlert).order_by(UsageAlert.id)).all()


def test_an_enumeration_of_sequential_ids_is_alerted_and_the_key_suspended_in_one_sweep(
        app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    for code in _ids(range(100, 125)):  # 25 consecutive people born the same day
        _call(client, world, token, code)

    report = sweep_usage(db, settings(app).usage_watch)

    assert (report.alerts, report.suspended_keys) == (1, 1)
    [alert] = _alerts(db)
    assert alert.rule == "enumeration" and alert.key_suspended
    assert alert.evidence["run"] == 25 and len(alert.evidence["usage_records"]) == 25
    key = db.get(ApiKey, alert.api_key_id)
    assert key.suspended_at is not None and "enumeration" in key.suspension_reason
    refused = client.post(world.url(), json={"credit_code": _ids([125])[0]},
                          headers=bearer(token))
    assert refused.status_code == 403
    assert "suspended" in refused.get_json()["detail"]
    assert "enumeration" in refused.get_json()["detail"]
    actions = db.exec(select(AuditEntry.action).where(
        AuditEntry.action.in_(["usage_alert.raise", "api_key.suspend"]))).all()
    assert sorted(actions) == ["api_key.suspend", "usage_alert.raise"]
    # the buyer sees why on the keys page
    page = logged_in_client(app, world.buyer).get("/account/keys").get_data(as_text=True)
    assert "Suspended" in page and "enumeration of sequential identifiers" in page
    # a second sweep raises nothing more
    assert sweep_usage(db, settings(app).usage_watch).alerts == 0
    assert len(_alerts(db)) == 1


def test_only_what_detection_needs_of_the_input_is_kept(app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    code = _ids([7])[0]
    _call(client, world, token, code)
    db.rollback()
    kept = db.exec(select(UsageRecord.input_key)).one()
    assert kept and code not in kept and code[:12] not in kept
    assert len(kept) <= 64


def test_ordinary_traffic_raises_no_alert(app, db, client, world):
    """Two buyers' programs checking random people and companies, and a verification mostly
    answered with a match, at a few hundred calls."""
    rng = random.Random(13)
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    for _ in range(120):
        born = dt.date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
        _call(client, world, token, synthetic.resident_id("310104", born, rng.randrange(1000)))
    for index in range(40):
        code = "91350100M000100Y43" if index % 3 else _ids([rng.randrange(1000)])[0]
        _call(client, world, token, code, operation="verify")

    report = sweep_usage(db, settings(app).usage_watch)

    assert report.alerts == 0 and _alerts(db) == []


def test_fishing_on_a_verification_product_is_alerted_without_suspending(
        app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    rng = random.Random(5)
    for _ in range(35):  # guesses, almost all wrong
        born = dt.date(1970, 1, 1) + timedelta(days=rng.randrange(12000))
        _call(client, world, token, synthetic.resident_id("110105", born, rng.randrange(1000)),
              operation="verify")

    report = sweep_usage(db, settings(app).usage_watch)

    [alert] = _alerts(db)
    assert (alert.rule, alert.key_suspended, report.suspended_keys) == ("fishing", False, 0)
    assert alert.evidence["no_match"] == 35 and alert.evidence["share"] == 1.0
    assert db.get(ApiKey, alert.api_key_id).suspended_at is None


def test_a_burst_far_above_the_keys_baseline_is_alerted(app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    rng = random.Random(9)
    for _ in range(40):
        born = dt.date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
        _call(client, world, token, synthetic.resident_id("310104", born, rng.randrange(1000)))
    db.rollback()
    # yesterday's calls: two busy hours of three calls each are the key's baseline
    records = db.exec(select(UsageRecord).order_by(UsageRecord.id)).all()
    earlier = utcnow() - timedelta(days=1)
    for index, record in enumerate(records[:6]):
        record.occurred_at = earlier + timedelta(hours=index // 3)
        db.add(record)
    db.commit()
    watch = detection.UsageWatchSettings(burst_floor=20, burst_factor=10)

    found = detection.find(db, watch, utcnow())

    [burst] = [f for f in found if f.rule == "burst"]
    assert burst.evidence["calls"] == 34 and burst.evidence["baseline_per_window"] == 3
    # below the floor, or within the factor, nothing
    assert not [f for f in detection.find(db, detection.UsageWatchSettings(
        burst_floor=40), utcnow()) if f.rule == "burst"]
    assert not [f for f in detection.find(db, detection.UsageWatchSettings(
        burst_floor=20, burst_factor=12), utcnow()) if f.rule == "burst"]


def test_a_closed_alert_is_not_raised_again_for_the_same_calls(app, db, client, world):
    buy(db, world, world.buyer)
    token = new_key(db, app, world.buyer)
    for code in _ids(range(300, 322)):
        _call(client, world, token, code)
    watch = detection.UsageWatchSettings(suspend_rules=frozenset())
    sweep_usage(db, watch)
    [alert] = _alerts(db)
    alerts.close(db, alert, actor_id=world.admin.id, note="A known batch job.")
    db.commit()

    assert sweep_usage(db, watch).alerts == 0
    assert db.exec(select(func.count()).select_from(UsageAlert)).one() == 1
