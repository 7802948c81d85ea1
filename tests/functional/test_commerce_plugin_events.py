"""Plugins hear that an order was paid and that entitlements changed, after the commit only,
with the buyer as a pseudonym per merchant."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from marketplace.commerce.orders import fulfilment
from marketplace.db import get_engine, new_session
from marketplace.delivery import entitlements
from marketplace.delivery.announce import buyer_pseudonym
from marketplace.delivery.models import EntitlementState
from marketplace.jobs.models import JobRun, JobState
from marketplace.plugins import get_runtime
from tests.commerce_factories import buy, make_plan, make_shop, published_listing_with
from tests.factories import forget
from tests.jobs_support import queue_config, running_worker, wait_for

FOLDER = Path(__file__).resolve().parent / "event_plugins"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(FOLDER)}


@pytest.fixture
def received(app, db):
    get_runtime(app).sync()
    runtime = get_runtime(app)
    loaded = runtime.execution.import_trusted(runtime.plugins["order_listener"])
    events = loaded.plugin.RECEIVED
    events.clear()
    return events


def test_a_paid_order_and_its_entitlement_are_announced_after_the_commit(app, db, received):
    shop = make_shop(db)
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=88_00))
    order = buy(db, shop.buyer, plan)

    fulfilment.record_charge(db, order, amount=88_00, provider_ref="pi_announce_1")
    assert received == []  # nothing before the commit
    db.commit()

    kinds = [kind for kind, _ in received]
    assert sorted(kinds) == ["entitlement_granted", "order_paid"]
    paid = dict(received)["order_paid"]
    (entitlement,) = entitlements.for_order(db, order.id)
    assert paid == {"order_id": order.id, "product_id": listing.product_id,
                    "plan": plan.name, "amount": 88_00, "currency": "CNY",
                    "buyer": buyer_pseudonym(shop.buyer.id, shop.org.id)}
    granted = dict(received)["entitlement_granted"]
    assert granted["entitlement_id"] == entitlement.id
    # A pseudonym, never the buyer's e-mail or name.
    assert shop.buyer.email not in str(received)
    assert shop.buyer.display_name not in str(received)


def test_a_rolled_back_payment_is_never_announced(app, db, received):
    shop = make_shop(db)
    _listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    order = buy(db, shop.buyer, plan)

    fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_announce_2")
    db.rollback()
    db.commit()

    assert received == []


def test_a_full_refund_announces_the_revocation(app, db, received):
    shop = make_shop(db)
    _listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
    order = buy(db, shop.buyer, plan)
    fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_announce_3")
    db.commit()
    received.clear()

    fulfilment.record_refund(db, order, amount=order.total, provider_ref="re_announce_3")
    db.commit()

    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.state == EntitlementState.REVOKED
    assert [(kind, event["entitlement_id"]) for kind, event in received] == [
        ("entitlement_revoked", entitlement.id)]


def test_buyer_pseudonyms_differ_between_merchants(app, db):
    assert buyer_pseudonym(7, 1) != buyer_pseudonym(7, 2)
    assert buyer_pseudonym(7, 1) == buyer_pseudonym(7, 1)


def test_the_events_are_background_jobs_the_worker_runs(make_app, app_config, tmp_path):
    queued = make_app(queue_config(app_config, tmp_path))
    runtime = get_runtime(queued)
    runtime.sync()
    heard = runtime.execution.import_trusted(runtime.plugins["order_listener"]).plugin.RECEIVED
    heard.clear()
    with queued.test_request_context(), new_session(get_engine(queued)) as db:
        shop = make_shop(db)
        _listing, (plan,) = published_listing_with(db, shop, make_plan("one_time"))
        order = buy(db, shop.buyer, plan)
        fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_announce_4")
        db.commit()
        announced = db.exec(select(JobRun).where(JobRun.kind == "plugins.announce")).all()
        assert sorted(job.args["event"] for job in announced) == [
            "entitlement_granted", "order_paid"]
        assert heard == [], "the buyer's request does not wait for plugins"

        with running_worker(queued):
            wait_for(lambda: len(heard) == 2, what="the plugin hearing both events")
        forget(db)
        assert {db.get(JobRun, job.id).state for job in announced} == {JobState.SUCCEEDED}
    assert sorted(kind for kind, _ in heard) == ["entitlement_granted", "order_paid"]
