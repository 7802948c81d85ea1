"""Rate limits shared by every route that needs one (sign-in, sign-up, the delivery gateway).

Flask-Limiter counts hits in Redis when ``REDIS_URL`` is set, so every gunicorn worker and every
host agrees; without it (the embedded default) each server process counts in its own memory
(DESIGN.md §4). A route opts in with ``@limiter.limit(...)`` or ``limiter.limit(...)(view)``;
nothing is limited by default. A refusal is a 429 with ``Retry-After``, answered by
:mod:`marketplace.web.errors` like every other error.
"""

from __future__ import annotations

import threading
import time

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, with its expired counters swept at most once a second.

    The stock storage starts a thread that sweeps 10 ms later whenever no sweep is pending:
    under the gateway's steady load that is a new thread for nearly every call. A counter's
    expiry does not depend on the sweep (reading a counter drops it once expired); the sweep
    only keeps memory from growing with keys no longer used, which once a second does as well.
    """

    STORAGE_SCHEME = ["swept-memory"]
    #: seconds between two sweeps
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, **options):
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()
        super().__init__(uri, **options)

    # The stock storage calls this (a private name of limits' MemoryStorage) before each change.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        with self._sweep_lock:
            if now < self._next_sweep or self.timer.is_alive():
                return
            self._next_sweep = now + self.SWEEP_EVERY
            self.timer = threading.Timer(self.SWEEP_EVERY,
                                         self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def storage_uri(redis_url: str) -> str:
    """Where the counters live: the Redis of ``REDIS_URL``, else this process's memory."""
    return redis_url or "swept-memory://"


def init_app(app: Flask, redis_url: str) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(redis_url))
    limiter.init_app(app)
