"""Breakers in a real Redis (the ``redis_url`` fixture's redis-server): two boards with
connections of their own stand for two server processes, and must agree."""

from __future__ import annotations

import pytest
from datamarket_sdk import Scope

from marketplace.plugins import get_runtime
from marketplace.plugins.breaker import BreakerBoard, BreakerState
from marketplace.plugins.errors import OperationPaused, PluginFault
from marketplace.plugins.shared_breaker import SharedBreakerBoard
from tests.unit.plugins.test_runtime import SAMPLES


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def boards(redis_url, clock):
    return (SharedBreakerBoard(redis_url, 3, 30, clock),
            SharedBreakerBoard(redis_url, 3, 30, clock))


def test_faults_in_two_processes_add_up_and_open_the_breaker_for_both(boards):
    first, second = (board.get("p", "op") for board in boards)
    assert first.admit().allowed and second.admit().allowed
    assert first.record_fault() is False
    assert second.record_fault() is False
    assert first.record_fault() is True, "the third fault, wherever it happened, opens it"
    first.incident = "inc-1"
    refused = second.admit()
    assert not refused.allowed
    assert refused.retry_after == 30 and refused.incident == "inc-1"
    assert boards[1].state("p", "op") == BreakerState.OPEN
    assert boards[1].state("p", "other") == BreakerState.CLOSED


def test_after_the_cooldown_one_trial_goes_through_in_all_processes(boards, clock):
    first, second = (board.get("p", "op") for board in boards)
    for _ in range(3):
        first.record_fault()
    clock.now += 10
    assert second.admit().retry_after == 20
    clock.now += 20
    assert second.state == BreakerState.HALF_OPEN
    assert first.admit().allowed, "the trial"
    assert not second.admit().allowed, "only one trial at a time, across processes"
    first.record_success()
    assert second.admit().allowed and second.state == BreakerState.CLOSED
    assert second.consecutive_faults == 0


def test_a_failed_trial_opens_it_again_and_a_released_one_lets_another_try(boards, clock):
    first, second = (board.get("p", "op") for board in boards)
    for _ in range(3):
        first.record_fault()
    clock.now += 30
    assert first.admit().allowed
    first.release()  # never reached the plugin
    assert second.admit().allowed
    assert second.record_fault() is False, "not announced again"
    assert not first.admit().allowed and first.state == BreakerState.OPEN


def test_an_unreachable_redis_admits_calls():
    board = SharedBreakerBoard("redis://127.0.0.1:9/0", 1, 30)
    breaker = board.get("p", "op")
    assert breaker.record_fault() is False
    assert breaker.admit().allowed


def test_the_runtime_keeps_breakers_in_redis_when_it_is_configured(app_config, redis_url,
                                                                   make_app):
    with_redis = make_app({**app_config, "REDIS_URL": redis_url})
    without = make_app(app_config)
    assert isinstance(get_runtime(with_redis).breakers, SharedBreakerBoard)
    assert isinstance(get_runtime(without).breakers, BreakerBoard)


def test_a_breaker_opened_by_one_server_process_pauses_the_operation_in_another(
        app_config, redis_url, make_app):
    config = {**app_config, "REDIS_URL": redis_url, "DATAMARKET_PLUGINS_DIR": str(SAMPLES),
              "PLUGIN_BREAKER_THRESHOLD": 2}
    one, other = (get_runtime(make_app(config)) for _ in range(2))
    call = {"buyer": "b", "scope": Scope(frozenset({"flaky"}))}
    try:
        one.sync()
        for _ in range(2):
            with pytest.raises(PluginFault):
                one.invoke("faulty", "flaky", {"fail": True}, **call)
        with pytest.raises(OperationPaused) as paused:
            other.invoke("faulty", "flaky", {"fail": False}, **call)
        assert paused.value.incident, "the incident of the opening, recorded by the first"
        assert other.breaker_states("faulty")["flaky"] == BreakerState.OPEN
    finally:
        one.close()
        other.close()
