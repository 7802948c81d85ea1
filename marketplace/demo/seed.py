"""The demo data that ``datamarket seed-demo`` loads and ``make run`` loads on every start.

Everything goes through the real services (sign-up, organizations, listings, review), so the
demo has the same audit chain, notifications and invariants as real use. One fixed
``random.Random`` makes the data identical on every machine, and one transaction makes the seed
all or nothing. All people, companies and identifiers are synthetic (see
:mod:`marketplace.demo.synthetic`).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from marketplace.accounts import second_factor
from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization, User
from marketplace.authorization import grants
from marketplace.authorization import services as authorization
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.commerce.orders import cart, fulfilment
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey, Entitlement
from marketplace.demo import catalog_data, registry
from marketplace.demo.datasets import upload_demo_dataset
from marketplace.demo.samples import credit_code
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import OperationNotFound
from marketplace.settings import settings

DEMO_SEED = 20250630

# (role label, e-mail, password). Every password meets the services' 10-character minimum,
# so each account is created through ``accounts.services.sign_up`` like any other.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("Admin", "admin@example.com", "demo-admin"),
    ("Merchant", "merchant@example.com", "demo-merchant"),
    ("Merchant 2", "merchant2@example.com", "demo-merchant2"),
    ("Buyer", "buyer@example.com", "demo-buyer"),
    ("Buyer 2", "buyer2@example.com", "demo-buyer2"),
    ("Pending merchant", "pending-merchant@example.com", "demo-pending"),
]
_PASSWORDS = {email: password for _role, email, password in DEMO_LOGINS}
#: The demo admin's authenticator secret (base32): admins sign in with a second factor, and the
#: demo banner prints this and the current code. Public, like the demo passwords: demo only.
DEMO_ADMIN_TOTP_SECRET = "DATAMARKETDEMOADMINTOTPSECRET234"

# The accounts whose presence means the demo was already loaded.
_MARKER_EMAILS = ("admin@example.com", "merchant@example.com")

# The demo merchants, by the key catalog entries use. ``region`` places each company's credit
# code in the city its name says (3301 Hangzhou, 4403 Shenzhen, 5101 Chengdu).
ORGANIZATIONS: dict[str, dict[str, Any]] = {
    "primary": {
        "member": ("merchant@example.com", "王芳 Wang Fang"),
        "name": "杭州公共数据运营有限公司 Hangzhou Public Data Operations Co., Ltd.",
        "region": "3301",
        "description": "经授权运营浙江省公共数据，提供企业核验、社会治理与卫生统计类数据产品。 "
                       "An authorized operator of public data, offering enterprise "
                       "verification, social-governance and health-statistics products.",
        "verified": True,
    },
    "secondary": {
        "member": ("merchant2@example.com", "刘洋 Liu Yang"),
        "name": "深圳数衡风控科技有限公司 Shenzhen Shuheng Risk Technology Co., Ltd.",
        "region": "4403",
        "description": "专注风险模型、AI服务与数据治理工具的数商。 A data merchant building "
                       "risk models, AI services and data-governance tools.",
        "verified": True,
    },
    "pending": {
        "member": ("pending-merchant@example.com", "赵敏 Zhao Min"),
        "name": "成都蓉城数智科技有限公司 Chengdu Rongcheng Digital Technology Co., Ltd.",
        "region": "5101",
        "description": "城市交通与能源数据服务商。 Urban transport and energy data.",
        "verified": False,
    },
}

_BUYERS = (
    ("buyer@example.com", "陈静 Chen Jing (credit risk analyst)"),
    ("buyer2@example.com", "周磊 Zhou Lei (fleet safety manager)"),
)


def seed(session: Session) -> bool:
    """Load the demo accounts and catalog and commit; ``False`` if the demo is already there.

    When the demo is present nothing is written, not even an audit entry. Any failure rolls the
    whole seed back and is raised.
    """
    if any(accounts.find_user_by_email(session, email) for email in _MARKER_EMAILS):
        return False
    # Plugins are recorded before the seed's transaction starts writing: on SQLite, recording
    # them later, from the runtime's own session, would wait for the seed's lock.
    get_runtime().sync()
    try:
        _load(session, random.Random(DEMO_SEED))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


def _load(session: Session, rng: random.Random) -> None:
    admin = accounts.create_admin(session, email="admin@example.com",
                                  password=_PASSWORDS["admin@example.com"],
                                  display_name="平台管理员 Platform admin")
    second_factor.enrol_with_secret(session, admin, DEMO_ADMIN_TOTP_SECRET)
    merchants: dict[str, tuple[User, MerchantOrganization]] = {}
    for key, spec in ORGANIZATIONS.items():
        email, name = spec["member"]
        member = _sign_up(session, email, name)
        org = accounts.create_organization(
            session, member, name=spec["name"], credit_code=credit_code(rng, region=spec["region"]),
            contact_email=email, description=spec["description"],
        )
        if spec["verified"]:
            accounts.verify_organization(session, admin, org)
        merchants[key] = (member, org)
    buyers = {email: _sign_up(session, email, name) for email, name in _BUYERS}

    published: dict[str, Listing] = {}
    for entry in catalog_data.PRODUCTS:
        member, org = merchants[entry["merchant"]]
        listing = _create(session, rng, member, org, entry)
        if entry.get("grants"):
            registry.grant_datasets(session, member, org, listing, entry["grants"])
        catalog.submit(session, member, listing)
        # Approving a verified merchant's listing publishes it.
        catalog.decide(session, admin, listing, Transition.APPROVE)
        published[entry["key"]] = listing

    for entry in catalog_data.OTHER_LISTINGS:
        member, org = merchants[entry["merchant"]]
        listing = _create(session, rng, member, org, entry)
        _bring_to(session, admin, member, listing, ListingState(entry["state"]),
                  entry.get("reason", ""))

    _submit_new_version(session, published[catalog_data.NEW_VERSION["of"]])
    for spec in APPLICATIONS:
        listing = published[spec["product"]]
        application = authorization.apply(
            session, buyers[spec["buyer"]], listing, authorization.ApplicationInput(
                purpose=spec["purpose"], scenario=spec["scenario"],
                legal_basis=spec["legal_basis"], legal_basis_detail=spec["detail"],
                starts_on=grants.today(), ends_on=grants.today() + timedelta(days=364)))
        if spec["approved"]:
            member = next(m for m, org in merchants.values() if org.id == listing.organization_id)
            authorization.decide(session, member, application, "approve")
    _demo_purchase(session, published[DEMO_API["product"]])
    _demo_package_purchase(session, published[DEMO_PACKAGE])


#: Authorization applications for the level 3 traffic-violation query: the demo buyer's, approved
#: (so that it can be bought), and the second buyer's, waiting for the merchant's decision.
APPLICATIONS: list[dict[str, Any]] = [
    {"product": "traffic-violations", "buyer": "buyer@example.com", "approved": True,
     "purpose": "Check the violations of the vehicles that logistics borrowers pledge as "
                "collateral, before a loan decision.",
     "scenario": "Credit review of small logistics companies", "legal_basis": "consent",
     "detail": "The borrower's signed consent in the loan application, clause 7."},
    {"product": "traffic-violations", "buyer": "buyer2@example.com", "approved": False,
     "purpose": "Check our own fleet's violations every week and follow up with the drivers.",
     "scenario": "Fleet safety management", "legal_basis": "contract",
     "detail": "The vehicles are registered to our company; drivers' employment contracts."},
]


# The demo buyer's paid call pack and API key, so that ``make run`` shows a working gateway
# call. The key is fixed (a demo's, printed in the banner and the README), hashed under the
# app's secret like any other.
DEMO_API = {
    "product": "pii-scan",
    "buyer": "buyer@example.com",
    "key": "dmk_demo0001_DemoBuyerKey-works-only-on-the-demo-data",
    "operation": ("governance_tools", "pii_scan"),
    "body": '{"values": ["联系人手机 138 0013 8000", "no personal data here"]}',
}


def demo_curl(base_url: str, product_id: int) -> str:
    """The README's one-line gateway call with the demo key."""
    plugin, operation = DEMO_API["operation"]
    return (f"curl -X POST -H 'Authorization: Bearer {DEMO_API['key']}' "
            f"-H 'Content-Type: application/json' -d '{DEMO_API['body']}' "
            f"{base_url}/api/v1/gateway/{product_id}/{plugin}/{operation}")


def demo_product_id(session: Session) -> int | None:
    """The product the demo key calls, once the demo is loaded."""
    key = session.exec(select(ApiKey).where(ApiKey.prefix == DEMO_API["key"].split("_")[1])
                       ).first()
    if key is None:
        return None
    entitlement = session.exec(select(Entitlement).where(Entitlement.buyer_id == key.buyer_id)
                               .order_by(col(Entitlement.id))).first()
    return entitlement.product_id if entitlement else None


def _demo_purchase(session: Session, listing: Listing) -> None:
    buyer = accounts.find_user_by_email(session, DEMO_API["buyer"])
    plan = next(p for p in catalog.plans_for(session, listing.id) if p.model == "per_call")
    cart.add(session, buyer, plan.id, pack_calls=1000)
    order = cart.checkout(session, buyer, attempt="demo-seed")
    fulfilment.record_charge(session, order, amount=order.total, provider_ref="demo-seed")
    keys.create(session, settings().secret_key, buyer.id, name="Demo key",
                token=DEMO_API["key"])


#: The data package the demo buyer holds, so that ``make run`` shows a working download
#: (Account → Your entitlements → Download).
DEMO_PACKAGE = "epidemiology-statistics"


def _demo_package_purchase(session: Session, listing: Listing) -> None:
    buyer = accounts.find_user_by_email(session, DEMO_API["buyer"])
    plan = next(p for p in catalog.plans_for(session, listing.id) if p.model == "one_time")
    cart.add(session, buyer, plan.id)
    order = cart.checkout(session, buyer, attempt="demo-seed-package")
    fulfilment.record_charge(session, order, amount=order.total,
                             provider_ref="demo-seed-package")


def _sign_up(session: Session, email: str, name: str) -> User:
    return accounts.sign_up(session, email=email, password=_PASSWORDS[email], display_name=name,
                            confirmed=True)


def _create(session: Session, rng: random.Random, member: User, org: MerchantOrganization,
            entry: dict[str, Any]) -> Listing:
    content = {key: entry[key] for key in catalog_data.CONTENT_KEYS}
    content["sample_rows"] = entry["sample"](rng)
    content["trial_calls"] = entry.get("trial_calls", 0)
    if entry.get("operation") and _offered(entry["operation"]):
        content["operation"] = entry["operation"]
    listing = catalog.create_listing(session, member, org, content, entry["plans"])
    # Data packages on their way to review carry their dataset; the draft shows the editor
    # without one. Rows come from a generator of their own, so the rest of the demo stays as
    # it was.
    if entry["delivery_form"] == "data_package" and entry.get("state") != "draft":
        upload_demo_dataset(session, member, listing, entry["sample"],
                            random.Random(f"dataset-{entry['key']}"))
    return listing


def _offered(ref: str) -> bool:
    """Whether the plugin operation ``plugin.operation`` is installed and enabled here (the
    demo still loads, without the attachment, where plugins are switched off)."""
    plugin, _, name = ref.partition(".")
    try:
        get_runtime().operation(plugin, name)
    except OperationNotFound:
        return False
    return True


def _bring_to(session: Session, admin: User, member: User, listing: Listing,
              state: ListingState, reason: str) -> None:
    """Move a new draft to ``state`` the way a merchant and a reviewer would."""
    if state == ListingState.DRAFT:
        return
    catalog.submit(session, member, listing)
    decisions = {
        ListingState.REJECTED: Transition.REJECT,
        ListingState.CHANGES_REQUESTED: Transition.REQUEST_CHANGES,
    }
    if state in decisions:
        catalog.decide(session, admin, listing, decisions[state], reason)


def _submit_new_version(session: Session, live: Listing) -> None:
    """Start version 1.1 of a published product, change it and send it to review."""
    change = catalog_data.NEW_VERSION
    product = session.get(Product, live.product_id)
    member = session.get(User, product.created_by_id)
    draft = catalog.start_new_version(session, member, product)
    content = draft.model_dump(include={"version", *catalog_data.CONTENT_KEYS, "sample_rows"})
    content.update(summary=change["summary"], summary_en=change["summary_en"])
    content["description_md"] = change["changelog"] + live.description_md
    content["description_md_en"] = change["changelog_en"] + live.description_md_en
    content["data_dictionary"] = [*live.data_dictionary, change["added_field"]]
    content["sample_rows"] = [{**row, "removed_on": None} for row in live.sample_rows]
    catalog.update_listing(session, member, draft, content)
    catalog.submit(session, member, draft)
