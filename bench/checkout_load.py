"""Checkout under load: buyers buying and paying while admins refund, with the money checked
afterwards, in one run.

    .venv/bin/python bench/checkout_load.py [--seconds 60] [--buyers 40]

It makes a fresh PostgreSQL database (from ``DATAMARKET_TEST_DATABASE_URL``, default the local
``dm`` server, with ``_checkout_load`` appended to its name) with the demo data, starts
localstripe and serves the marketplace with gunicorn as ``make run`` does (2 ``gthread``
workers x 4 threads), plus ``bench/checkout_timing.py``, which logs where each request's time
goes. Then, for ``--seconds``: each buyer adds a one-time plan to the cart, checks out and pays
with the good test card, again and again, one payment in five double-clicked (two requests at
once); two admins each refund paid orders (full or 30 %), one refund in three made by both
admins on the same order at the same moment. Alongside, two reference loops run
under the same load: a signed-in buyer reading the cart (a cheap authenticated GET), and the
provider calls of one payment made straight to localstripe (the pay step with nothing of ours
around it).

It prints throughput, p50/p95 of cart, checkout and pay beside the references, where the pay
step's time goes (from the timing log), and the integrity checks: double charges, refunds
where provider and books disagree, 5xx answers, false declines, paid lines without
entitlement, ledger imbalances. Figures in ``docs/performance.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.concurrency.stack import (  # noqa: E402  (after the path is set)
    ADMIN,
    DEFAULT_DATABASE_URL,
    PAID_STATES,
    SECOND_ADMIN,
    Marketplace,
    Reply,
    Visitor,
    at_once,
    settled_audits,
)

DOUBLE_CLICK_EVERY = 5  # one payment in five is submitted twice at once
SAME_ORDER_EVERY = 3  # one refund in three is made by both admins at once
PARTIAL_SHARE = 30  # percent, for partial refunds


@dataclass
class Recorder:
    """Latencies by step, and every answer's status, from all threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    false_declines: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, reply: Reply | Exception) -> Reply | None:
        with self.lock:
            if isinstance(reply, Exception):
                self.statuses[step].append(0)
                return None
            self.latencies[step].append(reply.seconds)
            self.statuses[step].append(reply.status)
            if step == "pay" and reply.status == 402:
                self.false_declines += 1
        return reply

    def time(self, step: str, seconds: float) -> None:
        with self.lock:
            self.latencies[step].append(seconds)

    @property
    def requests(self) -> int:
        return sum(len(codes) for step, codes in self.statuses.items()
                   if not step.startswith("ref:"))

    @property
    def server_errors(self) -> int:
        return sum(1 for codes in self.statuses.values() for code in codes if code >= 500)

    @property
    def failed_requests(self) -> int:
        return sum(1 for codes in self.statuses.values() for code in codes if code == 0)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


# ---------------------------------------------------------------------------- the people


def buyer_loop(buyer: Visitor, plan: int, stop: threading.Event, record: Recorder,
               paid: list[str], paid_lock: threading.Lock, rng: random.Random) -> None:
    while not stop.is_set():
        if record.add("cart", buyer.add_to_cart(plan)) is None:
            continue
        order = record.add("checkout", buyer.check_out())
        if order is None or order.status != 201:
            continue
        number = order.json["number"]
        if rng.randrange(DOUBLE_CLICK_EVERY) == 0:
            replies = at_once(partial(buyer.pay, number), partial(buyer.pay, number))
        else:
            replies = [buyer.pay(number)]
        answers = [record.add("pay", reply) for reply in replies]
        if any(a is not None and a.status == 200 for a in answers):
            with paid_lock:
                paid.append(number)


def admin_loop(admins: tuple[Visitor, Visitor], stop: threading.Event, record: Recorder,
               paid: list[str], paid_lock: threading.Lock, total: int,
               rng: random.Random) -> None:
    first, second = admins
    while not stop.is_set():
        with paid_lock:
            number = paid.pop(rng.randrange(len(paid))) if paid else None
        if number is None:
            time.sleep(0.2)
            continue
        amount = total * PARTIAL_SHARE // 100 if rng.random() < 0.5 else total
        try:
            form = first.refund_form(number)
            if rng.randrange(SAME_ORDER_EVERY) == 0:
                other = second.refund_form(number)
                replies = at_once(partial(first.refund, number, form, amount, "Load test"),
                                  partial(second.refund, number, other, total, "Load test"))
            else:
                replies = [first.refund(number, form, amount, "Load test")]
        except Exception as exc:  # noqa: BLE001  (a failed request is counted, not fatal)
            record.add("refund", exc)
            continue
        for reply in replies:
            record.add("refund", reply)


def reference_get_loop(visitor: Visitor, stop: threading.Event, record: Recorder) -> None:
    while not stop.is_set():
        record.add("ref:get", visitor.request("GET", "/api/v1/cart"))


def reference_provider_loop(market: Marketplace, customer: str, stop: threading.Event,
                            record: Recorder) -> None:
    """The provider calls of one payment, straight to localstripe: card, intent, attach,
    update, confirm (what the adapter sends for the pay step)."""
    provider = market.provider
    while not stop.is_set():
        started = time.perf_counter()
        card = provider.request("POST", "/v1/payment_methods", {
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2040", "card[cvc]": "123"})
        intent = provider.request("POST", "/v1/payment_intents", {
            "amount": "100", "currency": "cny", "customer": customer,
            "payment_method_types[]": "card", "metadata[reference]": "bench"})
        provider.request("GET", f"/v1/payment_intents/{intent['id']}")
        provider.request("POST", f"/v1/payment_methods/{card['id']}/attach",
                         {"customer": customer})
        provider.request("POST", f"/v1/payment_intents/{intent['id']}",
                         {"payment_method": card["id"]})
        provider.request("POST", f"/v1/payment_intents/{intent['id']}/confirm", {})
        record.time("ref:provider", time.perf_counter() - started)


# ---------------------------------------------------------------------------- the run


def read_timing(folder: Path) -> list[dict]:
    rows = []
    for path in folder.glob("*.jsonl"):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return rows


def step_of(row: dict) -> str | None:
    path, method = row["path"], row["method"]
    if method == "POST" and path == "/api/v1/cart":
        return "cart"
    if method == "POST" and path == "/api/v1/orders":
        return "checkout"
    if method == "POST" and path.endswith("/payment"):
        return "pay"
    if method == "POST" and path.endswith("/refund"):
        return "refund"
    return None


def run(args) -> int:
    base_url = args.database_url or os.environ.get("DATAMARKET_TEST_DATABASE_URL") \
        or DEFAULT_DATABASE_URL
    with tempfile.TemporaryDirectory(prefix="bench-checkout-") as tmp:
        folder = Path(tmp)
        timing = folder / "timing"
        timing.mkdir()
        market = Marketplace(folder, base_url, suffix="checkout_load", workers=2, threads=4,
                             gunicorn_config=ROOT / "bench" / "checkout_timing.py",
                             extra_env={"CHECKOUT_TIMING_DIR": str(timing)})
        print("starting PostgreSQL database, localstripe and gunicorn...", file=sys.stderr)
        market.start()
        try:
            return measure(market, timing, args)
        finally:
            market.stop()


def measure(market: Marketplace, timing: Path, args) -> int:
    plan, price = market.one_time_plan()
    rng = random.Random(args.seed)
    print(f"signing up {args.buyers} buyers...", file=sys.stderr)
    with ThreadPoolExecutor(4) as pool:
        buyers = list(pool.map(
            lambda i: market.visitor().sign_up(f"load-{i}-{uuid.uuid4().hex[:8]}@example.com"),
            range(args.buyers)))
    # Each buyer pays once before the clock starts: its provider customer exists, as for a
    # returning buyer (a first payment's customer has a suite of its own).
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: b.pay(b.buy(plan)["number"]), buyers))
    admins = (market.visitor().log_in(*ADMIN), market.visitor().log_in(*SECOND_ADMIN))
    reader = market.visitor().sign_up(f"reader-{uuid.uuid4().hex[:8]}@example.com")
    customer = market.provider.request("POST", "/v1/customers",
                                       {"email": "reference@example.com"})["id"]
    for row in timing.glob("*.jsonl"):
        row.write_text("")  # the set-up's requests are not measured

    record = Recorder()
    stop = threading.Event()
    paid: list[str] = []
    paid_lock = threading.Lock()
    threads = [threading.Thread(target=buyer_loop, args=(
        buyer, plan, stop, record, paid, paid_lock, random.Random(rng.random())))
        for buyer in buyers]
    # Each admin refunds in turn; now and then the other refunds the same order at once.
    for pair in (admins, admins[::-1]):
        threads.append(threading.Thread(target=admin_loop, args=(
            pair, stop, record, paid, paid_lock, price, random.Random(rng.random()))))
    threads.append(threading.Thread(target=reference_get_loop, args=(reader, stop, record)))
    threads.append(threading.Thread(target=reference_provider_loop,
                                    args=(market, customer, stop, record)))
    print(f"load: {args.buyers} buyers, 2 admins, {args.seconds:g} s...", file=sys.stderr)
    args.load_before = os.getloadavg()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    print("checking the money...", file=sys.stderr)
    audits = settled_audits(market, None)
    report(market, record, audits, read_timing(timing), elapsed, args)
    return 0


def report(market: Marketplace, record: Recorder, audits, timing: list[dict], elapsed: float,
           args) -> None:
    print(f"Checkout under load: gunicorn as `make run` starts it (2 gthread workers x 4 "
          f"threads) on PostgreSQL with localstripe; {args.buyers} buyers and 2 admins for "
          f"{args.seconds:g} s")
    print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}; {datetime.date.today().isoformat()}; load "
          f"average {args.load_before[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after")
    print()
    print(f"Throughput: {record.requests / elapsed:.1f} requests/s "
          f"({record.requests} requests of buyers and admins in {elapsed:.1f} s: the load, "
          f"then the requests in flight finishing)")
    print()
    names = {"cart": "cart (POST /api/v1/cart)", "checkout": "checkout (POST /api/v1/orders)",
             "pay": "pay (POST .../payment)", "refund": "refund (admin form)",
             "ref:get": "reference: GET /api/v1/cart, signed in",
             "ref:provider": "reference: the pay step's provider calls alone"}
    rows = [[names[step], str(len(record.latencies[step])),
             f"{percentile(record.latencies[step], 0.50) * 1000:,.0f}",
             f"{percentile(record.latencies[step], 0.95) * 1000:,.0f}"]
            for step in names if record.latencies[step]]
    table(["step", "requests", "p50 ms", "p95 ms"], rows)
    print()

    by_step: dict[str, list[dict]] = defaultdict(list)
    for row in timing:
        if (step := step_of(row)) is not None:
            by_step[step].append(row)
    print("Where the time goes, mean ms per request (server side, from the timing log; "
          "queued = the client's time minus the server's):")
    phases = ("provider", "audit_lock", "order_lock", "sql", "commit")
    rows = []
    for step in ("cart", "checkout", "pay", "refund"):
        found = by_step.get(step, [])
        if not found:
            continue
        mean = {p: statistics.mean(r[p] for r in found) * 1000 for p in phases}
        server = statistics.mean(r["seconds"] for r in found) * 1000
        client = statistics.mean(record.latencies[step]) * 1000 if record.latencies[step] \
            else server
        rest = server - sum(mean.values())
        rows.append([step, f"{client:,.0f}", f"{max(0.0, client - server):,.0f}",
                     f"{server:,.0f}", *(f"{mean[p]:,.0f}" for p in phases), f"{rest:,.0f}"])
    table(["step", "client", "queued", "server", "provider", "audit head lock",
           "order lock", "other SQL", "commit", "Python"], rows)
    print()

    paid_audits = [a for a in audits.values() if a.state in PAID_STATES]
    checks = {
        "double charges (orders with two charges kept)":
            sum(1 for a in audits.values() if a.kept_charges > 1),
        "refunds where provider and books disagree (orders)":
            sum(1 for a in audits.values() if a.provider_refunded_booked != a.refunded),
        "refunded more than paid (orders)":
            sum(1 for a in audits.values() if a.refunded > a.paid
                or a.provider_refunded_booked > a.total),
        "5xx answers": record.server_errors,
        "requests that got no answer": record.failed_requests,
        "false declines (402 with the good card)": record.false_declines,
        "paid lines without entitlement":
            sum(max(0, a.lines - a.entitlements) for a in paid_audits),
        "ledger imbalance (orders)":
            sum(1 for a in audits.values() if a.ledger_net != a.paid - a.refunded),
        "receipts that are not one per charge (orders)":
            sum(1 for a in audits.values() if a.receipts != a.charges),
    }
    refunded_orders = sum(1 for a in audits.values() if a.refunded)
    print(f"Integrity ({len(audits)} orders, {len(paid_audits)} paid, {refunded_orders} "
          f"refunded in part or in full); every figure must be 0:")
    table(["check", "found"], [[name, str(value)] for name, value in checks.items()])
    problems = sum(checks.values())
    print()
    print("All integrity checks are zero." if problems == 0 else
          f"INTEGRITY PROBLEMS: {problems}.")


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="How long the load runs.")
    parser.add_argument("--buyers", type=int, default=40, help="Buyers checking out at once.")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--database-url", default="",
                        help="A PostgreSQL URL whose role may create databases (default: "
                             "DATAMARKET_TEST_DATABASE_URL, else the local dm server).")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.buyers < 1:
        parser.error("--seconds and --buyers must be positive")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
