"""Telling people when money did something it should not: a duplicate charge returned, or a
provider refund our books did not ask for. Each notice is audited and written in the caller's
transaction, so it is sent only if what it reports was committed."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import admins
from marketplace.audit import services as audit
from marketplace.commerce.models import Order
from marketplace.notifications.services import notify


def _amount(order: Order, amount: int) -> str:
    return f"{amount / 100:.2f} {order.currency}"


def duplicate_refunded(session: Session, order: Order, *, amount: int, charge_ref: str,
                       refund_ref: str) -> None:
    """A second charge of ``order`` was refunded automatically: the buyer and the admins hear."""
    params = {"number": order.number, "amount": _amount(order, amount)}
    buyer = session.get(User, order.buyer_id)
    notify(session, [buyer] if buyer else [], "payment.duplicate_refunded", params,
           link=f"/orders/{order.number}")
    notify(session, admins(session), "payment.duplicate_refunded", params,
           link=f"/admin/orders/{order.number}")
    audit.record(session, actor_id=None, action="payment.duplicate_refunded",
                 subject_type="order", subject_id=order.id,
                 details={"charge": charge_ref, "refund": refund_ref, "amount": amount})


def flag(session: Session, order: Order, problem: str, **details) -> None:
    """Something an admin must look at (a refund nobody asked for, money beyond what was paid,
    a duplicate charge the provider would not refund)."""
    notify(session, admins(session), "payment.flagged",
           {"number": order.number, "problem": problem}, link=f"/admin/orders/{order.number}")
    audit.record(session, actor_id=None, action="payment.flagged", subject_type="order",
                 subject_id=order.id, details={"problem": problem, **details})
