"""The one authorization policy: ``can(actor, action, resource)``.

Every view and API route asks it, through :func:`authorize` or :func:`check`; a route that serves
without asking (and is not declared :func:`public`) is refused by the guard installed in
:func:`init_app`, so a forgotten check fails loudly instead of leaking. Tests walk the URL map to
make sure of it.

This module is only the mechanism. The rules belong to the domains that own the resources: each
domain registers its own in its ``rules`` module (``catalog/rules.py``: who may edit a listing),
with :func:`rule` or :func:`register`, and ``marketplace/rules.py`` is the one list of those
modules that :func:`marketplace.create_app` imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Actor(Protocol):
    """What the policy itself needs of a user (the accounts domain's ``User`` is one); the
    rules ask the rest."""

    is_active: bool


#: ``rule(actor, resource) -> bool``; ``actor`` is the signed-in user, or ``None`` when anonymous.
Rule = Callable[[Any, Any], bool]

#: action -> rule. Filled by the domains' ``rules`` modules (``marketplace/rules.py`` lists them);
#: the policy itself knows no domain.
RULES: dict[str, Rule] = {}


class UnknownAction(KeyError):
    """An action no domain registered a rule for (a typo, or a rules module nobody imported)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DuplicateRule(RuntimeError):
    """Two different rules registered for one action."""


def register(action: str, decide: Rule) -> Rule:
    """Make ``decide`` the rule of ``action``; each action has exactly one rule.

    Registering the same function again (a module imported twice) is harmless.

    :raises DuplicateRule: another rule already decides ``action``.
    """
    known = RULES.get(action)
    if known is not None and not _same_rule(known, decide):
        raise DuplicateRule(
            f"the action {action!r} is already decided by {_name(known)}; "
            f"{_name(decide)} cannot decide it too.")
    RULES[action] = decide
    return decide


def rule(*actions: str) -> Callable[[Rule], Rule]:
    """Decorator: register the function as the rule of every one of ``actions``."""
    if not actions:
        raise TypeError("policy.rule() needs at least one action, such as 'listing.edit'.")

    def decorate(function: Rule) -> Rule:
        for action in actions:
            register(action, function)
        return function

    return decorate


def _same_rule(known: Rule, new: Rule) -> bool:
    """The same function, or the same named function of a module imported again."""
    return known is new or ("<lambda>" not in _name(new) and _name(known) == _name(new))


def _name(function: Rule) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', function)}"


def rule_for(action: str) -> Rule:
    """The rule registered for ``action``.

    :raises UnknownAction: no domain registered one, so a typo can never grant access.
    """
    try:
        return RULES[action]
    except KeyError:
        raise UnknownAction(
            f"no authorization rule is registered for the action {action!r}; register one with "
            "policy.rule() in the owning domain's rules module (listed in "
            "marketplace/rules.py)") from None


def can(actor: Actor | None, action: str, resource: Any = None) -> bool:
    """Whether ``actor`` (``None`` when anonymous) may perform ``action`` on ``resource``.

    A deactivated user may do nothing, whatever the rule says.

    :raises UnknownAction: (a :class:`KeyError`) for an action no domain registered a rule for,
        so a typo cannot grant access.
    """
    decide = rule_for(action)
    if actor is not None and not actor.is_active:
        return False
    return bool(decide(actor, resource))


def current_actor() -> Any:
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def _record(action: str, allowed: bool) -> None:
    """Remember a check for the guard, if it was made by the view itself.

    Only checks made while the view function runs count (see :func:`init_app`): a
    ``before_request`` gate (the admin area's) decides for a whole blueprint and would otherwise
    hide a view that forgot its own check; those are kept apart in ``g.policy_gate_checks``.
    """
    key = "policy_checks" if g.get(_IN_VIEW) else "policy_gate_checks"
    g.setdefault(key, []).append((action, allowed))


def check(action: str, resource: Any = None) -> bool:
    """Ask the policy for the current user without aborting (for showing or hiding buttons)."""
    allowed = can(current_actor(), action, resource)
    _record(action, allowed)
    return allowed


def shown(action: str, resource: Any = None) -> bool:
    """What a template's ``can(...)`` asks: whether to show a button or a link.

    It is never recorded: hiding a link is not authorizing the reader of the page, so a view
    whose only check is in its template is still refused by the guard.
    """
    return can(current_actor(), action, resource)


def authorize(action: str, resource: Any = None) -> None:
    """Stop the request unless the current user may do ``action`` on ``resource``.

    Anonymous users are sent to log in (401); others get 403, or 404 for a listing they may not
    even know exists.
    """
    if check(action, resource):
        return
    if current_actor() is None:
        abort(401)
    if action == "listing.view":
        abort(404)
    abort(403)


def public(view: F) -> F:
    """Declare a view open to everyone; it need not consult the policy."""
    view.datamarket_public = True  # type: ignore[attr-defined]
    return view


PUBLIC_ENDPOINTS_KEY = "datamarket.public_endpoints"


def declare_public_endpoint(app: Flask, endpoint: str) -> None:
    """Declare an endpoint that we do not write ourselves (static files, OpenAPI) public."""
    app.extensions.setdefault(PUBLIC_ENDPOINTS_KEY, set()).add(endpoint)


class PolicyNotConsulted(RuntimeError):
    """A route answered without asking the authorization policy."""


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: a 404 or 405 that no view produced
    if endpoint in app.extensions.get(PUBLIC_ENDPOINTS_KEY, set()):
        return True
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, request.method.lower(), None)
        if getattr(method, "datamarket_public", False):
            return True
    return bool(getattr(view, "datamarket_public", False))


_IN_VIEW = "policy_in_view"
_VIEW_RAN = "policy_view_ran"


def _mark_view_code_path(app: Flask) -> None:
    """Flag, in ``g``, the time the view function itself runs (after every ``before_request``).

    ``Flask.full_dispatch_request`` calls ``self.dispatch_request()`` once the request has been
    preprocessed; wrapping it on this app is the one place that sees exactly the view's code
    path, whether the view is a function or a class-based (flask-smorest) method.
    """
    dispatch = app.dispatch_request

    def dispatch_request():
        g.policy_in_view = g.policy_view_ran = True
        try:
            return dispatch()
        finally:
            g.policy_in_view = False

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    _mark_view_code_path(app)

    @app.after_request
    def _require_policy(response):
        if response.status_code >= 400 or request.method == "OPTIONS":
            return response
        if g.get("policy_checks") or is_public_endpoint(current_app, request.endpoint):
            return response
        if not g.get(_VIEW_RAN):
            # The view never ran: a before_request answered (the admin gate's refusal, turned
            # into a redirect to log in); nothing of the view was served.
            return response
        raise PolicyNotConsulted(
            f"{request.method} {request.path} (endpoint {request.endpoint!r}) answered without "
            "consulting the authorization policy; call policy.authorize() or mark it @public."
        )
