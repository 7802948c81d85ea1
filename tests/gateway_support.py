"""A world for the delivery gateway's tests: a merchant whose plugin ``gw_registry`` serves a
published listing, a buyer holding an entitlement to it, and API keys.

Purchases go through the real cart, checkout and ``record_charge`` (no payment provider).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.catalog.models import Listing
from marketplace.catalog.services import plans_for
from marketplace.commerce.orders import cart, fulfilment
from marketplace.delivery import entitlements, keys
from marketplace.delivery.models import Entitlement, QuotaCounter, UsageRecord
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from tests.factories import make_listing, make_organization, make_user, plans

PLUGINS = Path(__file__).resolve().parent / "functional" / "gateway_plugins"
MERCHANT_CODE = "91350100M000100Y43"
LOOKUP = "gw_registry.lookup"
BODY = {"credit_code": "91350100M000100Y43"}


@dataclass
class GatewayWorld:
    merchant: User
    org: MerchantOrganization
    admin: User
    buyer: User
    listing: Listing

    @property
    def product_id(self) -> int:
        return self.listing.product_id

    def url(self, operation: str = "lookup", plugin: str = "gw_registry") -> str:
        return f"/api/v1/gateway/{self.product_id}/{plugin}/{operation}"


def gateway_config(app_config: dict) -> dict:
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(PLUGINS),
            "PLUGIN_BREAKER_THRESHOLD": 100}


def make_world(app, db: Session, *, plan_models: tuple[str, ...] = ("per_call",),
               operations: tuple[str, ...] = (), **plan_overrides) -> GatewayWorld:
    org = make_organization(db)
    org.credit_code = MERCHANT_CODE
    db.add(org)
    db.commit()
    merchant = make_user(db, Role.MERCHANT, organization=org)
    admin = make_user(db, Role.ADMIN)
    get_runtime(app).sync()
    plugin_services.set_trusted(db, admin, plugin_services.find(db, "gw_registry"), True)
    db.commit()
    plan_dicts = [{**p, **plan_overrides} for p in plans(*plan_models)]
    listing = make_listing(db, merchant, org, state="published", admin=admin, plans=plan_dicts,
                           operation=LOOKUP, operations=list(operations))
    return GatewayWorld(merchant, org, admin, make_user(db), listing)


def buy(db: Session, world: GatewayWorld, buyer: User, *, model: str = "per_call",
        pack_calls: int | None = None, quota: int | None = None) -> Entitlement:
    """``buyer`` buys the listing's ``model`` plan and it is paid; the entitlement granted.

    ``quota``: a smaller pack than the store sells (the smallest is 1,000 calls), set on the
    entitlement after a 1,000-call pack is bought.
    """
    if quota is not None:
        pack_calls = 1000
    plan = next(p for p in plans_for(db, world.listing.id) if p.model == model)
    cart.add(db, buyer, plan.id, pack_calls=pack_calls)
    db.commit()
    order = cart.checkout(db, buyer, attempt=secrets.token_hex(8))
    db.commit()
    fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_{order.id}")
    db.commit()
    entitlement = entitlements.for_order(db, order.id)[0]
    if quota is not None:
        entitlement.quota = quota
        db.add(entitlement)
        db.commit()
    return entitlement


def new_key(db: Session, app, buyer: User, **options) -> str:
    made = keys.create(db, app.config["SECRET_KEY"], buyer.id, name="test", **options)
    db.commit()
    return made.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def metered(db: Session) -> tuple[int, int]:
    """(usage records, calls counted in every quota counter), read fresh."""
    db.rollback()
    records = db.exec(select(func.count()).select_from(UsageRecord)).one()
    counted = db.exec(select(func.coalesce(func.sum(QuotaCounter.used), 0))).one()
    return int(records), int(counted)
