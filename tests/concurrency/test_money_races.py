"""Money under concurrency, against gunicorn's worker processes on PostgreSQL and a real
localstripe: a double-clicked "Pay", two admins refunding one order at once, and a new buyer's
first payment submitted twice. Each pair of requests is released together by a barrier.

What must hold afterwards, order by order: the provider keeps at most one charge, and it
refunded exactly what our books say was refunded, never more than was paid; no request
answers 5xx, and the good card is never declined.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.concurrency.stack import (
    ADMIN,
    PAID_STATES,
    SECOND_ADMIN,
    Marketplace,
    ProviderState,
    Reply,
    Visitor,
    at_once,
    settled_audits,
)

DOUBLE_PAYS = 50
FULL_REFUND_PAIRS = 20
PARTIAL_REFUND_PAIRS = 20
NEW_BUYERS = 20
PAYERS = 5  # buyers paying side by side in the double-pay scenario
PARALLEL = 4  # pairs in flight at once in the others


def new_email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="session")
def plan(market: Marketplace) -> int:
    return market.one_time_plan()[0]


@pytest.fixture(scope="session")
def payers(market: Marketplace, plan: int) -> list[Visitor]:
    """Buyers who already paid once: their provider customer exists."""

    def payer(_index: int) -> Visitor:
        buyer = market.visitor().sign_up(new_email("payer"))
        first = buyer.pay(buyer.buy(plan)["number"])
        assert first.status == 200, (first.status, first.text[:500])
        return buyer

    with ThreadPoolExecutor(PAYERS) as pool:
        return list(pool.map(payer, range(PAYERS)))


def judge_pay_pair(number: str, replies: list[Reply | Exception]) -> list[str]:
    """What is wrong with the answers to two simultaneous payments of one order.

    One pays (200, fulfilled); its twin answers the paid order (200) or 409 with the order's
    state. Never 402 (the good card was not declined), never 5xx.
    """
    problems = []
    for reply in replies:
        if isinstance(reply, Exception):
            problems.append(f"{number}: request failed: {reply!r}")
        elif reply.status >= 500:
            problems.append(f"{number}: {reply.status} server error")
        elif reply.status == 402:
            problems.append(f"{number}: 402 false decline: {reply.text[:200]}")
    replies = [r for r in replies if isinstance(r, Reply)]
    paid = [r for r in replies if r.status == 200 and r.json.get("state") == "fulfilled"]
    if not paid:
        problems.append(f"{number}: neither payment answered the fulfilled order: "
                        f"{[(r.status, r.text[:120]) for r in replies]}")
    for reply in replies:
        if any(reply is answer for answer in paid) or reply.status == 402 \
                or reply.status >= 500:
            continue
        if reply.status == 409 and _mentions_state(reply.json):
            continue
        problems.append(f"{number}: twin answered {reply.status} {reply.text[:200]}")
    return problems


ORDER_STATES = (*PAID_STATES, "pending_payment", "failed", "cancelled")


def _mentions_state(document: Any) -> bool:
    """Whether a problem document carries the order's state (``order_state``, or ``state``
    of a nested order)."""
    if isinstance(document, dict):
        return any(document.get(key) in ORDER_STATES for key in ("order_state", "state")) \
            or any(_mentions_state(value) for value in document.values())
    if isinstance(document, list):
        return any(_mentions_state(value) for value in document)
    return False


def _report(market: Marketplace, problems: list[str]) -> str:
    text = f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    if any("server error" in p for p in problems):
        text += "\n--- gunicorn's log ---\n" + market.server_errors()[-4000:]
    return text


def test_a_double_submitted_payment_charges_once(market: Marketplace, plan: int,
                                                  payers: list[Visitor]):
    orders = {buyer: [buyer.buy(plan)["number"] for _ in range(DOUBLE_PAYS // PAYERS)]
              for buyer in payers}
    assert sum(len(numbers) for numbers in orders.values()) == DOUBLE_PAYS

    def double_click_all(buyer: Visitor) -> list[str]:
        problems = []
        for number in orders[buyer]:
            replies = at_once(lambda n=number: buyer.pay(n), lambda n=number: buyer.pay(n))
            problems += judge_pay_pair(number, replies)
        return problems

    with ThreadPoolExecutor(PAYERS) as pool:
        problems = [p for found in pool.map(double_click_all, payers) for p in found]

    numbers = [n for numbers in orders.values() for n in numbers]
    audits = settled_audits(market, numbers)
    assert len(audits) == DOUBLE_PAYS
    problems += [f"{a.number}: {p}" for a in audits.values() for p in a.problems()]
    problems += [f"{a.number}: state {a.state}" for a in audits.values()
                 if a.state != "fulfilled"]
    problems += [f"{a.number}: {a.receipts} receipts" for a in audits.values()
                 if a.receipts != 1]
    assert not problems, _report(market, problems)
    assert all(a.kept_charges == 1 and a.provider_net == a.total for a in audits.values())


@pytest.fixture(scope="module")
def admins(market: Marketplace) -> tuple[Visitor, Visitor]:
    return (market.visitor().log_in(*ADMIN), market.visitor().log_in(*SECOND_ADMIN))


def paid_orders(payers: list[Visitor], plan: int, count: int) -> list[str]:
    """``count`` orders, each paid once."""

    def buy_and_pay(index: int) -> str:
        buyer = payers[index % len(payers)]
        number = buyer.buy(plan)["number"]
        paid = buyer.pay(number)
        assert paid.status == 200, (paid.status, paid.text[:300])
        return number

    with ThreadPoolExecutor(len(payers)) as pool:
        return list(pool.map(buy_and_pay, range(count)))


@pytest.mark.parametrize(("pairs", "first_share"), [
    pytest.param(FULL_REFUND_PAIRS, 100, id="full-and-full"),
    pytest.param(PARTIAL_REFUND_PAIRS, 30, id="partial-and-full"),
])
def test_two_admins_refunding_at_once_refund_what_the_books_say(
        market: Marketplace, plan: int, payers: list[Visitor], admins, pairs: int,
        first_share: int):
    numbers = paid_orders(payers, plan, pairs)
    totals = {a.number: a.total for a in settled_audits(market, numbers).values()}
    first, second = admins

    def refund_twice(number: str) -> list[str]:
        total = totals[number]
        partial = total * first_share // 100
        # Two admins open the order's page: two forms, two request keys.
        forms = first.refund_form(number), second.refund_form(number)
        assert forms[0]["request_key"] != forms[1]["request_key"]
        replies = at_once(
            lambda: first.refund(number, forms[0], partial, "Buyer asked for a refund"),
            lambda: second.refund(number, forms[1], total, "Duplicate purchase"))
        problems = []
        for reply in replies:
            if isinstance(reply, Exception):
                problems.append(f"{number}: request failed: {reply!r}")
            elif reply.status >= 500:
                problems.append(f"{number}: {reply.status} server error")
            elif reply.status not in (302, 422):
                problems.append(f"{number}: refund answered {reply.status}")
        return problems

    with ThreadPoolExecutor(PARALLEL) as pool:
        problems = [p for found in pool.map(refund_twice, numbers) for p in found]

    audits = settled_audits(market, numbers)
    assert len(audits) == pairs
    problems += [f"{a.number}: {p}" for a in audits.values() for p in a.problems()]
    for audit in audits.values():
        allowed = {audit.total, audit.total * first_share // 100}
        if audit.refunded not in allowed:
            problems.append(f"{audit.number}: refunded {audit.refunded}, expected one of "
                            f"{sorted(allowed)} (one refund of the two)")
    assert not problems, _report(market, problems)
    assert all(a.provider_refunded_booked == a.refunded <= a.paid for a in audits.values())


def test_a_new_buyers_first_payment_submitted_twice_makes_one_customer(market: Marketplace,
                                                                      plan: int):
    def newcomer(_index: int) -> tuple[str, str, list[str]]:
        buyer = market.visitor().sign_up(new_email("newcomer"))
        number = buyer.buy(plan)["number"]
        replies = at_once(lambda: buyer.pay(number), lambda: buyer.pay(number))
        return buyer.email, number, judge_pay_pair(number, replies)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(newcomer, range(NEW_BUYERS)))
    problems = [p for _email, _number, found in results for p in found]

    audits = settled_audits(market, [number for _email, number, _p in results])
    assert len(audits) == NEW_BUYERS
    problems += [f"{a.number}: {p}" for a in audits.values() for p in a.problems()]
    customers = ProviderState.read(market.provider).customers
    problems += [f"{email}: {customers.get(email, 0)} customers at the provider"
                 for email, _number, _p in results if customers.get(email, 0) != 1]
    assert not problems, _report(market, problems)

