"""Throttling of sign-in, sign-up, password change and password reset, per account and per
address, counted by Flask-Limiter's storage (:mod:`marketplace.web.limits`: Redis when
``REDIS_URL`` is set, so every process and host agrees).

A view asks :meth:`Throttle.wait` before doing the work and, when it answers a number of
seconds, refuses with a form error (or a problem document), status 429 and ``Retry-After``;
it calls :meth:`Throttle.hit` for each attempt that counts (a wrong password, not a
successful sign-in), so that a user who types correctly is never slowed down.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Response, make_response, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many

from marketplace.web.errors import problem_response, wants_problem_json
from marketplace.web.limits import limiter


@dataclass(frozen=True)
class Throttle:
    """Limits on one action, by account (an e-mail address or a user id) and by address."""

    name: str
    per_account: str
    per_address: str

    def _limits(self, account: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        address = request.remote_addr or "unknown"
        by_account = [(item, (self.name, "account", account))
                      for item in parse_many(self.per_account)]
        by_address = [(item, (self.name, "address", address))
                      for item in parse_many(self.per_address)]
        return by_account + by_address

    def wait(self, account: str) -> int | None:
        """Seconds to wait before trying again, or ``None`` when the attempt may go ahead."""
        strategy = limiter.limiter
        waits = [strategy.get_window_stats(item, *keys).reset_time - time.time()
                 for item, keys in self._limits(account) if not strategy.test(item, *keys)]
        return max(1, math.ceil(max(waits))) if waits else None

    def hit(self, account: str) -> None:
        """Count one attempt against the account and the address."""
        for item, keys in self._limits(account):
            limiter.limiter.hit(item, *keys)


SIGN_IN = Throttle("sign-in", per_account="5 per minute; 20 per hour",
                   per_address="20 per minute; 100 per hour")
SIGN_UP = Throttle("sign-up", per_account="3 per hour", per_address="20 per hour")
PASSWORD_CHANGE = Throttle("password-change", per_account="5 per 15 minutes",
                           per_address="20 per hour")
PASSWORD_RESET = Throttle("password-reset", per_account="3 per hour", per_address="20 per hour")


def too_many_attempts(seconds: int) -> str:
    """The sentence a refused user reads."""
    minutes = max(1, math.ceil(seconds / 60))
    return _("Too many attempts. Wait %(minutes)d minute(s) and try again.", minutes=minutes)


def refused(seconds: int, page: str | None = None) -> Response:
    """The 429 answer: ``page`` (the form again, the error shown) for a browser, a problem
    document for an API client or when there is no page; with ``Retry-After`` either way."""
    if page is None or wants_problem_json():
        response = problem_response(429, too_many_attempts(seconds))
    else:
        response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response
