"""Circuit breakers kept in Redis, so that every server process (gunicorn workers, hosts) agrees
on whether an operation is paused. Used instead of :mod:`~marketplace.plugins.breaker`'s
in-memory board when ``REDIS_URL`` is set; the rules are the same (closed, open for
``cooldown`` seconds after ``threshold`` consecutive faults, then one trial call at a time).

Per (plugin, operation), a hash ``datamarket:breaker:<plugin>:<operation>`` holds ``state``,
``faults``, ``opened_at`` and ``incident``, and a key ``...:trial`` (expiring, so a trial whose
process died frees its place) marks the half-open breaker's one trial. Each decision is one
Lua script, so two processes never both see the breaker closed and both become the trial.
Times come from the board's clock (wall time, the same on every host kept in sync; injectable
for tests). If Redis cannot be reached, calls are admitted and faults go uncounted (logged):
a breaker protects the platform from a failing plugin, it guards no data.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import redis

from marketplace.plugins.breaker import Admission, BreakerState

log = logging.getLogger(__name__)
PREFIX = "datamarket:breaker"

_ADMIT = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'closed' then return {1, 0, ''} end
local incident = redis.call('HGET', KEYS[1], 'incident') or ''
local now, cooldown = tonumber(ARGV[1]), tonumber(ARGV[2])
if state == 'open' then
  local remaining = cooldown - (now - tonumber(redis.call('HGET', KEYS[1], 'opened_at')))
  if remaining > 0 then return {0, math.max(1, math.ceil(remaining)), incident} end
  redis.call('HSET', KEYS[1], 'state', 'half_open')
  redis.call('DEL', KEYS[2])
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return {1, 0, ''} end
return {0, 1, incident}
"""

_FAULT = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'open' and tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'opened_at'))
    >= tonumber(ARGV[2]) then
  state = 'half_open'
end
local faults = redis.call('HINCRBY', KEYS[1], 'faults', 1)
if state == 'half_open' or (state == 'closed' and faults >= tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
  redis.call('DEL', KEYS[2])
  if state == 'closed' then return 1 end
end
return 0
"""


class SharedBreaker:
    """The breaker of one operation, in Redis; the same methods as
    :class:`~marketplace.plugins.breaker.CircuitBreaker`."""

    def __init__(self, board: SharedBreakerBoard, plugin: str, operation: str):
        self.board = board
        self.threshold = board.threshold
        self.cooldown = board.cooldown
        self.key = f"{PREFIX}:{plugin}:{operation}"
        self.trial_key = f"{self.key}:trial"

    def _now(self) -> str:
        return repr(float(self.board.clock()))

    @property
    def state(self) -> BreakerState:
        return self.status()[0]

    def status(self) -> tuple[BreakerState, int]:
        """The state now, and the seconds until an open breaker lets a trial call through."""
        try:
            state, opened_at = self.board.client.hmget(self.key, "state", "opened_at")
        except redis.RedisError:
            return BreakerState.CLOSED, 0
        state = (state or b"closed").decode()
        if state == BreakerState.OPEN:
            remaining = self.cooldown - (self.board.clock() - float(opened_at))
            if remaining <= 0:
                return BreakerState.HALF_OPEN, 0
            return BreakerState.OPEN, max(1, math.ceil(remaining))
        return BreakerState(state), 0

    @property
    def consecutive_faults(self) -> int:
        try:
            return int(self.board.client.hget(self.key, "faults") or 0)
        except redis.RedisError:
            return 0

    @property
    def incident(self) -> str | None:
        try:
            value = self.board.client.hget(self.key, "incident")
        except redis.RedisError:
            return None
        return value.decode() if value else None

    @incident.setter
    def incident(self, incident: str | None) -> None:
        try:
            self.board.client.hset(self.key, "incident", incident or "")
        except redis.RedisError:
            log.warning("breaker %s: the incident could not be kept in Redis", self.key)

    def admit(self) -> Admission:
        trial_ms = max(1000, math.ceil(self.cooldown * 1000))
        try:
            allowed, retry_after, incident = self.board.admit_script(
                keys=[self.key, self.trial_key], args=[self._now(), self.cooldown, trial_ms])
        except redis.RedisError as exc:
            log.warning("breaker %s: Redis unreachable (%s); the call is admitted", self.key,
                        exc)
            return Admission(True)
        if allowed:
            return Admission(True)
        return Admission(False, int(retry_after), incident.decode() or None)

    def record_success(self) -> None:
        self._quietly(lambda client: client.delete(self.key, self.trial_key))

    def release(self) -> None:
        self._quietly(lambda client: client.delete(self.trial_key))

    def record_fault(self) -> bool:
        try:
            return bool(self.board.fault_script(keys=[self.key, self.trial_key],
                                                args=[self._now(), self.cooldown,
                                                      self.threshold]))
        except redis.RedisError as exc:
            log.warning("breaker %s: Redis unreachable (%s); the fault is not counted",
                        self.key, exc)
            return False

    def _quietly(self, command: Callable[[redis.Redis], object]) -> None:
        try:
            command(self.board.client)
        except redis.RedisError as exc:
            log.warning("breaker %s: Redis unreachable (%s)", self.key, exc)


class SharedBreakerBoard:
    """Every breaker of one runtime, in the Redis at ``url``: the same interface as
    :class:`~marketplace.plugins.breaker.BreakerBoard`."""

    def __init__(self, url: str, threshold: int, cooldown: float,
                 clock: Callable[[], float] = time.time):
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.clock = clock
        self.admit_script = self.client.register_script(_ADMIT)
        self.fault_script = self.client.register_script(_FAULT)

    def get(self, plugin: str, operation: str) -> SharedBreaker:
        return SharedBreaker(self, plugin, operation)

    def state(self, plugin: str, operation: str) -> BreakerState:
        return self.get(plugin, operation).state

    def status(self, plugin: str, operation: str) -> tuple[BreakerState, int]:
        return self.get(plugin, operation).status()
