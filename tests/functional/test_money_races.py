"""Money under concurrency, in one process: two requests about the same order's money at the same
moment, interleaved on purpose, against a real localstripe and the suite's database (SQLite, or
PostgreSQL under ``make test-postgres``).

One request is held inside its provider call (a gateway that waits on an event) while the other
runs in full, which is the interleaving that charged twice before payments were claimed under
the order's lock. The suite under load, with several server processes, is
``make test-concurrency``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.commerce.models import (
    AttemptState,
    BuyerAccount,
    Order,
    OrderState,
    PaymentEventKind,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.payments import WebhookEvent, attempts, webhooks
from marketplace.commerce.payments import flow as payment_flow
from marketplace.commerce.payments.attempts import OrderBusy
from marketplace.commerce.payments.reconcile import reconcile
from marketplace.db import get_engine, new_session
from marketplace.errors import ValidationFailed
from marketplace.notifications.models import Notification
from tests.commerce_factories import (
    buy,
    deliver,
    make_plan,
    make_shop,
    pay,
    payment_events,
    published_listing_with,
    receipts,
)
from tests.factories import forget, make_user

K = PaymentEventKind
PRICE = 200_00


@pytest.fixture
def shop(db):
    return make_shop(db)


@pytest.fixture
def order(db, shop, payments):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=PRICE))
    return buy(db, shop.buyer, plan)


class Held:
    """The real gateway, except that ``method`` waits until released (it tells when it is
    inside the call): the window in which the other request runs."""

    def __init__(self, gateway, method: str):
        self._gateway, self._method = gateway, method
        self.inside, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._gateway, name)
        if name != self._method:
            return real

        def held(*args, **kwargs):
            self.inside.set()
            assert self.release.wait(30), "the test never released the held call"
            return real(*args, **kwargs)
        return held


class Background(threading.Thread):
    """``work(session)`` in a thread with its own app context and database session, as a
    second server thread would run it; ``result`` or ``error`` once joined."""

    def __init__(self, app, work: Callable[[Session], Any]):
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.app.test_request_context():
            session = new_session(get_engine(self.app))
            try:
                self.result = self.work(session)
            except BaseException as exc:  # handed to the test thread
                self.error = exc
                session.rollback()
            finally:
                session.close()

    def finish(self) -> Any:
        self.join(60)
        assert not self.is_alive(), "the background request did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def provider_intents(payments, order: Order) -> list:
    since = datetime.now(UTC) - timedelta(minutes=10)
    return [i for i in payments.list_payment_intents(created_after=since)
            if i.metadata.get("order_id") == str(order.id)]


def provider_refunded(localstripe, intent_id: str) -> int:
    listed = localstripe.request("GET", f"/v1/refunds?payment_intent={intent_id}&limit=100")
    return sum(r["amount"] for r in listed["data"] if r["status"] == "succeeded")


def refund_as(session: Session, payments, actor, order_id: int, amount: int, key: str) -> None:
    payment_flow.refund(session, payments, actor, session.get(Order, order_id), amount=amount,
                        reason="buyer asked", request_key=key)


def kinds(session: Session, order: Order) -> list[str]:
    return [e.kind for e in payment_events(session, order.id)]


# -- paying twice at once ----------------------------------------------------------------------


def test_a_second_pay_while_the_first_is_at_the_provider_is_refused_with_the_order_state(
        app, db, shop, order, payments, localstripe):
    held = Held(payments, "confirm_payment_intent")
    first = Background(app, lambda s: pay(s, held, s.merge(shop.buyer), s.get(Order, order.id)))
    first.start()
    assert held.inside.wait(30)

    with pytest.raises(OrderBusy, match="already in progress") as refused:
        pay(db, payments, shop.buyer, db.get(Order, order.id))
    db.rollback()
    assert refused.value.order_state == OrderState.PENDING_PAYMENT

    held.release.set()
    assert first.finish().state == OrderState.FULFILLED
    forget(db)
    (intent,) = provider_intents(payments, order)
    assert intent.status == "succeeded"
    assert fulfilment.paid_amount(db, order.id) == PRICE
    assert len(receipts(db, order.id)) == 1
    assert [a.state for a in attempts.for_order(db, order.id)] == [AttemptState.SUCCEEDED]


def test_paying_a_paid_order_again_answers_409_with_its_state_not_a_decline(
        client, db, shop, order, payments, localstripe):
    pay(db, payments, shop.buyer, order)
    with client.session_transaction() as browser:  # signed in without the login form
        browser["_user_id"] = shop.buyer.get_id()
        browser["_fresh"] = True
    answer = client.post(f"/api/v1/orders/{order.number}/payment", json={"card": "visa_ok"})
    assert answer.status_code == 409, answer.get_data(as_text=True)
    assert answer.get_json()["order_state"] == OrderState.FULFILLED
    forget(db)
    assert len(provider_intents(payments, order)) == 1
    assert K.CHARGE_FAILED not in kinds(db, order)


def test_a_claim_left_by_a_dead_process_stops_blocking_and_reconcile_releases_it(
        db, shop, order, payments, localstripe):
    fulfilment.lock(db, order)
    stale = attempts.claim_charge(db, order)
    stale.created_at -= attempts.STALE_AFTER + timedelta(seconds=1)
    db.commit()

    pay(db, payments, shop.buyer, order)
    assert order.state == OrderState.FULFILLED
    report = reconcile(db, payments)
    db.refresh(stale)
    assert stale.state == AttemptState.SUCCEEDED  # the order was paid by the next attempt
    assert any(stale.key in line for line in report.repairs)
    assert reconcile(db, payments).repairs == []


def test_a_fresh_pending_claim_blocks_a_second_claim(db, order):
    fulfilment.lock(db, order)
    attempts.claim_charge(db, order)
    db.commit()
    fulfilment.lock(db, order)
    with pytest.raises(OrderBusy):
        attempts.claim_charge(db, order)
    db.rollback()


# -- the first payment of a new buyer ----------------------------------------------------------


def test_two_first_payments_at_once_leave_the_buyer_one_provider_customer(
        app, db, payments, localstripe):
    buyer = make_user(db)
    db.commit()
    both_created = threading.Barrier(2, timeout=30)

    class Racing:
        def __getattr__(self, name):
            return getattr(payments, name)

        def ensure_customer(self, **kwargs):
            made = payments.ensure_customer(**kwargs)
            both_created.wait()  # each has made its own before either records it
            return made

    first, second = (Background(app, lambda s: payment_flow.customer_for(
        s, Racing(), s.merge(buyer))) for _ in range(2))
    first.start()
    second.start()
    kept = {first.finish(), second.finish()}
    assert len(kept) == 1
    forget(db)
    (account,) = db.exec(select(BuyerAccount).where(BuyerAccount.buyer_id == buyer.id)).all()
    assert kept == {account.customer_id}
    customers = localstripe.request("GET", "/v1/customers?limit=100")["data"]
    assert [c["id"] for c in customers if c.get("email") == buyer.email] == [account.customer_id]


# -- refunding twice at once -------------------------------------------------------------------


@pytest.mark.parametrize(("held_share", "second_share"), [(100, 100), (30, 100), (100, 30)])
def test_a_refund_while_another_is_at_the_provider_counts_the_pending_one(
        app, db, shop, order, payments, localstripe, held_share, second_share):
    pay(db, payments, shop.buyer, order)
    held = Held(payments, "refund")
    first = Background(app, lambda s: refund_as(s, held, s.merge(shop.admin), order.id,
                                                PRICE * held_share // 100, "a" * 20))
    first.start()
    assert held.inside.wait(30)

    with pytest.raises(ValidationFailed, match="can still be refunded"):
        refund_as(db, payments, shop.merchant, order.id, PRICE * second_share // 100, "b" * 20)
    db.rollback()

    held.release.set()
    first.finish()
    forget(db)
    booked = fulfilment.refunded_amount(db, order.id)
    assert booked == PRICE * held_share // 100
    assert provider_refunded(localstripe, order.payment_intent_id) == booked
    assert fulfilment.refundable(db, db.get(Order, order.id)) == PRICE - booked


def test_a_refund_the_provider_refused_releases_its_reservation(
        db, shop, order, payments, localstripe):
    pay(db, payments, shop.buyer, order)

    class Refusing:
        def __getattr__(self, name):
            return getattr(payments, name)

        def refund(self, **kwargs):
            raise payment_flow.PaymentError("The payment service refused this request.",
                                            "api_error")

    with pytest.raises(payment_flow.PaymentError):
        refund_as(db, Refusing(), shop.admin, order.id, PRICE, "c" * 20)
    assert fulfilment.refundable(db, order) == PRICE
    refund_as(db, payments, shop.admin, order.id, PRICE, "d" * 20)
    assert db.get(Order, order.id).state == OrderState.REFUNDED


# -- what reconcile finds at the provider ------------------------------------------------------


def charge_at_provider(payments, order: Order, customer: str) -> str:
    """A charge made at the provider with the order's metadata (a second tab, a retry after
    a timeout with a new key, a charge made in the dashboard)."""
    intent = payments.create_payment_intent(
        amount=order.total, currency=order.currency, customer_id=customer,
        metadata=payment_flow.order_metadata(order))
    return payments.confirm_payment_intent(
        intent.id, payment_method=payments.test_payment_method("visa_ok")).id


def test_reconcile_refunds_a_duplicate_charge_made_at_the_provider_and_tells_both_sides(
        db, shop, order, payments, localstripe):
    pay(db, payments, shop.buyer, order)
    customer = db.get(BuyerAccount, shop.buyer.id).customer_id
    duplicate = charge_at_provider(payments, order, customer)

    report = reconcile(db, payments)
    assert f"order {order.number}: duplicate charge {duplicate} found" in report.repairs
    assert f"order {order.number}: duplicate charge {duplicate} refunded" in report.repairs
    assert provider_refunded(localstripe, duplicate) == PRICE
    assert provider_refunded(localstripe, order.payment_intent_id) == 0
    assert kinds(db, order).count(K.DUPLICATE_CHARGE) == 1
    assert kinds(db, order).count(K.DUPLICATE_REFUNDED) == 1
    assert fulfilment.paid_amount(db, order.id) == PRICE
    assert fulfilment.refunded_amount(db, order.id) == 0
    assert len(receipts(db, order.id)) == 1
    assert db.get(Order, order.id).state == OrderState.FULFILLED
    told = {n.user_id for n in db.exec(select(Notification).where(
        Notification.kind == "payment.duplicate_refunded"))}
    assert told == {shop.buyer.id, shop.admin.id}

    again = reconcile(db, payments)
    assert (again.repairs, again.problems) == ([], [])


def test_reconcile_books_and_flags_a_refund_made_directly_at_the_provider(
        db, shop, order, payments, localstripe):
    pay(db, payments, shop.buyer, order)
    extra = localstripe.request("POST", "/v1/refunds", {
        "payment_intent": order.payment_intent_id, "amount": 50_00})

    report = reconcile(db, payments)
    assert any(extra["id"] in line and "nobody asked" in line for line in report.problems)
    forget(db)
    assert fulfilment.refunded_amount(db, order.id) == 50_00
    assert db.get(Order, order.id).state == OrderState.PARTLY_REFUNDED
    flagged = db.exec(select(Notification).where(Notification.kind == "payment.flagged")).all()
    assert [n.user_id for n in flagged] == [shop.admin.id]

    again = reconcile(db, payments)
    assert (again.repairs, again.problems) == ([], [])


def test_reconcile_reads_every_intent_of_the_period_not_only_the_first_hundred(
        db, payments, localstripe):
    made = {payments.create_payment_intent(amount=1_00 + n, currency="cny", customer_id=None,
                                           metadata={}).id for n in range(105)}
    report = reconcile(db, payments)
    assert report.checked_intents >= len(made)
    since = datetime.now(UTC) - timedelta(minutes=10)
    assert made <= {i.id for i in payments.list_payment_intents(created_after=since)}


def test_a_second_charge_reported_by_webhook_is_refunded_once_committed(
        client, db, shop, order, payments, localstripe, webhook_receiver):
    pay(db, payments, shop.buyer, order)
    customer = db.get(BuyerAccount, shop.buyer.id).customer_id
    duplicate = charge_at_provider(payments, order, customer)
    delivery = webhook_receiver.wait_for("payment_intent.succeeded", object_id=duplicate)

    assert deliver(client, db, delivery) == "duplicate charge: refunded"
    assert provider_refunded(localstripe, duplicate) == PRICE
    assert kinds(db, order).count(K.DUPLICATE_REFUNDED) == 1
    assert fulfilment.paid_amount(db, order.id) == PRICE
    # The provider's own report of that refund (Stripe sends charge.refunded; localstripe
    # does not) changes nothing more.
    (refund,) = localstripe.request("GET", f"/v1/refunds?payment_intent={duplicate}")["data"]
    event = WebhookEvent(id="evt_duplicate_refunded", type="charge.refunded",
                         created=datetime.now(UTC), livemode=False,
                         object={"payment_intent": duplicate, "refunds": {"data": [refund]}})
    assert webhooks.handle(db, payments, event) == "0 refund(s) recorded"
    db.commit()
    assert kinds(db, order).count(K.DUPLICATE_REFUNDED) == 1
    assert fulfilment.refunded_amount(db, order.id) == 0

