"""Shared by the authorization application tests: a level 3 (or 4) product selling two of the
platform's operations, and an application through the real services."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.authorization import grants, services
from marketplace.authorization.models import AuthorizationApplication
from marketplace.catalog.models import Listing, PricingPlan
from tests.commerce_factories import Shop, make_plan, published_listing_with

SCORE = "ai_models.credit_risk_score"
SCAN = "governance_tools.pii_scan"


def authorized_product(db: Session, shop: Shop, *, level: int = 3,
                       **content) -> tuple[Listing, PricingPlan]:
    """A published product of ``shop`` at ``level`` selling SCORE then SCAN, for free."""
    listing, (plan,) = published_listing_with(
        db, shop, make_plan("free"), classification_level=level, operation=SCORE,
        operations=[SCAN], **content)
    return listing, plan


def apply_for(db: Session, buyer: User, listing: Listing, *, days: int = 90,
              operations: dict | None = None) -> AuthorizationApplication:
    """The buyer's application for SCORE (both fields) and SCAN, from today; committed."""
    application = services.apply(db, buyer, listing, services.ApplicationInput(
        purpose="Screen new suppliers before granting trade credit.",
        scenario="Supplier onboarding", legal_basis="contract",
        operations=operations if operations is not None else {SCORE: None, SCAN: None},
        starts_on=grants.today(), ends_on=grants.today() + timedelta(days=days)))
    db.commit()
    return application


def audit_actions(db: Session, subject_type: str, subject_id: int) -> list[str]:
    return list(db.exec(select(AuditEntry.action).where(
        AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id))
        .order_by(col(AuditEntry.seq))))
