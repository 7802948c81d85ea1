"""A buyer's refund request on an order line, decided by the line's merchant (or by an admin
once three working days have passed without a decision).

An approved request is refunded through :func:`commerce.payments.refunds.refund`, the same path
as a merchant's or an admin's refund (claim under the order's lock, provider, ledger, revocation
of the line's entitlement when the line is refunded in full). Every step is audited and the
other party is notified (in the app and by e-mail, through the outbox).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.accounts.services import admins, members
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce.buyer_requests.models import RefundRequest, RefundRequestState
from marketplace.commerce.buyer_requests.working_days import MERCHANT_DAYS, admin_may_decide_from
from marketplace.commerce.models import Order, OrderLine, OrderState
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.payments import PaymentError, PaymentGateway
from marketplace.commerce.payments.refunds import refund
from marketplace.errors import Conflict, ValidationFailed
from marketplace.money import plain_amount
from marketplace.notifications.services import notify

#: Orders whose lines can be asked back: paid, and not refunded in full.
REFUNDABLE_STATES = (OrderState.PAID, OrderState.FULFILLED, OrderState.PARTLY_REFUNDED)
MAX_REASON = 2000


def _reason(text: str | None, field: str, message) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationFailed({field: [str(message)]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({field: [str(_l("Keep the reason under %(n)d characters.",
                                               n=MAX_REASON))]})
    return reason


def open_request(session: Session, line_id: int) -> RefundRequest | None:
    """The line's open refund request, if any."""
    return session.exec(select(RefundRequest).where(
        RefundRequest.order_line_id == line_id,
        RefundRequest.state == RefundRequestState.OPEN)).first()


def request_refund(session: Session, buyer: User, order: Order, line: OrderLine, *,
                   amount: int, reason: str) -> RefundRequest:
    """The buyer asks for ``amount`` of ``line`` back, saying why (caller commits).

    :raises ValidationFailed: no reason, or an amount that is not positive or more than is left
        to refund on the line.
    :raises Conflict: the order is not paid, or the line has an open request already.
    """
    reason = _reason(reason, "reason", _l("Say why you ask for a refund."))
    if line.order_id != order.id:
        raise ValidationFailed({"line": [str(_l("This line is not part of the order."))]})
    fulfilment.lock(session, order)
    if order.state not in REFUNDABLE_STATES:
        raise Conflict(_l("Only a paid order can be refunded."))
    left = fulfilment.line_refundable(session, order, line)
    if left <= 0:
        raise ValidationFailed({"amount": [str(_l("Nothing is left to refund on this line."))]})
    fulfilment.check_refund(session, order, amount, line)
    if open_request(session, line.id) is not None:
        raise Conflict(_l("A refund request for this line is already open; the merchant "
                          "decides it first."))
    request = RefundRequest(order_id=order.id, order_line_id=line.id, open_line_id=line.id,
                            buyer_id=buyer.id, organization_id=line.organization_id,
                            amount=amount, currency=order.currency, reason=reason)
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        raise Conflict(_l("A refund request for this line is already open; the merchant "
                          "decides it first.")) from None
    audit.record(session, actor_id=buyer.id, action="refund_request.create",
                 subject_type="refund_request", subject_id=request.id,
                 details={"order": order.number, "line": line.id, "amount": amount,
                          "reason": reason[:500]})
    notify(session, members(session, line.organization_id), "refund_request.created",
           _params(order, line, request, amount), link="/merchant/refund-requests")
    return request


def _params(order: Order, line: OrderLine, request: RefundRequest, amount: int) -> dict:
    return {"id": request.id, "number": order.number, "title": line.title,
            "title_en": line.title_en, "amount": plain_amount(amount, order.currency, code=True)}


def _decided(session: Session, actor: User, request: RefundRequest) -> tuple[Order, OrderLine]:
    """Lock the request's order and check the request is still open."""
    order = session.get(Order, request.order_id)
    fulfilment.lock(session, order)
    session.refresh(request)
    if request.state != RefundRequestState.OPEN:
        raise Conflict(_l("This refund request was decided already."))
    request.decided_by, request.decided_at = actor.id, utcnow()
    return order, session.get(OrderLine, request.order_line_id)


def _tell(session: Session, actor: User, order: Order, line: OrderLine,
          request: RefundRequest, kind: str, **params) -> None:
    """The buyer hears of the decision; the merchant too when an admin took it."""
    people = [session.get(User, request.buyer_id)]
    if not actor.is_merchant:
        people += members(session, request.organization_id)
    notify(session, people, kind,
           {**_params(order, line, request, request.approved_amount or request.amount),
            **params}, link=f"/orders/{order.number}")


def approve(session: Session, gateway: PaymentGateway, actor: User, request: RefundRequest, *,
            amount: int | None = None, note: str = "") -> RefundRequest:
    """Approve the request for ``amount`` (the amount asked, or less) and refund it now.

    The request is marked approved in the transaction that claims the refund, so a second
    decision (two tabs, the merchant and an admin) is refused before the provider is asked.

    :raises ValidationFailed: the amount is above what was asked or left to refund.
    :raises Conflict: the request was decided already.
    :raises PaymentError: the provider refused; the request is open again.
    """
    order, line = _decided(session, actor, request)
    amount = request.amount if amount is None else amount
    if amount > request.amount:
        raise ValidationFailed({"amount": [str(_l(
            "The buyer asked for %(amount)s; approve that much or less.",
            amount=plain_amount(request.amount, request.currency, code=True)))]})
    request.state, request.approved_amount = RefundRequestState.APPROVED, amount
    request.decision_reason = (note or "").strip()[:MAX_REASON]
    session.add(request)
    audit.record(session, actor_id=actor.id, action="refund_request.approve",
                 subject_type="refund_request", subject_id=request.id,
                 details={"order": order.number, "line": line.id, "amount": amount})
    try:
        refund(session, gateway, actor, order, amount=amount, line=line,
               reason=f"refund request {request.id}: {request.reason}"[:500],
               request_key=f"request-{request.id}-{secrets.token_hex(6)}")
    except PaymentError as exc:
        _reopen(session, actor, request, str(exc))
        raise
    request.open_line_id = None
    session.add(request)
    _tell(session, actor, order, line, request, "refund_request.approved")
    return request


def _reopen(session: Session, actor: User, request: RefundRequest, error: str) -> None:
    """The provider refused an approved request's refund: it is open again, and audited."""
    session.refresh(request)
    request.state, request.approved_amount = RefundRequestState.OPEN, None
    request.decided_by = request.decided_at = None
    session.add(request)
    audit.record(session, actor_id=actor.id, action="refund_request.refund_failed",
                 subject_type="refund_request", subject_id=request.id,
                 details={"error": error[:500]})
    session.commit()


def reject(session: Session, actor: User, request: RefundRequest, *,
           reason: str) -> RefundRequest:
    """Refuse the request, saying why (caller commits).

    :raises ValidationFailed: no reason given.
    :raises Conflict: the request was decided already.
    """
    reason = _reason(reason, "reason", _l("Say why the refund is refused."))
    order, line = _decided(session, actor, request)
    request.state, request.decision_reason = RefundRequestState.REJECTED, reason
    request.open_line_id = None
    session.add(request)
    audit.record(session, actor_id=actor.id, action="refund_request.reject",
                 subject_type="refund_request", subject_id=request.id,
                 details={"order": order.number, "line": line.id, "reason": reason[:500]})
    _tell(session, actor, order, line, request, "refund_request.rejected", reason=reason)
    return request


def tell_admins_when_due(session: Session, now: datetime | None = None) -> list[int]:
    """Tell the admins of each open request the merchant left undecided for three working
    days: it is now theirs to decide. Each request is announced once, even when two sweeps
    run at the same time (the conditional UPDATE lets one of them claim it). The ids told."""
    now = now or utcnow()
    # three working days are at least three calendar days: the query narrows, the
    # working-day rule decides
    candidates = session.exec(
        select(RefundRequest).where(RefundRequest.state == RefundRequestState.OPEN,
                                    col(RefundRequest.admins_told_at).is_(None),
                                    RefundRequest.created_at <= now - timedelta(days=MERCHANT_DAYS))
        .order_by(col(RefundRequest.id))).all()
    told = []
    for request in candidates:
        if admin_may_decide_from(request.created_at) > now:
            continue
        claimed = session.execute(
            update(RefundRequest)
            .where(RefundRequest.id == request.id, col(RefundRequest.admins_told_at).is_(None),
                   RefundRequest.state == RefundRequestState.OPEN)
            .values(admins_told_at=now).returning(RefundRequest.id)).first()
        if claimed is None:
            continue
        order = session.get(Order, request.order_id)
        line = session.get(OrderLine, request.order_line_id)
        notify(session, admins(session), "refund_request.admins_turn",
               _params(order, line, request, request.amount),
               link=f"/refund-requests/{request.id}")
        told.append(request.id)
    return told


# ---------------------------------------------------------------------------- reading


def for_order(session: Session, order_id: int) -> list[RefundRequest]:
    return list(session.exec(select(RefundRequest).where(RefundRequest.order_id == order_id)
                             .order_by(col(RefundRequest.id))))


def listed(session: Session, *, buyer_id: int | None = None, organization_id: int | None = None,
           state: str | None = None, page: int = 1, per_page: int = 50
           ) -> tuple[list[RefundRequest], int]:
    """Requests newest first (a buyer's, a merchant's, or all), and how many there are."""
    query = select(RefundRequest)
    if buyer_id is not None:
        query = query.where(RefundRequest.buyer_id == buyer_id)
    if organization_id is not None:
        query = query.where(RefundRequest.organization_id == organization_id)
    if state is not None:
        query = query.where(RefundRequest.state == state)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(RefundRequest.id).desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total
