"""The order state machine: every allowed move happens and is audited; forbidden ones change
nothing and leave no trace."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from marketplace.audit.models import AuditEntry
from marketplace.audit.services import verify_chain
from marketplace.commerce import orders
from marketplace.commerce.models import Order, OrderState
from marketplace.errors import InvalidTransition
from tests.factories import make_user

S = OrderState
ALLOWED = [(before, after) for before, targets in orders.TRANSITIONS.items()
           for after in sorted(targets)]
FORBIDDEN = [
    (S.PENDING_PAYMENT, S.FULFILLED),  # never fulfilled without being paid
    (S.PENDING_PAYMENT, S.REFUNDED),
    (S.FAILED, S.FULFILLED),
    (S.PAID, S.FAILED),  # money received cannot turn into a failed payment
    (S.PAID, S.CANCELLED),
    (S.FULFILLED, S.CANCELLED),
    (S.FULFILLED, S.PENDING_PAYMENT),
    (S.PARTLY_REFUNDED, S.FULFILLED),
    (S.REFUNDED, S.PARTLY_REFUNDED),
    (S.REFUNDED, S.PAID),
    (S.CANCELLED, S.PENDING_PAYMENT),
    (S.CANCELLED, S.PAID),
]


def an_order(db, state: OrderState) -> Order:
    buyer = make_user(db)
    order = Order(number=f"DM-TEST-{buyer.id}", buyer_id=buyer.id, state=state, total=10_00,
                  checkout_key=f"test-{buyer.id}")
    db.add(order)
    db.commit()
    return order


def audit_entries(db, order: Order) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "order", AuditEntry.subject_id == order.number)
        .order_by(col(AuditEntry.seq))))


def test_the_table_covers_every_state_and_closed_states_go_nowhere():
    assert set(orders.TRANSITIONS) == set(S) == set(orders.STATE_LABELS)
    assert orders.TRANSITIONS[S.CANCELLED] == orders.TRANSITIONS[S.REFUNDED] == frozenset()
    assert orders.PAID_STATES == {S.PAID, S.FULFILLED, S.PARTLY_REFUNDED}


@pytest.mark.parametrize(("before", "after"), ALLOWED, ids=lambda s: s.value)
def test_every_allowed_move_happens_and_is_audited(db, before, after):
    order = an_order(db, before)

    assert orders.can_move(order, after)
    orders.move(db, order, after, actor_id=order.buyer_id, reason="because", amount=5_00)
    db.commit()

    db.refresh(order)
    assert order.state == after
    (entry,) = audit_entries(db, order)
    assert entry.action == f"order.{after.value}" and entry.actor_id == order.buyer_id
    assert entry.details == {"from": before.value, "to": after.value, "reason": "because",
                             "amount": 5_00}
    assert (order.paid_at is not None) == (after == S.PAID)
    assert (order.fulfilled_at is not None) == (after == S.FULFILLED)
    assert (order.closed_at is not None) == (after in (S.CANCELLED, S.FAILED))
    assert order.failure_reason == ("because" if after == S.FAILED else "")
    assert verify_chain(db).ok


@pytest.mark.parametrize(("before", "after"), FORBIDDEN, ids=lambda s: s.value)
def test_a_forbidden_move_is_refused_and_leaves_no_trace(db, before, after):
    order = an_order(db, before)

    assert not orders.can_move(order, after)
    with pytest.raises(InvalidTransition) as caught:
        orders.move(db, order, after)
    db.rollback()

    assert order.number in str(caught.value)
    assert str(orders.STATE_LABELS[before]) in str(caught.value)
    db.refresh(order)
    assert order.state == before
    assert audit_entries(db, order) == []
