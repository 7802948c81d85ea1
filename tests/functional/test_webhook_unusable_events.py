"""A correctly signed event we cannot use is logged, acknowledged with a 2xx (so the provider
does not retry it for days) and changes nothing (issue 14)."""

from __future__ import annotations

import logging
import uuid

import pytest

from marketplace.commerce.models import OrderState, PaymentEvent
from marketplace.commerce.payments.needs import order_metadata
from marketplace.commerce.payments.types import INSTANCE_TAG_KEY
from marketplace.delivery.models import Entitlement
from tests.commerce_factories import (
    buy,
    count,
    make_plan,
    make_shop,
    post_webhook,
    published_listing_with,
)
from tests.factories import forget
from tests.functional.test_commerce_webhooks import signed


@pytest.fixture
def order(db):
    shop = make_shop(db)
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=120_00))
    return buy(db, shop.buyer, plan)


def _intent(app, order, **metadata) -> dict:
    tagged = {**order_metadata(order), INSTANCE_TAG_KEY: app.config["STRIPE_INSTANCE_TAG"],
              **metadata}
    return {"id": f"pi_unusable{uuid.uuid4().hex[:16]}", "object": "payment_intent",
            "amount": order.total, "amount_received": order.total, "currency": "cny",
            "status": "succeeded",
            "metadata": tagged}


UNUSABLE_ORDER_IDS = ["not-a-number", "²", str(2**70), "-4", "", "999999", ["1"], {"id": 1},
                      True, None, 2**70]


def test_an_unusable_order_id_is_acknowledged_and_changes_nothing(app, client, db, order,
                                                                  caplog):
    for order_id in UNUSABLE_ORDER_IDS:
        delivery = signed(app, "payment_intent.succeeded", _intent(app, order, order_id=order_id))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="marketplace.commerce.payments.webhooks"):
            response = post_webhook(client, delivery.body, delivery.headers["Stripe-Signature"])
        assert response.status_code == 200, order_id
        assert response.get_json()["outcome"] == "ignored: not ours", order_id
        assert "ignored: not ours" in caplog.text
    forget(db)
    db.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT
    assert count(db, PaymentEvent) == 0 and count(db, Entitlement) == 0


@pytest.mark.parametrize("event_type, obj", [
    ("customer.created", {"id": "cus_x", "object": "customer", "metadata": {}}),
    ("payment_intent.succeeded", {"id": "pi_no_metadata", "object": "payment_intent",
                                  "amount": 1, "metadata": "a string"}),
])
def test_an_event_of_a_type_or_shape_we_do_not_use_is_acknowledged(app, client, db, order,
                                                                   event_type, obj):
    delivery = signed(app, event_type, obj)
    response = post_webhook(client, delivery.body, delivery.headers["Stripe-Signature"])
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("ignored")
    forget(db)
    db.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT
    assert count(db, PaymentEvent) == 0
