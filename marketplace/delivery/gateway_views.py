"""``POST /api/v1/gateway/<product_id>/<plugin>/<operation>``: a metered call with an API key.

The body is the operation's input as a JSON object; ``?fields=a,b`` asks for only those fields
of the answer. A 200 carries ``X-Request-Id`` (also in the usage record) and, for an
entitlement with a quota, ``X-Quota-Remaining``; a call that is not an ordinary one says what
it is in ``X-Usage-Kind`` (``overage``, or ``sandbox`` for a sandbox key's trial call, whose
``X-Quota-Remaining`` is the trial calls left). Every refusal is ``application/problem+json``
(see :mod:`marketplace.delivery.gateway` for the order of the checks).
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from limits import parse

from marketplace.catalog.api_document import FIELD_NAME, MAX_FIELDS
from marketplace.db import get_session
from marketplace.delivery import gateway, sandbox_gateway
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.quota import store_for
from marketplace.errors import DomainError
from marketplace.policy import check, current_actor
from marketplace.settings import settings
from marketplace.web.errors import problem_response
from marketplace.web.limits import limiter

blp = Blueprint("gateway", __name__)
_FIELD = re.compile(rf"^{FIELD_NAME.pattern}$")


def _refused(error: DomainError):
    get_session().rollback()
    extra = getattr(error, "problem_extra", None) or {}
    response = problem_response(error.status_code, str(error), **extra)
    if retry_after := getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(retry_after)
    if extra.get("quota_remaining") is not None:
        response.headers["X-Quota-Remaining"] = str(extra["quota_remaining"])  # as on a 200
    return response


blp.register_error_handler(DomainError, _refused)


def _rate_limit(actor: KeyActor) -> None:
    """One hit on the key's rate limit (Flask-Limiter's storage: Redis when configured)."""
    limit = parse(settings().gateway_rate_limit)
    strategy = limiter.limiter
    if not strategy.hit(limit, "gateway", str(actor.key_id)):
        reset = strategy.get_window_stats(limit, "gateway", str(actor.key_id)).reset_time
        retry_after = max(1, int(reset - time.time()) + 1)
        raise gateway.GatewayRefusal(429, _(
            "This API key made more than %(limit)s calls; try again in %(seconds)d seconds.",
            limit=settings().gateway_rate_limit, seconds=retry_after), retry_after=retry_after)


def _requested_fields() -> list[str] | None:
    raw = request.args.get("fields")
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    bad = [name[:64] for name in names if not _FIELD.match(name)]
    if bad or not names or len(names) > MAX_FIELDS:
        raise gateway.GatewayRefusal(422, _(
            "List the fields you want as ?fields=name,score (letters, digits and _, at most "
            "%(count)d).", count=MAX_FIELDS), errors={"query": {"fields": bad or [raw[:64]]}})
    return list(dict.fromkeys(names))


@blp.route("/api/v1/gateway/<int:product_id>/<plugin>/<operation>", methods=["POST"])
def call(product_id: int, plugin: str, operation: str):
    """Call one operation of a bought product with an API key (metered)."""
    actor = current_actor()
    if not isinstance(actor, KeyActor):
        check("gateway.call")  # asked, and refused: the gateway takes keys only
        key_check = g.get("api_key_check")
        if key_check is not None:
            return problem_response(key_check.status, key_check.refusal)
        if actor is None:
            return problem_response(401, _(
                "Send your API key as “Authorization: Bearer <key>” (or the X-API-Key "
                "header); create one under Account → API keys."))
        return problem_response(403, _(
            "The gateway takes an API key, not a signed-in session; create one under "
            "Account → API keys."))
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        check("gateway.call")
        return problem_response(422, _(
            "Send the operation's input as a JSON object (Content-Type: application/json); "
            "{} for an operation without input."), errors={"json": {"_schema": [
                "a JSON object is required"]}})
    fields = _requested_fields()
    if actor.trial_id is not None:
        result = sandbox_gateway.call(
            get_session(), actor, product_id, plugin, operation, payload, fields,
            may_use=lambda trial: check("gateway.sandbox_call", trial), rate_limit=_rate_limit,
            audit_batch=settings().gateway_audit_batch)
    else:
        result = gateway.call(
            get_session(), actor, product_id, plugin, operation, payload, fields,
            may_use=lambda entitlement: check("gateway.call", entitlement),
            rate_limit=_rate_limit, quota=store_for(settings().redis_url),
            audit_batch=settings().gateway_audit_batch, secret_key=settings().secret_key)
    response = jsonify(result.output)
    response.headers["X-Request-Id"] = result.request_id
    if result.remaining is not None:
        response.headers["X-Quota-Remaining"] = str(result.remaining)
    if result.kind != "call":
        response.headers["X-Usage-Kind"] = result.kind
    return response

