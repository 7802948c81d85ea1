"""``/api/v1/keys`` (a signed-in buyer's API keys; ``/api/v1/keys/sandbox`` a sandbox key to a
product's trial) and ``/api/v1/usage`` (gateway calls per
entitlement and day: the buyer's own, with the session or one of their keys; a merchant's
products' under ``/api/v1/usage/merchant``).

Keys are managed with the session cookie only (and the ``X-CSRFToken`` header on writes): a key
can never make, rotate or revoke keys. The secret of a new key is in the answer once.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, timedelta
from functools import wraps

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from marketplace.api.problems import PROBLEM_JSON, ProblemSchema, domain_error_problem
from marketplace.base import utcnow
from marketplace.catalog.queries import live_listing
from marketplace.db import get_session
from marketplace.delivery import keys, trials, usage
from marketplace.delivery.gateway import MAX_ID
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.models import ApiKey
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.settings import settings

keys_blp = Blueprint("keys", __name__, description=(
    "Your API keys for the delivery gateway: create (the key is shown once), rotate with an "
    "overlap, revoke; a sandbox key for the free trial calls a product offers on its sample. "
    "Managed with the signed-in session only."))
usage_blp = Blueprint("usage", __name__, description=(
    "Gateway calls per entitlement and day: yours (session or API key), or, for a merchant, "
    "those made to your organization's products."))
BLUEPRINTS = ((keys_blp, "/api/v1/keys"), (usage_blp, "/api/v1/usage"))
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}
SIGNED_IN = {"sessionCookie": []}
WRITES = frozenset({"post", "put", "patch", "delete"})

for _blueprint, _prefix in BLUEPRINTS:
    _blueprint.register_error_handler(DomainError, domain_error_problem)


class ApiKeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The visible start of the key."})
    entitlement_ids = fields.List(fields.Integer(), metadata={
        "description": "The entitlements the key covers; empty: all of yours, now and later."})
    allowed_networks = fields.List(fields.String(), metadata={
        "description": "Networks the key may be used from; empty: any."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={
        "description": "Last call with the key (to the minute)."})
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)
    sandbox = fields.Method("_is_sandbox", metadata={
        "description": "True for a sandbox key: the free trial calls of one product, on its "
                       "sample, through the gateway only."})

    @staticmethod
    def _is_sandbox(key) -> bool:
        trial = key.get("trial_id") if isinstance(key, dict) else key.trial_id
        return trial is not None


class NewApiKeySchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The whole key: shown this once only."})


class KeyArgsSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    entitlement_ids = fields.List(fields.Integer(strict=True), load_default=list,
                                  validate=validate.Length(max=100))
    allowed_networks = fields.List(fields.String(validate=validate.Length(max=60)),
                                   load_default=list, validate=validate.Length(max=20))
    expires_in_days = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=1, max=3660))


class SandboxKeyArgsSchema(Schema):
    product_id = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=1, max=MAX_ID), metadata={
                                    "description": "The product whose trial to try."})


class RotateArgsSchema(Schema):
    overlap_hours = fields.Integer(load_default=24, validate=validate.Range(min=0, max=168),
                                   metadata={"description": "How long the old key keeps "
                                                            "working (0 to 168 hours)."})


class UsageArgsSchema(Schema):
    start = fields.Date(load_default=None, metadata={
        "description": "First day (UTC): 29 days before the end by default, and at most 365 "
                       "days before it (an earlier start is moved up). After the end: no "
                       "day, an empty list."})
    end = fields.Date(load_default=None, metadata={"description": "Last day (UTC), today "
                                                                   "by default."})


class UsageRowSchema(Schema):
    product_id = fields.Integer()
    title = fields.String()
    day = fields.String()
    operation = fields.String()
    entitlement_id = fields.Integer(allow_none=True, metadata={
        "description": "The entitlement the calls were made under; null for sandbox calls."})
    kind = fields.String(metadata={"description": "call, overage beyond a membership's quota, "
                                                  "or sandbox (free trial calls on the sample, "
                                                  "never billed)"})
    calls = fields.Integer()


def asks(action: str):
    """Authorize ``action`` before flask-smorest parses the body or query, and document the
    method's security: the session cookie (and the CSRF header on writes) unless the method
    documents its own (usage also takes an API key)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if "key_id" in kwargs:
                key_id = kwargs.pop("key_id")
                key = get_session().get(ApiKey, key_id) if key_id <= MAX_ID else None
                if key is None:
                    abort(404, message=_("No API key has this id."))
                authorize(action, key)
                kwargs["key"] = key
            else:
                authorize(action)
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        if "security" not in manual:
            manual["security"] = [{**SIGNED_IN, "csrfToken": []} if view.__name__ in WRITES
                                  else SIGNED_IN]
        return wrapper

    return decorator


def _new_key_document(new: keys.NewKey) -> dict:
    return {**new.key.model_dump(), "key": new.token}


@keys_blp.route("")
class Keys(MethodView):
    @asks("api_key.list")
    @keys_blp.response(200, ApiKeySchema(many=True))
    @keys_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    def get(self):
        """List your API keys (never their secrets)."""
        return keys.for_buyer(get_session(), current_actor().id)

    @asks("api_key.create")
    @keys_blp.arguments(KeyArgsSchema)
    @keys_blp.response(201, NewApiKeySchema)
    @keys_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    def post(self, args):
        """Create an API key; the answer holds the whole key, once."""
        db = get_session()
        expires = (utcnow() + timedelta(days=args["expires_in_days"])
                   if args["expires_in_days"] else None)
        new = keys.create(db, settings().secret_key, current_actor().id, name=args["name"],
                          entitlement_ids=args["entitlement_ids"],
                          networks=args["allowed_networks"], expires_at=expires)
        db.commit()
        return _new_key_document(new)


@keys_blp.route("/sandbox")
class SandboxKey(MethodView):
    @asks("sandbox_key.create")
    @keys_blp.arguments(SandboxKeyArgsSchema)
    @keys_blp.response(201, NewApiKeySchema)
    @keys_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @keys_blp.alt_response(403, description="The product offers no trial.", **PROBLEM)
    @keys_blp.alt_response(404, description="No product on sale has this id.", **PROBLEM)
    @keys_blp.alt_response(409, description="You hold a usable sandbox key to this product "
                                            "(revoke it first), or its trial is used up.",
                           **PROBLEM)
    def post(self, args):
        """Get your sandbox key to a product's trial (shown once): its free calls on the
        sample, through the gateway. One usable sandbox key per product; no purchase needed."""
        db = get_session()
        listing = live_listing(db, args["product_id"])
        if listing is None:
            abort(404, message=_("No product on sale has this id."))
        authorize("sandbox_key.create", listing)
        new = trials.issue_key(db, settings().secret_key, current_actor().id, listing)
        db.commit()
        return _new_key_document(new)


@keys_blp.route("/<int:key_id>")
class KeyItem(MethodView):
    @asks("api_key.revoke")
    @keys_blp.response(204)
    @keys_blp.alt_response(404, description="No API key has this id.", **PROBLEM)
    def delete(self, key: ApiKey):
        """Revoke an API key: refused from the next call on."""
        db = get_session()
        keys.revoke(db, key, actor_id=current_actor().id)
        db.commit()


@keys_blp.route("/<int:key_id>/rotation")
class KeyRotation(MethodView):
    @asks("api_key.rotate")
    @keys_blp.arguments(RotateArgsSchema)
    @keys_blp.response(201, NewApiKeySchema)
    @keys_blp.alt_response(409, description="The key is revoked, expired or rotated.",
                           **PROBLEM)
    def post(self, args, key: ApiKey):
        """Rotate an API key: a new key now; the old one works for the overlap, then not."""
        db = get_session()
        new = keys.rotate(db, settings().secret_key, key,
                          overlap=timedelta(hours=args["overlap_hours"]),
                          actor_id=current_actor().id)
        db.commit()
        return _new_key_document(new)


def _span(args) -> tuple[date, date]:
    return usage.span(args["start"], args["end"], utcnow().date())


@usage_blp.route("")
class Usage(MethodView):
    @asks("usage.view")
    @usage_blp.doc(security=[{"apiKey": []}, {"sessionCookie": []}])
    @usage_blp.arguments(UsageArgsSchema, location="query")
    @usage_blp.response(200, UsageRowSchema(many=True))
    @usage_blp.alt_response(401, description="Neither signed in nor an API key.", **PROBLEM)
    def get(self, args):
        """Your gateway calls per entitlement, day, operation and kind.

        With an API key (which wins over a session cookie sent with it): the calls on the
        entitlements the key covers; with the signed-in session: all of yours.
        """
        actor = current_actor()
        start, end = _span(args)
        if isinstance(actor, KeyActor):
            return usage.for_buyer(get_session(), actor.buyer_id, start, end,
                                   actor.entitlement_ids or None)
        return usage.for_buyer(get_session(), actor.id, start, end)


@usage_blp.route("/merchant")
class MerchantUsage(MethodView):
    @asks("usage.merchant")
    @usage_blp.arguments(UsageArgsSchema, location="query")
    @usage_blp.response(200, UsageRowSchema(many=True))
    @usage_blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @usage_blp.alt_response(403, description="Not a merchant.", **PROBLEM)
    def get(self, args):
        """Gateway calls to your organization's products per entitlement and day."""
        start, end = _span(args)
        return usage.for_organization(get_session(), current_actor().organization_id, start,
                                      end)
