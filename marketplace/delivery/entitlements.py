"""Entitlements: what a buyer may use, granted from paid order lines.

Every change is audited. Plugins hear of grants and revocations through the
``entitlement_granted`` / ``entitlement_revoked`` events once the transaction commits
(:mod:`marketplace.delivery.announce`), never from inside it. Commerce grants them when an
order is paid; this package never imports commerce (its types only, for the reader).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.authorization import grants as authorization
from marketplace.authorization.models import ApplicationState, AuthorizationApplication
from marketplace.base import utcnow
from marketplace.catalog import listing_operations
from marketplace.catalog.models import BillingPeriod, DeliveryForm, Listing, PricingModel
from marketplace.delivery import announce
from marketplace.delivery.models import Entitlement, EntitlementState
from marketplace.delivery.scope import DATASET_REF, GrantedScope, OperationGrant, operation_ref
from marketplace.errors import InvalidTransition

if TYPE_CHECKING:  # commerce calls in with its order and line; delivery never imports commerce
    from marketplace.commerce.models import Order, OrderLine

E = EntitlementState
#: The reason an entitlement is suspended while a usage bill is unpaid (lifted when it is paid).
UNPAID_USAGE = "usage bill unpaid"
#: The reasons an entitlement is suspended for want of an approved authorization application
#: (a payment does not lift them; a revocation's reason follows the first).
APPLICATION_REVOKED = "authorization application revoked"
NO_APPLICATION = "no approved authorization application"
#: How long a one-time call pack stays usable.
CALL_PACK_VALIDITY = timedelta(days=365)

STATE_LABELS = {
    E.ACTIVE: _l("Active"),
    E.SUSPENDED: _l("Suspended"),
    E.REVOKED: _l("Revoked"),
    E.EXPIRED: _l("Expired"),
}

_MOVES = {
    E.ACTIVE: {E.SUSPENDED, E.REVOKED, E.EXPIRED},
    E.SUSPENDED: {E.ACTIVE, E.REVOKED, E.EXPIRED},
    E.REVOKED: set(),
    E.EXPIRED: set(),
}


def scope_for(session: Session, listing: Listing,
              application: AuthorizationApplication | None = None) -> dict[str, Any]:
    """The scope a purchase grants (:mod:`marketplace.delivery.scope`, as stored): every
    operation the listing sells, with every field and no masking; or, under an approved
    authorization ``application``, the operations both name, with the fields and masking the
    application approved."""
    refs = [operation_ref(plugin, name)
            for plugin, name in listing_operations.operations_of(session, listing)]
    if listing.delivery_form == DeliveryForm.DATA_PACKAGE:
        refs.append(DATASET_REF)
    if application is None:
        return GrantedScope.of(OperationGrant(ref) for ref in refs).to_json()
    approved = GrantedScope.from_json(application.approved_scope).operations
    return GrantedScope.of(approved[ref] for ref in refs if ref in approved).to_json()


def application_end(application: AuthorizationApplication) -> datetime:
    """When an application's period is over: the start of the day after its last (UTC)."""
    return datetime.combine(application.ends_on + timedelta(days=1), time(), tzinfo=UTC)


def period_end(start: datetime, billing_period: str | None) -> datetime:
    """The end of a membership period that starts at ``start`` (when the provider gives none).

    A calendar month or year later, as the provider's own periods are: the same day and time,
    or the last day of a shorter month (Jan 31 -> Feb 28 or 29; Feb 29 -> Feb 28 a year on).
    """
    months = 12 if billing_period == BillingPeriod.YEAR else 1
    year, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month0 + 1
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))


def grant(session: Session, order: Order, line: OrderLine, listing: Listing, *,
          quota: int | None, valid_to: datetime | None = None,
          overage_unit_price: int | None = None) -> Entitlement:
    """Grant the entitlement of a paid order line; granting the same line again returns it.

    For a product that needs an authorization application, the buyer's approved application
    gives the scope and caps the validity at the end of its period. Without one (revoked
    between checkout and payment), the entitlement is granted suspended and covers nothing.
    """
    if (existing := for_line(session, line.id)) is not None:
        return existing
    now = utcnow()
    is_call_pack = line.pricing_model in (PricingModel.ONE_TIME, PricingModel.PER_CALL) and quota
    if valid_to is None and is_call_pack:
        valid_to = now + CALL_PACK_VALIDITY
    application = None
    needs_application = authorization.required(listing)
    if needs_application:
        application = authorization.approved_application(session, order.buyer_id,
                                                         line.product_id)
    if application is not None:
        end = application_end(application)
        valid_to = end if valid_to is None else min(valid_to, end)
    entitlement = Entitlement(
        buyer_id=order.buyer_id, product_id=line.product_id, listing_id=line.listing_id,
        plan_id=line.plan_id, order_id=order.id, order_line_id=line.id,
        pricing_model=line.pricing_model, scope=scope_for(session, listing, application)
        if not needs_application or application is not None else GrantedScope().to_json(),
        application_id=application.id if application else None, valid_from=now,
        valid_to=valid_to, quota=quota,
        overage_unit_price=overage_unit_price if line.pricing_model == PricingModel.MEMBERSHIP
        else None,
    )
    if needs_application and application is None:
        entitlement.state = E.SUSPENDED
        entitlement.state_reason = NO_APPLICATION
    session.add(entitlement)
    session.flush()
    audit.record(session, actor_id=None, action="entitlement.grant", subject_type="entitlement",
                 subject_id=entitlement.id,
                 details={"order": order.number, "buyer_id": order.buyer_id,
                          "product_id": line.product_id, "plan": line.plan_name,
                          "quota": quota, "valid_to": valid_to,
                          "application_id": entitlement.application_id,
                          "state": entitlement.state})
    announce.entitlement_changed(session, entitlement, granted=True)
    return entitlement


def change_state(session: Session, entitlement: Entitlement, to: EntitlementState, *,
                 reason: str, actor_id: int | None = None) -> bool:
    """Move an entitlement to ``to``; False if it is already there.

    :raises InvalidTransition: a revoked or expired entitlement cannot come back.
    """
    before = EntitlementState(entitlement.state)
    if before == to:
        return False
    if to not in _MOVES[before]:
        raise InvalidTransition(_l("This entitlement is %(state)s and cannot change any more.",
                                   state=STATE_LABELS[before]))
    entitlement.state = to
    entitlement.state_reason = reason[:500]
    entitlement.updated_at = utcnow()
    session.add(entitlement)
    audit.record(session, actor_id=actor_id, action=f"entitlement.{to.value}",
                 subject_type="entitlement", subject_id=entitlement.id,
                 details={"from": before.value, "to": to.value, "reason": reason})
    announce.entitlement_changed(session, entitlement, granted=to == E.ACTIVE)
    return True


def extend(session: Session, entitlement: Entitlement, valid_to: datetime) -> None:
    """Push the end of an entitlement (a renewed membership) and reactivate it if suspended
    for an unpaid bill; never past the end of its authorization application's period."""
    if entitlement.application_id is not None:
        application = session.get(AuthorizationApplication, entitlement.application_id)
        valid_to = min(valid_to, application_end(application))
    if entitlement.valid_to is None or valid_to > entitlement.valid_to:
        audit.record(session, actor_id=None, action="entitlement.extend",
                     subject_type="entitlement", subject_id=entitlement.id,
                     details={"from": entitlement.valid_to, "to": valid_to})
        entitlement.valid_to = valid_to
        entitlement.updated_at = utcnow()
        session.add(entitlement)
    if entitlement.state == E.SUSPENDED and not entitlement.state_reason.startswith(
            (APPLICATION_REVOKED, NO_APPLICATION)):
        change_state(session, entitlement, E.ACTIVE, reason="payment received")


def follow_application(session: Session, application: AuthorizationApplication, *,
                       actor_id: int | None, reason: str = "") -> list[Entitlement]:
    """Bring the entitlements granted under ``application`` in line with its decision, in the
    caller's transaction: revoked suspends them, expired expires them, and a (narrower)
    approval rewrites their scope. The gateway reads the entitlement on every call, so the
    next call sees it. Returns the entitlements changed."""
    changed = []
    for entitlement in session.exec(select(Entitlement).where(
            Entitlement.application_id == application.id,
            col(Entitlement.state).in_([E.ACTIVE, E.SUSPENDED])).order_by(col(Entitlement.id))):
        if application.state == ApplicationState.REVOKED:
            moved = change_state(session, entitlement, E.SUSPENDED, actor_id=actor_id,
                                 reason=f"{APPLICATION_REVOKED}: {reason}".rstrip(": "))
        elif application.state == ApplicationState.EXPIRED:
            moved = change_state(session, entitlement, E.EXPIRED, actor_id=actor_id,
                                 reason="authorization period ended")
        elif application.state == ApplicationState.APPROVED:
            moved = _rescope(session, entitlement, application, actor_id)
        else:
            moved = False
        if moved:
            changed.append(entitlement)
    return changed


def _rescope(session: Session, entitlement: Entitlement, application: AuthorizationApplication,
             actor_id: int | None) -> bool:
    scope = scope_for(session, session.get(Listing, entitlement.listing_id), application)
    if scope == entitlement.scope:
        return False
    audit.record(session, actor_id=actor_id, action="entitlement.rescope",
                 subject_type="entitlement", subject_id=entitlement.id,
                 details={"application_id": application.id, "from": entitlement.scope,
                          "to": scope})
    entitlement.scope = scope
    entitlement.updated_at = utcnow()
    session.add(entitlement)
    return True


def for_line(session: Session, order_line_id: int) -> Entitlement | None:
    """The entitlement granted by one order line, if any."""
    return session.exec(select(Entitlement).where(
        Entitlement.order_line_id == order_line_id)).first()


def for_order(session: Session, order_id: int) -> list[Entitlement]:
    """The entitlements granted by an order."""
    return list(session.exec(select(Entitlement).where(Entitlement.order_id == order_id)
                             .order_by(col(Entitlement.id))))


def for_buyer(session: Session, buyer_id: int,
              state: EntitlementState | str | None = None) -> list[Entitlement]:
    """A buyer's entitlements, newest first (only those in ``state`` when given)."""
    query = select(Entitlement).where(Entitlement.buyer_id == buyer_id)
    if state:
        query = query.where(Entitlement.state == state)
    return list(session.exec(query.order_by(col(Entitlement.id).desc())))


def held(session: Session, buyer_id: int, product_id: int) -> list[Entitlement]:
    """The buyer's usable entitlements to one product, newest first: what "you own this"
    means on its page and in the cart."""
    found = session.exec(select(Entitlement).where(
        Entitlement.buyer_id == buyer_id, Entitlement.product_id == product_id,
        Entitlement.state == E.ACTIVE).order_by(col(Entitlement.id).desc()))
    now = utcnow()
    return [entitlement for entitlement in found if is_usable(entitlement, now)]


def expire_due(session: Session, now: datetime | None = None) -> int:
    """Expire active or suspended entitlements whose validity ended; how many."""
    now = now or utcnow()
    due = session.exec(select(Entitlement).where(
        col(Entitlement.state).in_([E.ACTIVE, E.SUSPENDED]),
        col(Entitlement.valid_to).is_not(None), col(Entitlement.valid_to) <= now)).all()
    for entitlement in due:
        change_state(session, entitlement, E.EXPIRED, reason="validity ended")
    return len(due)


def is_usable(entitlement: Entitlement, now: datetime | None = None) -> bool:
    """Active and in date (the delivery gateway also checks scope and quota)."""
    now = now or utcnow()
    return (entitlement.state == E.ACTIVE and entitlement.valid_from <= now
            and (entitlement.valid_to is None or now < entitlement.valid_to))
