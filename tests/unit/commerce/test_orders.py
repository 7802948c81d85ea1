"""The order state machine: every allowed move happens and is audited; forbidden ones change
nothing and leave no trace."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import col, select

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.audit.services import verify_chain
from marketplace.commerce import orders
from marketplace.commerce.models import Order, OrderState
from marketplace.errors import InvalidTransition
from tests.factories import make_user

_numbers = itertools.count(1)

S = OrderState

# Every move, written out by hand from the product's rules (never read from
# ``orders.TRANSITIONS``, so a move dropped from or added to the code's table shows up here).
# A row is where an order is, a column where it would go; "+" allowed, "." refused.
MOVES = """
                    pending_payment  paid  fulfilled  cancelled  failed  refunded  partly_refunded
pending_payment     .                +     .          +          +       .         .
paid                .                .     +          .          .       +         +
fulfilled           .                .     .          .          .       +         +
cancelled           .                .     .          .          .       .         .
failed              +                +     .          +          .       .         .
refunded            .                .     .          .          .       .         .
partly_refunded     .                .     .          .          .       +         +
"""


def _moves() -> tuple[list[tuple[S, S]], list[tuple[S, S]]]:
    header, *rows = MOVES.strip().splitlines()
    targets = [S(name) for name in header.split()]
    allowed, refused = [], []
    for row in rows:
        source, *marks = row.split()
        for target, mark in zip(targets, marks, strict=True):
            (allowed if mark == "+" else refused).append((S(source), target))
    return allowed, refused


ALLOWED, FORBIDDEN = _moves()


def test_the_hand_written_table_covers_every_pair_of_states():
    assert len(ALLOWED) == 13 and len(FORBIDDEN) == 49 - 13
    assert {before for before, _ in ALLOWED + FORBIDDEN} == set(S)
    assert {after for _, after in ALLOWED + FORBIDDEN} == set(S)


@pytest.mark.parametrize(("before", "after"), ALLOWED + FORBIDDEN, ids=lambda s: s.value)
def test_can_move_agrees_with_the_table(before, after):
    order = Order(number="DM-T", buyer_id=1, state=before, checkout_key="t")
    assert orders.can_move(order, after) == ((before, after) in ALLOWED)


def an_order(db, state: OrderState, buyer: User | None = None) -> Order:
    buyer = buyer or make_user(db)
    n = next(_numbers)
    order = Order(number=f"DM-TEST-{n}", buyer_id=buyer.id, state=state, total=10_00,
                  checkout_key=f"test-{n}")
    db.add(order)
    db.commit()
    return order


def audit_entries(db, order: Order) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "order", AuditEntry.subject_id == order.number)
        .order_by(col(AuditEntry.seq))))


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


def test_every_forbidden_move_is_refused_and_leaves_no_trace(db):
    buyer = make_user(db)
    for before, after in FORBIDDEN:
        order = an_order(db, before, buyer)

        with pytest.raises(InvalidTransition) as caught:
            orders.move(db, order, after, reason="no")
        db.rollback()

        message = str(caught.value)
        assert order.number in message
        assert f"“{orders.STATE_LABELS[before]}”" in message
        assert f"“{orders.STATE_LABELS[after]}”" in message
        db.refresh(order)
        assert order.state == before
        assert (order.paid_at, order.fulfilled_at, order.closed_at) == (None, None, None)
        assert audit_entries(db, order) == []


def test_a_failure_reason_is_kept_to_500_characters_and_audited_whole(db):
    order = an_order(db, S.PENDING_PAYMENT)
    reason = "declined " * 70  # 630 characters

    orders.move(db, order, S.FAILED, reason=reason)
    db.commit()

    assert order.failure_reason == reason[:500]
    (entry,) = audit_entries(db, order)
    assert entry.details["reason"] == reason
    assert entry.actor_id is None  # the provider declined it, nobody acted


def test_only_paid_fulfilled_and_partly_refunded_orders_hold_money():
    assert orders.PAID_STATES == {S.PAID, S.FULFILLED, S.PARTLY_REFUNDED}


def test_every_state_has_a_label_for_people():
    assert {state: str(label) for state, label in orders.STATE_LABELS.items()} == {
        S.PENDING_PAYMENT: "Awaiting payment", S.PAID: "Paid", S.FULFILLED: "Fulfilled",
        S.CANCELLED: "Cancelled", S.FAILED: "Payment failed", S.REFUNDED: "Refunded",
        S.PARTLY_REFUNDED: "Partly refunded"}
