"""Concurrent calls never overspend a quota: 80 calls from 8 threads on a quota of 20 yield
exactly 20 answers and 60 refusals, counted in the database (SQLite here, PostgreSQL when the
suite runs on it) and in Redis. A failed call gives its reservation back.

The full version (400 calls, quota 100, gunicorn with several workers) is in
tests/concurrency/test_gateway_load.py.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from marketplace.delivery.quota import RedisQuota
from marketplace.delivery.scope import GrantedScope, OperationGrant
from marketplace.plugins import get_runtime
from tests.gateway_support import (
    BODY,
    LOOKUP,
    bearer,
    buy,
    gateway_config,
    make_world,
    metered,
    new_key,
)

QUOTA, CALLS, THREADS = 20, 80, 8


@pytest.fixture(params=["database", "redis"])
def counter(request):
    return request.param


@pytest.fixture
def app_config(app_config, counter, request):
    config = gateway_config(app_config)
    if counter == "redis":
        config["REDIS_URL"] = request.getfixturevalue("redis_url")
    return config


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def test_parallel_calls_never_overspend_the_quota(app, db, counter):
    world = make_world(app, db)
    entitlement = buy(db, world, world.buyer, quota=QUOTA)
    token = new_key(db, app, world.buyer)

    def one_call(_):
        response = app.test_client().post(world.url(), json=BODY, headers=bearer(token))
        return response.status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = Counter(pool.map(one_call, range(CALLS)))
    assert statuses == {200: QUOTA, 429: CALLS - QUOTA}
    assert metered(db) == (QUOTA, QUOTA)
    if counter == "redis":
        store = RedisQuota(app.config["REDIS_URL"])
        assert int(store.client.get(store.key(entitlement.id, "pack"))) == QUOTA


def test_a_failed_call_gives_its_reservation_back(app, db, counter):
    world = make_world(app, db)
    entitlement = buy(db, world, world.buyer, quota=1)
    entitlement.scope = GrantedScope.of([OperationGrant(LOOKUP),
                                         OperationGrant("gw_registry.fail")]).to_json()
    db.add(entitlement)
    db.commit()
    token = new_key(db, app, world.buyer)
    client = app.test_client()
    for _ in range(3):
        assert client.post(world.url("fail"), json=BODY, headers=bearer(token)).status_code == 502
    assert metered(db) == (0, 0)
    assert client.post(world.url(), json=BODY, headers=bearer(token)).status_code == 200
    assert client.post(world.url(), json=BODY, headers=bearer(token)).status_code == 429
    assert metered(db) == (1, 1)
