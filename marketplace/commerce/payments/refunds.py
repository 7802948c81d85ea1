"""Refunds: asked by a merchant or an admin (their amount reserved under the order's lock before
the provider is called), reported by the provider (booked once, flagged when nobody asked), and
the automatic return of a duplicate charge."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce.models import (
    AttemptKind,
    AttemptState,
    Order,
    OrderLine,
    OrderState,
    PaymentAttempt,
    PaymentEvent,
    PaymentEventKind,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.payments import PaymentError, PaymentGateway, RefundInfo, alerts, attempts
from marketplace.commerce.payments.needs import membership_line, order_metadata
from marketplace.commerce.payments.subscriptions import subscription_for_line
from marketplace.errors import ValidationFailed
from marketplace.money import plain_amount

log = logging.getLogger(__name__)


def refund(session: Session, gateway: PaymentGateway, actor: User, order: Order, *,
           amount: int, reason: str, request_key: str, line: OrderLine | None = None) -> None:
    """Refund ``amount`` of a paid order (all of it revokes its entitlements), or of one of
    its ``line``s (bounded by what is left of that line; all of it revokes the line's).

    The amount is reserved under the order's lock before the provider is asked, so two refunds
    at the same moment (two tabs, two admins) cannot together return more than was paid.
    ``request_key`` comes from the refund form: submitting the same form twice refunds once.

    :raises ValidationFailed: the amount is not refundable, or no reason was given.
    :raises Conflict: this refund was already requested.
    :raises PaymentError: the provider refused it (the reservation is released).
    """
    if not reason.strip():
        raise ValidationFailed({"reason": [str(_l("Say why the order is refunded."))]})
    fulfilment.lock(session, order)
    fulfilment.check_refund(session, order, amount, line)
    charge = session.exec(select(PaymentEvent).where(
        PaymentEvent.order_id == order.id,
        PaymentEvent.kind == PaymentEventKind.CHARGE_SUCCEEDED)).first()
    attempt = attempts.claim_refund(session, order, amount=amount, key=f"refund:{request_key}",
                                    actor_id=actor.id, reason=reason.strip(),
                                    order_line_id=line.id if line is not None else None)
    session.add(PaymentEvent(order_id=order.id, kind=PaymentEventKind.REFUND_REQUESTED,
                             amount=amount, currency=order.currency,
                             provider_ref=f"refund-request:{request_key}", detail=reason[:500]))
    session.commit()
    info = _ask_provider(session, gateway, order, attempt, charge.provider_ref,
                         requested_by=actor.id)
    book_provider_refund(session, order, info)
    session.commit()
    if order.state == OrderState.REFUNDED:
        _stop_renewals(session, gateway, actor, order)


def _ask_provider(session: Session, gateway: PaymentGateway, order: Order,
                  attempt: PaymentAttempt, charge_ref: str, **metadata) -> RefundInfo:
    """Ask the provider for the refund ``attempt`` claimed, of the charge ``charge_ref``.

    :raises PaymentError: the provider refused; the claim is released (and committed) first.
    """
    try:
        return gateway.refund(payment_intent_id=_intent_of(gateway, charge_ref),
                              amount=attempt.amount,
                              metadata=order_metadata(order, attempt_id=attempt.id, **metadata),
                              idempotency_key=attempt.key)
    except PaymentError as exc:
        session.rollback()
        attempts.finish(session, attempt, AttemptState.FAILED, reason=str(exc))
        session.commit()
        raise


def _intent_of(gateway: PaymentGateway, provider_ref: str) -> str:
    """The payment intent behind a charge we recorded (an invoice is paid through one)."""
    if provider_ref.startswith("in_"):
        return gateway.retrieve_invoice(provider_ref).payment_intent_id
    return provider_ref


@dataclass(frozen=True)
class RefundOutcome:
    """What booking a provider refund did; ``flagged`` when the admins were told about it."""

    text: str
    flagged: bool = False


def book_provider_refund(session: Session, order: Order,
                         info: RefundInfo) -> RefundOutcome | None:
    """Record a refund the provider made for ``order`` (our own, reported by the refund call,
    the webhook or reconcile, or one made in the provider's dashboard), once.

    A refund of a duplicate charge returns that charge; any other is booked against what was
    paid. A refund nobody asked for here, or one beyond what was left to refund, is flagged to
    the admins. Returns what was done, or None if the refund was recorded already.
    """
    fulfilment.lock(session, order)
    if fulfilment.event_for(session, info.id) is not None:
        _finish_for(session, order, info, AttemptState.SUCCEEDED)
        return None
    attempt = _finish_for(session, order, info, AttemptState.SUCCEEDED)
    duplicate = fulfilment.duplicate_charge(
        session, order.id, info.metadata.get("duplicate_of") or info.payment_intent_id or "")
    if duplicate is not None:
        fulfilment.record_duplicate_refund(session, order, charge_ref=duplicate.provider_ref,
                                           amount=info.amount, provider_ref=info.id)
        alerts.duplicate_refunded(session, order, amount=info.amount,
                                  charge_ref=duplicate.provider_ref, refund_ref=info.id)
        return RefundOutcome(f"duplicate charge {duplicate.provider_ref} refunded")
    booked = fulfilment.record_refund(
        session, order, amount=info.amount, provider_ref=info.id,
        actor_id=attempt.actor_id if attempt else None,
        reason=attempt.reason if attempt else "refunded at the payment provider",
        line_id=attempt.order_line_id if attempt else None)
    if attempt is None:
        alerts.flag(session, order, str(_l(
            "the payment provider refunded %(amount)s that nobody asked for on this marketplace",
            amount=plain_amount(info.amount, order.currency, code=True))), refund=info.id)
    excess = info.amount if booked is None else booked.excess
    if excess > 0:
        alerts.flag(session, order, str(_l(
            "the payment provider refunded %(amount)s more than was left to refund",
            amount=plain_amount(excess, order.currency, code=True))), refund=info.id)
    if booked is None:
        return RefundOutcome("refund beyond what was paid; admins told", flagged=True)
    if attempt is None or excess > 0:
        return RefundOutcome("refund nobody asked for here recorded; admins told"
                             if attempt is None else "refund recorded; the excess told to admins",
                             flagged=True)
    return RefundOutcome("refund recorded")


def _finish_for(session: Session, order: Order, info: RefundInfo,
                state: AttemptState) -> PaymentAttempt | None:
    """The claim that asked for refund ``info`` (by its id, or the id in its metadata)."""
    attempt = attempts.for_provider_ref(session, info.id)
    if attempt is None and (attempt_id := info.metadata.get("attempt_id", "")).isdigit():
        attempt = session.get(PaymentAttempt, int(attempt_id))
    if attempt is None or attempt.order_id != order.id:
        return None
    if attempt.state == AttemptState.PENDING:
        attempts.finish(session, attempt, state, provider_ref=info.id)
    return attempt


def settle_duplicates(session: Session, gateway: PaymentGateway,
                      order_id: int | None = None) -> list[str]:
    """Refund every duplicate charge not yet refunded (of one order, or all), telling the buyer
    and the admins; one the provider will not refund is flagged instead. Safe to run from
    several processes at once: each refund is claimed first. Returns what was done."""
    done: list[str] = []
    for event in fulfilment.unrefunded_duplicates(session, order_id):
        order = session.get(Order, event.order_id)
        fulfilment.lock(session, order)
        claimed = [a for a in attempts.for_order(session, order.id)
                   if a.key.startswith(f"duplicate:{event.provider_ref}:")]
        if any(a.state != AttemptState.FAILED for a in claimed):
            session.rollback()  # being refunded by another process, or refunded already
            continue
        attempt = attempts.claim_refund(
            session, order, amount=event.amount, actor_id=None, kind=AttemptKind.DUPLICATE,
            key=f"duplicate:{event.provider_ref}:{len(claimed) + 1}", reason="duplicate charge")
        session.commit()
        try:
            info = _ask_provider(session, gateway, order, attempt, event.provider_ref,
                                 duplicate_of=event.provider_ref)
        except PaymentError as exc:
            alerts.flag(session, order, str(_l(
                "a duplicate charge of %(amount)s could not be refunded: %(error)s",
                amount=plain_amount(event.amount, order.currency, code=True), error=str(exc))),
                charge=event.provider_ref)
            session.commit()
            done.append(f"order {order.number}: duplicate charge {event.provider_ref} could "
                        f"not be refunded ({exc})")
            continue
        book_provider_refund(session, order, info)
        session.commit()
        done.append(f"order {order.number}: duplicate charge {event.provider_ref} refunded")
    return done


def _stop_renewals(session: Session, gateway: PaymentGateway, actor: User, order: Order) -> None:
    """A fully refunded membership (or renewal) must not bill again: cancel its provider
    subscription now. The refund stands if the provider cannot be reached; it is logged."""
    line = membership_line(session, order)
    if line is None:
        return
    subscription = subscription_for_line(session, line.plan_terms.get("renews_line_id") or line.id)
    if subscription is None or subscription.status == "canceled":
        return
    try:
        info = gateway.cancel_subscription_now(subscription.provider_id)
    except PaymentError:
        log.exception("order %s was refunded but its subscription %s could not be cancelled",
                      order.number, subscription.provider_id)
        return
    subscription.status, subscription.updated_at = info.status, utcnow()
    session.add(subscription)
    audit.record(session, actor_id=actor.id, action="subscription.cancel",
                 subject_type="subscription", subject_id=subscription.id,
                 details={"reason": "order refunded", "order": order.number})
    session.commit()
