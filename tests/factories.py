"""Factories for tests: real rows made through the real services, so invariants hold."""

from __future__ import annotations

import html
import itertools
import random
import secrets
import time
from typing import Any

import pyotp
from sqlmodel import Session

from marketplace.accounts import second_factor
from marketplace.accounts import services as accounts
from marketplace.accounts.models import (
    MerchantOrganization,
    OrganizationStatus,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
)
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import DeliveryForm, Listing, ListingState
from marketplace.db import get_engine, new_session
from marketplace.demo.synthetic import unified_social_credit_code

PASSWORD = "correct horse battery"
#: Every admin made here has this authenticator secret (base32), so tests can compute its codes.
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)
_rng = random.Random(20261127)


def make_user(session: Session, role: Role = Role.BUYER, *, name: str | None = None,
              organization: MerchantOrganization | None = None, locale: str = "en",
              confirmed: bool = True) -> User:
    """A user made through sign-up; its e-mail address is confirmed (so it may buy) unless
    ``confirmed`` is False."""
    n = next(_counter)
    user = accounts.sign_up(
        session,
        email=f"{name or role.value}{n}@example.com",
        password=PASSWORD,
        display_name=name or f"{role.value.title()} {n}",
        locale=locale,
        confirmed=confirmed,
    )
    if organization is not None:
        user.organization_id = organization.id
        session.add(user)
        session.flush()
    if role != Role.BUYER:
        accounts.set_role(session, None, user, role)
    if role == Role.ADMIN:
        second_factor.enrol_with_secret(session, user, ADMIN_TOTP_SECRET)
    session.commit()
    return user


def make_organization(session: Session, *, verified: bool = True,
                      name: str | None = None) -> MerchantOrganization:
    n = next(_counter)
    org = MerchantOrganization(
        name=name or f"Merchant Org {n}",
        credit_code=unified_social_credit_code(_rng),
        contact_email=f"org{n}@example.com",
        status=OrganizationStatus.VERIFIED if verified else OrganizationStatus.PENDING,
    )
    session.add(org)
    session.commit()
    return org


def make_merchant(session: Session, *, verified: bool = True) -> tuple[User, MerchantOrganization]:
    org = make_organization(session, verified=verified)
    return make_user(session, Role.MERCHANT, organization=org), org


def listing_content(**overrides: Any) -> dict[str, Any]:
    content = {
        "title": "Enterprise blacklist verification",
        "summary": "Check whether a company is on a regulator's blacklist.",
        "description_md": "# What it does\n\nAnswers **yes** or **no** for one company.",
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "finance",
        "tags": ["blacklist", "credit"],
        "classification_level": 2,
        "version": "1.0",
        "data_dictionary": [
            {"name": "credit_code", "type": "string", "description": "USCC",
             "sensitivity": "none"},
            {"name": "listed", "type": "boolean", "description": "On the blacklist",
             "sensitivity": "none"},
        ],
        "sample_rows": [{"credit_code": "91350100M000100Y43", "listed": False}],
    }
    content.update(overrides)
    return content


def plans(*models: str) -> list[dict[str, Any]]:
    examples = {
        "free": {"name": "Free", "model": "free"},
        "one_time": {"name": "Data package", "model": "one_time", "price": 99_00},
        "per_call": {"name": "Pay as you go", "model": "per_call", "free_allowance": 100,
                     "tiers": [{"up_to": 10_000, "unit_price": 50},
                               {"up_to": None, "unit_price": 30}]},
        "membership": {"name": "Monthly", "model": "membership", "price": 999_00,
                       "billing_period": "month", "included_calls": 50_000,
                       "overage_unit_price": 20},
        "service_fee": {"name": "Custom analysis", "model": "service_fee", "price": 5_000_00,
                        "description": "A scoped analysis job, quoted per request."},
    }
    return [dict(examples[m]) for m in (models or ("per_call",))]


_example_plans = plans


def make_listing(session: Session, merchant: User, org: MerchantOrganization, *,
                 state: ListingState = ListingState.DRAFT, admin: User | None = None,
                 plans: list[dict[str, Any]] | None = None, **content: Any) -> Listing:
    """A listing brought to ``state`` through the real lifecycle (an admin is made if needed);
    a data package past the draft gets a dataset matching its data dictionary.

    ``plans`` are its pricing plans as the editor gives them (default: per call and monthly).
    """
    listing = catalog.create_listing(
        session, merchant, org, listing_content(**content),
        plans if plans is not None else _example_plans("per_call", "membership"))
    session.commit()
    if state == ListingState.DRAFT:
        return listing
    if listing.delivery_form == DeliveryForm.DATA_PACKAGE:
        # A data package goes to review with its dataset: one matching its dictionary.
        from tests.dataset_support import attach_dataset

        attach_dataset(session, merchant, listing)
    catalog.submit(session, merchant, listing)
    session.commit()
    if state == ListingState.SUBMITTED:
        return listing
    admin = admin or make_user(session, Role.ADMIN)
    decision = {
        ListingState.REJECTED: (Transition.REJECT, "The sample is not desensitized."),
        ListingState.CHANGES_REQUESTED: (Transition.REQUEST_CHANGES, "Describe the fields."),
    }.get(state, (Transition.APPROVE, ""))
    catalog.decide(session, admin, listing, *decision)
    session.commit()
    if state in (ListingState.SUSPENDED, ListingState.RETIRED):
        if state == ListingState.SUSPENDED:
            catalog.suspend(session, admin, listing, "Under investigation.")
        else:
            catalog.retire(session, admin, listing)
        session.commit()
    assert listing.state == state, f"factory reached {listing.state}, not {state}"
    return listing


def log_in(client, user: User) -> None:
    """Sign ``user`` in on an existing test client; an admin also passes the second factor, with
    a code computed from its authenticator secret as the admin's app would show it."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    if response.headers["Location"] == "/login/second-factor":
        response = client.post("/login/second-factor",
                               data={"code": second_factor_code(client.application, user)})
        assert response.status_code == 302, "the second factor was refused"


def second_factor_code(app, user: User) -> str:
    """A code the admin's authenticator would accept now and that was not used yet.

    Each code is accepted once, and only those of the current 30-second step and its two
    neighbours are valid: a test signing the same admin in more often than that within one step
    gets a recovery code instead (made for it here, as the admin would have one on paper). The
    previous step's code is never chosen: on a loaded machine the step may roll over before the
    code is checked, and the previous step is then two steps old.
    """
    with new_session(get_engine(app)) as db:
        factor = db.get(SecondFactor, user.id)
        totp = pyotp.TOTP(factor.totp_secret)
        current = int(time.time() // totp.interval)
        for step in (current, current + 1):
            if step > factor.last_step:
                return totp.generate_otp(step)
        code = secrets.token_hex(5)
        db.add(RecoveryCode(user_id=user.id, code_hash=second_factor._hash(code)))
        db.commit()
        return code


def logged_in_client(app, user: User):
    """A new test client with ``user`` signed in."""
    client = app.test_client()
    log_in(client, user)
    return client


def forget(session: Session) -> None:
    """Make a test's session read again what requests changed in the database."""
    session.rollback()
    session.expire_all()


def page_text(response) -> str:
    """A page with HTML entities decoded, so that text typed by users compares as typed."""
    return html.unescape(response.get_data(as_text=True))
