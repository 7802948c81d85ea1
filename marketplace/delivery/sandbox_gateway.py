"""Sandbox calls: a trial's free calls on the product's sample, through the same gateway.

``POST /api/v1/gateway/<product_id>/<plugin>/<operation>`` with a sandbox key takes this path
instead of an entitlement's (the gateway's view hands a sandbox key's call here):

1. the key's trial is of this product (403 otherwise), asked of the policy
   (``gateway.sandbox_call``);
2. the product's published listing offers a trial now (403 naming that it does not: the
   merchant turning the trial off stops the next call) and sells the operation (403/404);
3. the rate limit per key, as for every key;
4. the trial's count, reserved atomically like a quota (:func:`.quota.reserve_trial`): 429
   once the trial's calls are used, with the product page to buy it;
5. the real operation, with the listing's sample rows as the dataset ``sample`` (the only
   dataset given), the buyer's pseudonym, and a scope of the listing's operations;
6. the output policy with the listing's declared sensitivity: each field of the data
   dictionary that is personal, sensitive or confidential is masked with the strategy the
   product page's sample preview uses (fails closed like every call);
7. a usage record of kind ``sandbox`` (no entitlement: never billed, never counted against a
   quota), sealed into the audit chain in batches like every call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from datamarket_sdk import Dataset
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from marketplace.catalog.localized import title_for_page
from marketplace.catalog.models import Listing
from marketplace.catalog.preview import MASKING_BY_SENSITIVITY
from marketplace.catalog.queries import live_listing
from marketplace.delivery import announce, keys, output_policy, quota, trials, usage_audit
from marketplace.delivery.entitlements import scope_for
from marketplace.delivery.gateway import CallResult, GatewayRefusal, check_scope
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.models import SandboxTrial, UsageKind, UsageRecord
from marketplace.delivery.scope import GrantedScope, OperationGrant, operation_ref
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import InvocationError

#: The dataset a sandbox call's plugin reads the listing's sample rows from.
SAMPLE_DATASET = "sample"
_CELL = (str, int, float, bool, type(None))


def sample_dataset(listing: Listing) -> Dataset:
    """The listing's sample rows as a read-only dataset (cells that are not text, numbers,
    booleans or empty are passed as text)."""
    rows = [{name: value if isinstance(value, _CELL) else str(value)
             for name, value in row.items()} for row in listing.sample_rows
            if isinstance(row, dict)]
    return Dataset.from_dicts(SAMPLE_DATASET, rows)


def sandbox_grant(listing: Listing, ref: str) -> OperationGrant:
    """Every field of the operation, each field the data dictionary declares sensitive masked
    as the product page's sample is."""
    masking = {}
    for field in listing.data_dictionary:
        policy = MASKING_BY_SENSITIVITY.get(field.get("sensitivity") or "")
        if policy is not None and field.get("name"):
            masking[str(field["name"])] = policy["strategy"]
    return OperationGrant(ref, None, masking)


def _listing_offering(session: Session, actor: KeyActor, product_id: int,
                      may_use: Callable[[SandboxTrial], bool]) -> tuple[SandboxTrial, Listing]:
    trial = session.get(SandboxTrial, actor.trial_id)
    if trial is None or trial.product_id != product_id or not may_use(trial):
        raise GatewayRefusal(403, _l(
            "This is a sandbox key for product %(other)d only; it cannot call product "
            "%(product)d.", other=trial.product_id if trial else 0, product=product_id))
    listing = live_listing(session, product_id)
    if trials.offered(listing) == 0:
        raise GatewayRefusal(403, _l(
            "Product %(product)d offers no trial (any more): buy it on its page to call it.",
            product=product_id), product_url=f"/products/{product_id}")
    return trial, listing


def call(session: Session, actor: KeyActor, product_id: int, plugin: str, operation: str,
         payload: dict[str, Any], fields: list[str] | None, *,
         may_use: Callable[[SandboxTrial], bool], rate_limit: Callable[[KeyActor], None],
         audit_batch: int) -> CallResult:
    """Make one sandbox call (see the module's notes); a :class:`~.gateway.CallResult` of kind
    ``sandbox`` whose ``remaining`` is the trial calls left.

    :raises GatewayRefusal: refused before the plugin ran.
    :raises InvocationError: the plugin did not answer (the call is given back).
    """
    trial, listing = _listing_offering(session, actor, product_id, may_use)
    runtime = get_runtime()
    snapshot = runtime.installed.snapshot_of(plugin)
    info = runtime.operation(plugin, operation, snapshot=snapshot)  # 404 if unavailable
    ref = operation_ref(plugin, operation)
    scope_json = scope_for(session, listing)
    check_scope(scope_json, plugin, operation, fields, info.output_schema)  # the listing sells it
    rate_limit(actor)
    allowed = trials.offered(listing)
    reservation = quota.reserve_trial(session, trial.id, allowed)
    if reservation is None:
        raise GatewayRefusal(429, _l(
            "Your trial of “%(title)s” is over: its %(count)d free calls are used. Buy it on "
            "its page to go on calling it.", title=title_for_page(listing), count=allowed),
            quota_remaining=0, product_url=f"/products/{product_id}")
    buyer = announce.buyer_pseudonym(actor.buyer_id, listing.organization_id)
    sample = sample_dataset(listing)
    try:
        output = runtime.invoke(plugin, operation, payload, buyer=buyer,
                                scope=GrantedScope.from_json(scope_json).sdk_scope(),
                                datasets={SAMPLE_DATASET: sample}, snapshot=snapshot)
        output = output_policy.apply(output, sandbox_grant(listing, ref), runtime, buyer=buyer)
    except InvocationError:
        quota.release_trial(session, reservation)
        raise
    if fields:
        output = {name: value for name, value in output.items() if name in fields}
    request_id = uuid.uuid4().hex
    try:
        session.add(UsageRecord(trial_id=trial.id, operation=ref[:64], units=1,
                                request_id=request_id, api_key_id=actor.key_id,
                                kind=UsageKind.SANDBOX))
        keys.touch(session, actor.key_id, last_used_at=actor.last_used_at)
        session.commit()
    except Exception:
        session.rollback()  # the answer is not delivered, so the call is not counted
        quota.release_trial(session, reservation)
        raise
    if usage_audit.SEALER.call_made(audit_batch):
        usage_audit.seal(session)
        session.commit()
    return CallResult(output, request_id, None, UsageKind.SANDBOX, reservation.remaining)

