"""Requests made with an API key: who they are, and what they never touch.

A key is sent as ``Authorization: Bearer dmk_...`` or ``X-API-Key: dmk_...``. Such a request:

- is its key's :class:`~marketplace.delivery.keys.KeyActor` for the policy, on the endpoints
  that take keys (:data:`KEY_ENDPOINTS`); elsewhere it is anonymous, so a key can never open
  a page, buy, or manage keys;
- never reads or writes the session cookie (:class:`KeyRequestSessions`): no session is loaded
  from it and no ``Set-Cookie`` is answered;
- needs no CSRF token: the gateway is exempt, and the other key endpoints only read.
"""

from __future__ import annotations

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSessionInterface

from marketplace.accounts.auth import login_manager
from marketplace.db import get_session
from marketplace.delivery import keys
from marketplace.settings import settings

#: The endpoints where an API key identifies the caller.
KEY_ENDPOINTS = frozenset({"gateway.call", "usage.Usage"})


def presented_key(req: Request) -> str | None:
    """The key a request carries, if any."""
    header = req.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return req.headers.get("X-API-Key", "").strip() or None


def load_key_actor(req: Request) -> keys.KeyActor | None:
    """Flask-Login's request loader: the key's actor on a key endpoint, else nobody.

    The refusal (bad, revoked or expired key; address not allowed) is kept in
    ``g.api_key_check`` for the view to answer with.
    """
    token = presented_key(req)
    if token is None or req.endpoint not in KEY_ENDPOINTS:
        return None
    check = keys.authenticate(get_session(), token, settings().secret_key, req.remote_addr)
    g.api_key_check = check
    return check.actor


class KeyRequestSessions(SecureCookieSessionInterface):
    """The cookie session, except for requests that carry an API key: they get an empty
    session that is never saved."""

    def open_session(self, app: Flask, req: Request):
        if presented_key(req) is not None:
            return self.session_class()
        return super().open_session(app, req)

    def save_session(self, app: Flask, session, response) -> None:
        if presented_key(request) is not None:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    login_manager.request_loader(load_key_actor)
    app.session_interface = KeyRequestSessions()
