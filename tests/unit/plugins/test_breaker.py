"""The circuit breaker of one operation, on a clock the test moves."""

from __future__ import annotations

from marketplace.plugins.breaker import BreakerBoard, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_consecutive_faults_only():
    breaker = CircuitBreaker(threshold=3, cooldown=30, clock=Clock())
    assert breaker.record_fault() is False
    assert breaker.record_fault() is False
    breaker.record_success()  # a success in between starts the count again
    assert breaker.record_fault() is False
    assert breaker.record_fault() is False
    assert breaker.state == BreakerState.CLOSED
    assert breaker.record_fault() is True
    assert breaker.state == BreakerState.OPEN


def test_open_breaker_refuses_with_the_time_left_until_its_trial():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_fault()
    breaker.incident = "abc123"
    clock.now += 10.2
    admission = breaker.admit()
    assert (admission.allowed, admission.retry_after, admission.incident) == (False, 20, "abc123")


def test_half_open_lets_one_trial_through_and_a_success_closes_it():
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=30, clock=clock)
    breaker.record_fault()
    breaker.record_fault()
    clock.now += 30
    assert breaker.state == BreakerState.HALF_OPEN
    assert breaker.admit().allowed
    assert not breaker.admit().allowed, "a second caller waits for the trial"
    breaker.record_success()
    assert breaker.state == BreakerState.CLOSED
    assert breaker.admit().allowed and breaker.admit().allowed


def test_failed_trial_opens_again_without_a_new_announcement():
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=30, clock=clock)
    breaker.record_fault()
    assert breaker.record_fault() is True
    clock.now += 31
    assert breaker.admit().allowed
    assert breaker.record_fault() is False, "only closed -> open tells the admins"
    assert breaker.state == BreakerState.OPEN
    assert breaker.admit().retry_after == 30


def test_released_trial_lets_another_call_be_the_trial():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.record_fault()
    clock.now += 5
    assert breaker.admit().allowed
    breaker.release()
    assert breaker.admit().allowed


def test_board_keeps_one_breaker_per_operation_and_follows_a_swapped_clock():
    board = BreakerBoard(threshold=1, cooldown=10)
    first = board.get("plugin", "a")
    assert board.get("plugin", "a") is first
    assert board.get("plugin", "b") is not first
    assert board.state("plugin", "never_called") == BreakerState.CLOSED
    clock = Clock()
    board.clock = clock
    first.record_fault()
    assert board.state("plugin", "a") == BreakerState.OPEN
    clock.now += 10
    assert board.state("plugin", "a") == BreakerState.HALF_OPEN
    assert board.state("plugin", "b") == BreakerState.CLOSED
