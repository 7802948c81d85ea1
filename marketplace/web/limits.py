"""Rate limits shared by every route that needs one (sign-in, sign-up, the delivery gateway).

Flask-Limiter counts hits in Redis when ``REDIS_URL`` is set, so every gunicorn worker and every
host agrees; without it (the embedded default) each server process counts in its own memory
(DESIGN.md §4). A route opts in with ``@limiter.limit(...)`` or ``limiter.limit(...)(view)``;
nothing is limited by default. A refusal is a 429 with ``Retry-After``, answered by
:mod:`marketplace.web.errors` like every other error.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)


def storage_uri(redis_url: str) -> str:
    """Where the counters live: the Redis of ``REDIS_URL``, else this process's memory."""
    return redis_url or "memory://"


def init_app(app: Flask, redis_url: str) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(redis_url))
    limiter.init_app(app)
