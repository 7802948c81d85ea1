"""A data package for the download tests: a published listing whose dataset has decimals (to
carry the watermark), a sensitive column (to mask) and one a narrow scope leaves out, bought by
a buyer through the real cart and ``record_charge`` (no payment provider)."""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing
from marketplace.catalog.services import plans_for
from marketplace.commerce.orders import cart, fulfilment
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement
from marketplace.plugins import get_runtime
from tests.dataset_support import attach_dataset, csv_bytes
from tests.factories import listing_content, make_merchant, make_user, plans

DICTIONARY = [
    {"name": "customer_no", "type": "integer", "description": "Number", "sensitivity": "none"},
    {"name": "name", "type": "string", "description": "Name", "sensitivity": "none"},
    {"name": "city", "type": "string", "description": "City", "sensitivity": "none"},
    {"name": "balance", "type": "decimal", "description": "Balance", "sensitivity": "none"},
    {"name": "rate", "type": "decimal", "description": "Rate", "sensitivity": "none"},
]
CITIES = ["北京", "上海", "广州", "深圳", "杭州"]


def rows(count: int, seed: int = 3) -> list[list]:
    rng = random.Random(seed)
    return [["customer_no", "name", "city", "balance", "rate"]] + [
        [number, f"客户{number}", rng.choice(CITIES), f"{rng.uniform(10, 50000):.2f}",
         f"{rng.uniform(0.001, 0.2):.4f}"] for number in range(count)]


@dataclass
class PackageWorld:
    merchant: User
    admin: User
    buyer: User
    listing: Listing


def make_package(app, db: Session, *, row_count: int = 400) -> PackageWorld:
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    get_runtime(app).sync()
    listing = catalog.create_listing(db, merchant, org, listing_content(
        title="Customer balances", product_type="desensitized_dataset",
        delivery_form="data_package", data_dictionary=DICTIONARY,
        sample_rows=[{"customer_no": 1, "name": "客户1", "city": "北京", "balance": 1.5,
                      "rate": 0.01}], classification_level=1), plans("one_time"))
    db.commit()
    attach_dataset(db, merchant, listing, csv_bytes(rows(row_count)), "balances.csv")
    catalog.submit(db, merchant, listing)
    db.commit()
    catalog.decide(db, admin, listing, Transition.APPROVE, "")
    db.commit()
    return PackageWorld(merchant, admin, make_user(db), listing)


def buy(db: Session, world: PackageWorld, buyer: User) -> Entitlement:
    plan = next(p for p in plans_for(db, world.listing.id) if p.model == "one_time")
    cart.add(db, buyer, plan.id)
    db.commit()
    order = cart.checkout(db, buyer, attempt=secrets.token_hex(8))
    db.commit()
    fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_{order.id}")
    db.commit()
    return entitlements.for_order(db, order.id)[0]


def link_of(page: str) -> str:
    """The signed link a download page shows."""
    found = re.search(r'href="(/downloads/[^"]+)"', page)
    assert found, "the page shows no download link"
    return found.group(1)
