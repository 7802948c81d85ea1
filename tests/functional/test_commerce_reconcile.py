"""A server process killed between the provider's confirmation and our record of it, then
``payments reconcile``: the order ends fulfilled with its entitlement, ledger and receipt.

The server is a real process (werkzeug on a free port, the test's database and localstripe) run
with ``DATAMARKET_FAILPOINTS=after_payment_confirmed`` (marketplace/failpoints.py). The buyer
logs in and pays over HTTP with the CSRF tokens of the real forms; the process exits in the
middle of that request. No webhook reaches the app here: reconcile alone repairs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from marketplace.commerce.models import LedgerEntry, OrderState, PaymentEvent, Receipt
from marketplace.commerce.payments import reconcile
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement
from tests.commerce_factories import (
    buy,
    count,
    ledger_sums,
    make_plan,
    make_shop,
    payment_events,
    published_listing_with,
    receipts,
    subscription_of,
)
from tests.commerce_support import ROOT
from tests.factories import PASSWORD, forget

FAILPOINT_EXIT = 75  # marketplace.failpoints.hit exits with this status

SERVER = """
import sys
from werkzeug.serving import make_server
from marketplace import create_app

server = make_server("127.0.0.1", 0, create_app(), threaded=False)
print(server.server_port, flush=True)
server.serve_forever()
"""


@dataclass
class Server:
    process: subprocess.Popen
    url: str


@pytest.fixture
def doomed_server(app, tmp_path) -> Iterator[Server]:
    """The app in a server process of its own that dies right after a payment is confirmed."""
    config = app.config
    env = {
        **os.environ,
        "DATAMARKET_FAILPOINTS": "after_payment_confirmed",
        "DATAMARKET_INSTANCE_PATH": str(tmp_path / "server-instance"),
        "DATABASE_URL": config["DATABASE_URL"],
        "SECRET_KEY": config["SECRET_KEY"],
        "MAIL_FOLDER": config["MAIL_FOLDER"],
        "SMTP_HOST": "",
        "STRIPE_API_BASE": config["STRIPE_API_BASE"],
        "STRIPE_SECRET_KEY": config["STRIPE_SECRET_KEY"],
        "STRIPE_INSTANCE_TAG": config["STRIPE_INSTANCE_TAG"],
        "PYTHONWARNINGS": "ignore",
    }
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=log)
    port: list[str] = []
    reader = threading.Thread(target=lambda: port.append(process.stdout.readline().decode()),
                              daemon=True)
    reader.start()
    reader.join(60)
    if not port or not port[0].strip().isdigit():
        process.kill()
        process.wait()
        pytest.fail(f"the server did not start; see {tmp_path / 'server.log'}")
    yield Server(process, f"http://127.0.0.1:{port[0].strip()}")
    if process.poll() is None:
        process.kill()
        process.wait()
    process.stdout.close()


def csrf_token(page: requests.Response) -> str:
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def pay_over_http_until_the_server_dies(server: Server, buyer, order) -> None:
    browser = requests.Session()
    login = browser.get(f"{server.url}/login", timeout=30)
    signed_in = browser.post(f"{server.url}/login", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(login), "email": buyer.email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:300]
    pay_page = browser.get(f"{server.url}/orders/{order.number}/pay", timeout=30)
    with pytest.raises(requests.ConnectionError):
        browser.post(f"{server.url}/orders/{order.number}/pay", timeout=60, data={
            "csrf_token": csrf_token(pay_page), "card": "visa_ok"})
    assert server.process.wait(timeout=30) == FAILPOINT_EXIT


@pytest.fixture
def shop(db):
    return make_shop(db)


def books(db) -> tuple[int, ...]:
    """Counts of everything reconcile may write."""
    return tuple(count(db, table) for table in (Entitlement, LedgerEntry, PaymentEvent, Receipt))


def test_reconcile_fulfils_a_one_time_order_whose_server_died_after_the_payment(
        db, shop, payments, localstripe, doomed_server):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=88_00))
    order = buy(db, shop.buyer, plan)

    pay_over_http_until_the_server_dies(doomed_server, shop.buyer, order)

    forget(db)
    db.refresh(order)
    # The provider took the money; our books know only that a payment was started.
    assert order.state == OrderState.PENDING_PAYMENT and order.payment_intent_id
    intent = payments.retrieve_payment_intent(order.payment_intent_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 88_00)
    assert books(db) == (0, 0, 0, 0)

    report = reconcile.reconcile(db, payments)

    assert report.problems == []
    assert report.repairs == [f"order {order.number}: payment {intent.id} recorded, "
                              "order fulfilled"]
    forget(db)
    db.refresh(order)
    assert order.state == OrderState.FULFILLED
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlements.is_usable(entitlement)
    assert [e.provider_ref for e in payment_events(db, order.id)] == [intent.id]
    assert [r.amount for r in receipts(db, order.id)] == [88_00]
    assert ledger_sums(db, order.id) == {"merchant": 79_20, "platform": 8_80}
    after = books(db)

    again = reconcile.reconcile(db, payments)

    assert again.repairs == [] and again.problems == []
    assert books(db) == after == (1, 2, 1, 1)


def test_the_reconcile_command_fulfils_a_membership_whose_server_died_after_subscribing(
        app, db, shop, payments, localstripe, doomed_server):
    _, (plan,) = published_listing_with(db, shop, make_plan("membership", price=999_00))
    order = buy(db, shop.buyer, plan)

    pay_over_http_until_the_server_dies(doomed_server, shop.buyer, order)

    forget(db)
    db.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT
    subscription = subscription_of(db, order)  # recorded before the provider's answer was
    info = payments.retrieve_subscription(subscription.provider_id)
    assert info.status == "active"
    assert payments.retrieve_invoice(info.latest_invoice_id).status == "paid"
    assert books(db) == (0, 0, 0, 0)

    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--days", "1"])

    assert result.exit_code == 0, result.output
    assert (f"repaired: subscription {subscription.provider_id}: membership paid"
            in result.output)
    forget(db)
    db.refresh(order)
    assert order.state == OrderState.FULFILLED
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.valid_to == info.current_period_end
    assert [r.amount for r in receipts(db, order.id)] == [999_00]
    assert sum(ledger_sums(db, order.id).values()) == 999_00
    after = books(db)

    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])

    assert again.exit_code == 0, again.output
    assert "Nothing to repair" in again.output
    forget(db)
    assert books(db) == after == (1, 2, 1, 1)
