"""Rate limits count where the settings say: each process's memory, or Redis (REDIS_URL)."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from limits.storage import storage_from_string

from marketplace.policy import public
from marketplace.web import limits
from marketplace.web.limits import limiter


@pytest.fixture
def limited_app(app_config, make_app):
    def make(redis_url: str) -> Flask:
        return _limited_app(make_app({**app_config, "REDIS_URL": redis_url}))
    return make


def _limited_app(app: Flask) -> Flask:

    @app.get("/ping")
    @public
    @limiter.limit("2 per minute")
    def ping():
        return {"ok": True}

    return app


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_the_third_call_in_a_minute_is_refused_with_retry_after(store, request, limited_app):
    redis_url = request.getfixturevalue("redis_url") if store == "redis" else ""
    client = limited_app(redis_url).test_client()
    assert [client.get("/ping").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/ping", headers={"Accept": "application/json"})
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_two_apps_on_one_redis_share_their_counts(redis_url, limited_app):
    first, second = limited_app(redis_url), limited_app(redis_url)
    assert first.test_client().get("/ping").status_code == 200
    assert second.test_client().get("/ping").status_code == 200
    assert second.test_client().get("/ping").status_code == 429


def test_memory_is_the_embedded_default_and_redis_is_used_when_set():
    assert limits.storage_uri("") == "swept-memory://"
    assert limits.storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert isinstance(storage_from_string(limits.storage_uri("")), limits.SweptMemoryStorage)


def test_the_memory_store_sweeps_at_most_once_a_second_and_counters_still_expire(monkeypatch):
    started = []
    real_timer = threading.Timer

    def counting_timer(*args, **kwargs):
        started.append(args[0])
        return real_timer(*args, **kwargs)

    monkeypatch.setattr(threading, "Timer", counting_timer)
    storage = limits.SweptMemoryStorage()
    storage.timer.join()  # the stock constructor's own first sweep, 10 ms after it
    started.clear()
    for _ in range(200):
        storage.incr("gateway/1", expiry=0.05)
    assert started == [limits.SweptMemoryStorage.SWEEP_EVERY]  # one sweep, not one per hit
    assert storage.get("gateway/1") == 200
    time.sleep(0.06)
    assert storage.get("gateway/1") == 0  # expired without waiting for a sweep
    assert storage.incr("gateway/1", expiry=60) == 1


def test_the_sweep_forgets_counters_no_longer_used(monkeypatch):
    monkeypatch.setattr(limits.SweptMemoryStorage, "SWEEP_EVERY", 0.05)
    storage = limits.SweptMemoryStorage()
    storage.incr("gateway/2", expiry=0.01)
    time.sleep(0.3)
    assert "gateway/2" not in storage.storage
