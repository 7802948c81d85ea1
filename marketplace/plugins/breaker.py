"""Circuit breakers: pause an operation that keeps failing, then try it again after a cool-down.

One :class:`CircuitBreaker` per (plugin, operation), kept in memory by each server process:

- *closed*: calls go through; ``threshold`` consecutive faults open it;
- *open*: calls are refused until ``cooldown`` seconds have passed;
- *half-open*: one trial call goes through (others are still refused); a success closes the
  breaker, a fault opens it again for another cool-down.

The clock is injectable so that tests can move time instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Admission:
    """The answer to "may this call go through?"; ``retry_after`` is set when it may not."""

    allowed: bool
    retry_after: int = 0
    incident: str | None = None


class CircuitBreaker:
    """The breaker of one operation. Thread-safe."""

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float]):
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._faults = 0
        self._opened_at = 0.0
        self._trial_running = False
        #: The incident recorded when the breaker last opened, shown to refused callers.
        self.incident: str | None = None

    @property
    def state(self) -> BreakerState:
        """The state now: an open breaker whose cool-down is over reads as half-open."""
        with self._lock:
            return self._current_state()

    @property
    def consecutive_faults(self) -> int:
        return self._faults

    def status(self) -> tuple[BreakerState, int]:
        """The state now, and the seconds until an open breaker lets a trial call through
        (0 unless it is open)."""
        with self._lock:
            state = self._current_state()
            return state, self._retry_after() if state == BreakerState.OPEN else 0

    def _current_state(self) -> BreakerState:
        if (self._state == BreakerState.OPEN
                and self._clock() - self._opened_at >= self.cooldown):
            self._state = BreakerState.HALF_OPEN
            self._trial_running = False
        return self._state

    def _retry_after(self) -> int:
        remaining = self.cooldown - (self._clock() - self._opened_at)
        return max(1, math.ceil(remaining))

    def admit(self) -> Admission:
        """Whether a call may go through now; a half-open breaker admits one trial at a time."""
        with self._lock:
            state = self._current_state()
            if state == BreakerState.CLOSED:
                return Admission(True)
            if state == BreakerState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return Admission(True)
            retry_after = self._retry_after() if state == BreakerState.OPEN else 1
            return Admission(False, retry_after, self.incident)

    def record_success(self) -> None:
        """The call answered (or refused its input on purpose): the operation works."""
        with self._lock:
            self._state = BreakerState.CLOSED
            self._faults = 0
            self._trial_running = False

    def release(self) -> None:
        """An admitted call never reached the plugin: let another call be the trial."""
        with self._lock:
            self._trial_running = False

    def record_fault(self) -> bool:
        """The call faulted. Returns True when this fault opened the breaker from closed."""
        with self._lock:
            state = self._current_state()
            self._faults += 1
            if state == BreakerState.HALF_OPEN:
                # The trial failed: another cool-down, without telling the admins again.
                self._open()
                return False
            if state == BreakerState.CLOSED and self._faults >= self.threshold:
                self._open()
                return True
            return False

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_running = False


class BreakerBoard:
    """Every breaker of one runtime, made on first use with the same settings and clock."""

    def __init__(self, threshold: int, cooldown: float,
                 clock: Callable[[], float] = time.monotonic):
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, plugin: str, operation: str) -> CircuitBreaker:
        key = (plugin, operation)
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                # A lambda, so that a clock swapped in later (tests) reaches existing breakers.
                breaker = CircuitBreaker(self.threshold, self.cooldown, lambda: self.clock())
                self._breakers[key] = breaker
            return breaker

    def state(self, plugin: str, operation: str) -> BreakerState:
        """The state of a breaker, ``closed`` for one never used."""
        with self._lock:
            breaker = self._breakers.get((plugin, operation))
        return breaker.state if breaker is not None else BreakerState.CLOSED

    def status(self, plugin: str, operation: str) -> tuple[BreakerState, int]:
        """(state, seconds until a trial call) of a breaker; ``closed`` for one never used."""
        with self._lock:
            breaker = self._breakers.get((plugin, operation))
        return breaker.status() if breaker is not None else (BreakerState.CLOSED, 0)
