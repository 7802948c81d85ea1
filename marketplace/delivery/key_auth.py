"""Requests made with an API key: who they are, and what they never touch.

A key is sent as ``Authorization: Bearer dmk_...`` or ``X-API-Key: dmk_...``. Such a request:

- is its key's :class:`~marketplace.delivery.keys.KeyActor` for the policy, on the endpoints
  that take keys (:data:`KEY_ENDPOINTS`);
- elsewhere reads what anyone may read (the catalog, public pages) and is refused everything
  else with a 401 problem naming the routes keys may call (:func:`refuse_outside_key_routes`),
  before the CSRF check: a program cannot act on "the CSRF token is missing", and a key can
  never open a private page, buy, or manage keys;
- never reads or writes the session cookie (:class:`KeyRequestSessions`): no session is loaded
  from it and no ``Set-Cookie`` is answered;
- needs no CSRF token: it carries no cookie to forge with (the gateway is exempt, the other
  key endpoints only read).
"""

from __future__ import annotations

from flask import Flask, Request, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from marketplace.accounts.auth import login_manager
from marketplace.db import get_session
from marketplace.delivery import keys
from marketplace.policy import is_public_endpoint
from marketplace.settings import settings
from marketplace.web.errors import problem_response

#: The endpoints where an API key identifies the caller.
KEY_ENDPOINTS = frozenset({"gateway.call", "usage.Usage"})
#: Methods that only read: a key request may make them to public routes.
READS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    if g.get("api_key_checking"):
        # Asked again from inside the check: a refusal's sentence needs the locale, whose
        # selector asks who the user is. Nobody, for that question (the language then comes
        # from Accept-Language, as a program's request should have it).
        return None
    g.api_key_checking = True
    try:
        check = keys.authenticate(get_session(), token, settings().secret_key, req.remote_addr)
    finally:
        g.api_key_checking = False
    g.api_key_check = check
    if check.actor is None:
        g.unauthorized_detail = check.refusal
    return check.actor


def key_routes(app: Flask) -> list[str]:
    """The routes an API key may call, as ``METHOD /path`` (from the URL map, so always
    what the app serves)."""
    return sorted(f"{method} {rule.rule}" for endpoint in KEY_ENDPOINTS
                  for rule in app.url_map.iter_rules(endpoint)
                  for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))


def refuse_outside_key_routes():
    """Answer a request carrying an API key that is neither for a key endpoint nor a public
    read: 401, saying that the route needs a signed-in session and what keys may call."""
    if presented_key(request) is None or request.endpoint in KEY_ENDPOINTS:
        return None
    if request.routing_exception is not None:
        return None  # no such route or method: its 404 or 405 says more
    if request.method in READS and is_public_endpoint(current_app, request.endpoint):
        return None
    response = problem_response(401, _(
        "This route needs a signed-in session (the website's cookie); API keys call only: "
        "%(routes)s.", routes="; ".join(key_routes(current_app))))
    response.headers["WWW-Authenticate"] = 'Bearer realm="Datamarket"'
    return response


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
    """Wire keys in; before the CSRF check (``web.init_app``), so that a key request is
    answered before it could be refused for a token it cannot have."""
    login_manager.request_loader(load_key_actor)
    app.session_interface = KeyRequestSessions()
    app.before_request(refuse_outside_key_routes)
