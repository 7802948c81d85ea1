"""The delivery gateway: the one path every API call to a bought product takes.

``POST /api/v1/gateway/<product_id>/<plugin>/<operation>`` with a JSON body, in this order
(each step refuses with its own status and a sentence the buyer can act on, and nothing
refused is counted or billed):

1. the API key (401; 403 from a network the key does not allow) — :mod:`.key_auth`;
2. the buyer's entitlement to the product, usable and covered by the key (404: none held;
   403: the key does not cover it, or it is expired, suspended or revoked);
3. the scope: the operation, and the fields asked for with ``?fields=a,b`` (403 naming what
   the entitlement lacks; 422 naming fields the operation's answer does not have);
4. the rate limit per key (429 with ``Retry-After``);
5. the quota, reserved atomically before the call (429 when spent) — :mod:`.quota`;
6. the plugin, given the datasets its listing version grants (its 404/422/502/503/504
   release the reservation);
7. the output policy (fields outside the scope dropped; masking) — :mod:`.output_policy`;
8. the usage record (with the request id) and, in batches, the audit chain — :mod:`.usage_audit`.

The view (:mod:`.gateway_views`) handles HTTP; this module knows no request. A sandbox key
(a buyer's free trial of one product) takes :mod:`.sandbox_gateway` instead, in the same order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from marketplace.base import utcnow
from marketplace.catalog.dataset_grants import settled_grants
from marketplace.catalog.models import DeliveryForm, Listing, PricingModel
from marketplace.delivery import announce, keys, output_policy, usage_audit
from marketplace.delivery.entitlements import STATE_LABELS, is_usable
from marketplace.delivery.input_keys import input_key
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.models import Entitlement, EntitlementState, UsageRecord
from marketplace.delivery.outcomes import verification_outcome
from marketplace.delivery.quota import DatabaseQuota, RedisQuota, Reservation
from marketplace.delivery.scope import GrantedScope, OperationGrant, operation_ref
from marketplace.errors import DomainError
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import InvocationError

#: The largest id a database integer holds; larger ids in a URL name nothing.
MAX_ID = 2**31 - 1


class GatewayRefusal(DomainError):
    """A call refused before it reached the plugin: its status and sentence."""

    def __init__(self, status: int, message: Any, *, retry_after: int | None = None,
                 **extra: Any):
        super().__init__(str(message))
        self.status_code = status
        self.retry_after = retry_after
        self.problem_extra = extra


@dataclass(frozen=True)
class CallResult:
    output: dict[str, Any]
    request_id: str
    #: The entitlement used (None: a sandbox call on a trial).
    entitlement_id: int | None
    kind: str
    #: Calls left within the quota (None: no quota).
    remaining: int | None


@dataclass(frozen=True)
class HeldEntitlement:
    """The entitlement a call uses, and what the call needs of its listing (one statement)."""

    entitlement: Entitlement
    organization_id: int
    delivery_form: str
    #: the state of the entitlement's listing version (what its grants may still do)
    listing_state: str


#: What :func:`find_entitlement` reads, built once (building it on every call cost about as much
#: as running it).
_HELD = (select(Entitlement, Listing.organization_id, Listing.delivery_form, Listing.state)
         .join(Listing, Listing.id == Entitlement.listing_id)
         .where(Entitlement.buyer_id == bindparam("buyer"),
                Entitlement.product_id == bindparam("product"))
         .order_by(col(Entitlement.id).desc()))
#: The usage record's INSERT, as a Core statement (the ORM's unit of work cost more than the
#: write itself on this path).
_INSERT_USAGE = UsageRecord.__table__.insert()


def find_entitlement(session: Session, actor: KeyActor, product_id: int,
                     may_use: Callable[[Entitlement], bool]) -> HeldEntitlement:
    """The key's buyer's usable entitlement to ``product_id`` (the newest, if several), with
    the organization selling it, the listing's delivery form and its state (read in the same
    statement).

    :param may_use: the policy's answer for one entitlement (``gateway.call``).
    :raises GatewayRefusal: 404 none held; 403 not covered by the key, or not usable (named).
    """
    rows = [] if product_id > MAX_ID else session.exec(
        _HELD, params={"buyer": actor.buyer_id, "product": product_id}).all()
    listing_of = {entitlement.id: listing for entitlement, *listing in rows}
    held = [entitlement for entitlement, *_listing in rows]
    if not held:
        raise GatewayRefusal(404, _l(
            "You hold no entitlement to product %(product)d: buy it on its page first.",
            product=product_id))
    covered = [e for e in held if may_use(e)]
    for entitlement in covered:
        if is_usable(entitlement):
            return HeldEntitlement(entitlement, *listing_of[entitlement.id])
    if not covered or any(is_usable(e) for e in held if e not in covered):
        raise GatewayRefusal(403, _l(
            "This API key does not cover your entitlement to product %(product)d: add it to "
            "the key under Account → API keys, or use another key.", product=product_id))
    entitlement = covered[0]
    state = EntitlementState(entitlement.state)
    if state == EntitlementState.ACTIVE:  # in the table as active, but out of its dates
        state = EntitlementState.EXPIRED
    message = _l("Your entitlement #%(id)d to this product is %(state)s and cannot be used.",
                 id=entitlement.id, state=str(STATE_LABELS[state]).lower())
    if entitlement.state_reason and state == EntitlementState.SUSPENDED:
        message = _l("Your entitlement #%(id)d to this product is suspended (%(reason)s) and "
                     "cannot be used until it is reinstated.", id=entitlement.id,
                     reason=entitlement.state_reason)
    raise GatewayRefusal(403, message, entitlement_state=state.value)


def check_scope(scope_json: dict[str, Any], plugin: str, operation: str,
                fields: list[str] | None, output_schema: dict[str, Any]) -> OperationGrant:
    """What a scope (an entitlement's, as stored) allows of this operation, with the fields
    asked for checked.

    :raises GatewayRefusal: 403 naming the operation or fields the scope lacks; 422 naming
        fields the operation's answer does not have.
    """
    scope = GrantedScope.from_json(scope_json)
    grant = scope.grant(plugin, operation)
    if grant is None:
        raise GatewayRefusal(403, _l(
            "Your entitlement does not cover the operation “%(operation)s”; it covers: "
            "%(covered)s.", operation=operation_ref(plugin, operation),
            covered=", ".join(sorted(scope.operations)) or "—"),
            missing_operation=operation_ref(plugin, operation))
    if fields:
        known = set((output_schema or {}).get("properties") or {})
        if unknown := [name for name in fields if name not in known]:
            raise GatewayRefusal(422, _l(
                "The answer of “%(operation)s” has no field %(fields)s.",
                operation=operation_ref(plugin, operation), fields=", ".join(unknown)),
                errors={"query": {"fields": [f"unknown field: {name}" for name in unknown]}})
        if outside := [name for name in fields if not grant.allows_field(name)]:
            raise GatewayRefusal(403, _l(
                "Your entitlement does not cover the field(s) %(fields)s of “%(operation)s”.",
                fields=", ".join(outside), operation=operation_ref(plugin, operation)),
                missing_fields=outside)
    return grant


def call(session: Session, actor: KeyActor, product_id: int, plugin: str, operation: str,
         payload: dict[str, Any], fields: list[str] | None, *,
         may_use: Callable[[Entitlement], bool], rate_limit: Callable[[KeyActor], None],
         quota: DatabaseQuota | RedisQuota, audit_batch: int,
         secret_key: str = "") -> CallResult:
    """Make one metered call through the gateway (see the module's notes for the order).

    :param secret_key: keys the digest of the input key kept for abnormal-use detection
        (:mod:`.input_keys`).

    :raises GatewayRefusal: refused before the plugin ran.
    :raises InvocationError: the plugin did not answer (nothing counted).
    """
    held = find_entitlement(session, actor, product_id, may_use)
    entitlement, organization_id = held.entitlement, held.organization_id
    runtime = get_runtime()
    snapshot = runtime.installed.snapshot_of(plugin)
    info = runtime.operation(plugin, operation, snapshot=snapshot)  # 404 if unavailable
    grant = check_scope(entitlement.scope, plugin, operation, fields, info.output_schema)
    rate_limit(actor)
    buyer = announce.buyer_pseudonym(entitlement.buyer_id, organization_id)
    sdk_scope = GrantedScope.from_json(entitlement.scope).sdk_scope()
    reservation = quota.reserve(session, entitlement)
    if reservation is None:
        # a membership's quota comes back with its next period; a pack's never does
        retry_after = (max(1, int((entitlement.valid_to - utcnow()).total_seconds()))
                       if reservation_period_ends(entitlement) else None)
        raise GatewayRefusal(429, _l(
            "The quota of entitlement #%(id)d is used up (%(quota)d calls); buy more calls or "
            "wait for your membership's next period.", id=entitlement.id,
            quota=entitlement.quota or 0), quota_remaining=0, retry_after=retry_after)
    try:
        output = runtime.invoke(plugin, operation, payload, buyer=buyer, scope=sdk_scope,
                                datasets=settled_grants().of(session, entitlement.listing_id,
                                                             held.listing_state),
                                snapshot=snapshot)
        output = output_policy.apply(output, grant, runtime, buyer=buyer)
    except InvocationError:
        quota.release(session, reservation)
        raise
    # what abnormal-use detection keeps of the call (the answer's outcome as the policy let it)
    traits = {"input_key": input_key(payload, secret_key),
              "outcome": (verification_outcome(output)
                          if held.delivery_form == DeliveryForm.VERIFICATION_API else None)}
    if fields:
        output = {name: value for name, value in output.items() if name in fields}
    try:
        result = _record(session, actor, entitlement, operation_ref(plugin, operation), output,
                         reservation, quota, traits)
    except Exception:
        session.rollback()  # the answer is not delivered, so the call is not counted
        quota.release(session, reservation)
        raise
    if usage_audit.SEALER.call_made(audit_batch):
        usage_audit.seal(session)
        session.commit()
    return result


def reservation_period_ends(entitlement: Entitlement) -> bool:
    """Whether a spent quota comes back: a membership's, at the end of its period."""
    return entitlement.pricing_model == PricingModel.MEMBERSHIP and entitlement.valid_to is not None


def _record(session: Session, actor: KeyActor, entitlement: Entitlement, ref: str,
            output: dict[str, Any], reservation: Reservation,
            quota: DatabaseQuota | RedisQuota, traits: dict[str, str | None]) -> CallResult:
    request_id = uuid.uuid4().hex
    session.execute(_INSERT_USAGE, {
        "entitlement_id": entitlement.id, "operation": ref[:64], "units": 1,
        "occurred_at": utcnow(), "request_id": request_id, "api_key_id": actor.key_id,
        "kind": reservation.kind, **traits})
    quota.confirm(session, reservation)
    keys.touch(session, actor.key_id, last_used_at=actor.last_used_at)
    session.commit()
    return CallResult(output, request_id, entitlement.id, reservation.kind,
                      reservation.remaining)
