"""Service fees: the buyer describes a job, the merchant quotes a price, the buyer accepts and
pays it through the cart like any other plan."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.accounts.services import members
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState, PricingModel, PricingPlan
from marketplace.commerce.models import QuoteState, ServiceQuote
from marketplace.errors import InvalidTransition, ValidationFailed
from marketplace.notifications.services import notify

MAX_QUOTE = 999_999_999  # 9,999,999.99 yuan in fen, the most the quote form accepts
MAX_CALLS = 100_000_000
MAX_VALID_DAYS = 1_095  # three years


def request_quote(session: Session, buyer: User, plan: PricingPlan, text: str) -> ServiceQuote:
    """The buyer asks for a quote under a service-fee plan; the merchant's members are told."""
    listing = session.get(Listing, plan.listing_id)
    if plan.model != PricingModel.SERVICE_FEE or listing is None \
            or listing.state != ListingState.PUBLISHED:
        raise ValidationFailed({"plan": [str(_l("Quotes are requested for a service fee on a "
                                                "product on sale."))]})
    text = text.strip()
    if len(text) < 20:
        raise ValidationFailed({"request": [str(_l(
            "Describe the job in at least 20 characters: data, scope and deadline."))]})
    quote = ServiceQuote(buyer_id=buyer.id, listing_id=listing.id, plan_id=plan.id,
                         organization_id=listing.organization_id, request=text[:5000])
    session.add(quote)
    session.flush()
    audit.record(session, actor_id=buyer.id, action="quote.request", subject_type="quote",
                 subject_id=quote.id, details={"listing_id": listing.id})
    notify(session, members(session, listing.organization_id), "quote.requested",
           {"title": listing.title, "title_en": listing.title_en}, link="/merchant/quotes")
    return quote


def send_quote(session: Session, merchant: User, quote: ServiceQuote, *, amount: int,
               calls: int | None, valid_days: int | None, note: str) -> None:
    """The merchant answers with a price (at least the plan's starting price) and what it buys:
    the calls included and the days they stay usable from payment, which the entitlement gets.
    """
    if quote.state not in (QuoteState.REQUESTED, QuoteState.QUOTED):
        raise InvalidTransition(_l("This quote can no longer be changed."))
    plan = session.get(PricingPlan, quote.plan_id)
    errors: dict[str, list[str]] = {}
    if amount < (plan.price if plan else 0) or amount > MAX_QUOTE:
        errors["amount"] = [str(_l(
            "Quote at least the plan's starting price and at most 9,999,999.99."))]
    if calls is None or not 1 <= calls <= MAX_CALLS:
        errors["calls"] = [str(_l("Say how many calls the price includes (1 to %(most)s).",
                                  most=f"{MAX_CALLS:,}"))]
    if valid_days is None or not 1 <= valid_days <= MAX_VALID_DAYS:
        errors["valid_days"] = [str(_l(
            "Say for how many days after payment the calls can be used (1 to %(most)d).",
            most=MAX_VALID_DAYS))]
    if errors:
        raise ValidationFailed(errors)
    quote.amount, quote.merchant_note = amount, note.strip()[:5000]
    quote.calls, quote.valid_days = calls, valid_days
    quote.state, quote.updated_at = QuoteState.QUOTED, utcnow()
    session.add(quote)
    audit.record(session, actor_id=merchant.id, action="quote.send", subject_type="quote",
                 subject_id=quote.id,
                 details={"amount": amount, "calls": calls, "valid_days": valid_days})
    listing = session.get(Listing, quote.listing_id)
    notify(session, [session.get(User, quote.buyer_id)], "quote.sent",
           {"title": listing.title if listing else "",
            "title_en": listing.title_en if listing else ""}, link="/account/quotes")


def decline(session: Session, actor: User, quote: ServiceQuote) -> None:
    """The merchant declines the request, or the buyer withdraws it."""
    if quote.state not in (QuoteState.REQUESTED, QuoteState.QUOTED):
        raise InvalidTransition(_l("This quote can no longer be changed."))
    quote.state = QuoteState.WITHDRAWN if actor.id == quote.buyer_id else QuoteState.DECLINED
    quote.updated_at = utcnow()
    session.add(quote)
    audit.record(session, actor_id=actor.id, action=f"quote.{quote.state}",
                 subject_type="quote", subject_id=quote.id)


def for_buyer(session: Session, buyer_id: int) -> list[ServiceQuote]:
    return list(session.exec(select(ServiceQuote).where(ServiceQuote.buyer_id == buyer_id)
                             .order_by(col(ServiceQuote.id).desc())))


def for_organization(session: Session, organization_id: int) -> list[ServiceQuote]:
    return list(session.exec(select(ServiceQuote).where(
        ServiceQuote.organization_id == organization_id).order_by(col(ServiceQuote.id).desc())))
