"""The whole marketplace as it runs in production, for races that only several processes show.

A fresh PostgreSQL database (migrated with ``datamarket db upgrade``, demo data from
``datamarket seed-demo``, a second admin from ``datamarket create-admin``), a real localstripe
that signs and sends its events to the app, and gunicorn with ``gthread`` workers: started and
stopped by :class:`Marketplace`. People use it over HTTP with :class:`Visitor` (a session
cookie, the CSRF token, keep-alive connections). :func:`audit_orders` then puts what the
provider holds beside what our books say, order by order.

Used by the concurrency suite (tests/concurrency) and by ``bench/checkout_load.py``.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET
from tests.commerce_support import LocalstripeControl, LocalstripeServer
from tests.postgres_support import create_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://dm:dm@127.0.0.1:5432/dm"
WEBHOOK_SECRET = "whsec_localstripe"  # the app's default (marketplace.config)

ADMIN = ("admin@example.com", "demo-admin")  # from the demo data
SECOND_ADMIN = ("admin2@example.com", "demo-admin-two")  # created by Marketplace.start
PASSWORD = "concurrency-pass-1"  # every buyer signed up here


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Authenticator:
    """The admins' authenticator app, shared by every session of the stack: it knows the demo
    admin's key and learns the others' from the set-up page, as a person scanning it would.

    A code is accepted once, so two sign-ins of one admin within a 30-second step take the next
    step's code, and a third waits for the step to pass.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets = {ADMIN[0]: DEMO_ADMIN_TOTP_SECRET}
        self._last_step: dict[str, int] = {}

    def knows(self, email_address: str) -> bool:
        with self._lock:
            return email_address in self._secrets

    def learn(self, email_address: str, secret: str) -> None:
        with self._lock:
            self._secrets[email_address] = secret

    def code(self, email_address: str) -> str:
        while True:
            with self._lock:
                totp = pyotp.TOTP(self._secrets[email_address])
                current = int(time.time() // totp.interval)
                step = max(current, self._last_step.get(email_address, -1) + 1)
                if step <= current + 1:
                    self._last_step[email_address] = step
                    return totp.generate_otp(step)
            time.sleep(1)


# ---------------------------------------------------------------------------- the servers


class Marketplace:
    """PostgreSQL database, localstripe and gunicorn, on 127.0.0.1.

    :param base_url: a PostgreSQL URL whose role may create databases; the database made is
        named after it with ``suffix`` appended, and dropped first if it exists.
    """

    def __init__(self, folder: Path, base_url: str, *, suffix: str, workers: int, threads: int,
                 gunicorn_config: Path | None = None, extra_env: dict[str, str] | None = None):
        self.folder = folder
        base = make_url(base_url)
        if not base.drivername.startswith("postgresql"):
            raise ValueError(f"a PostgreSQL URL is needed, not {base.drivername}")
        self.admin_url = base_url
        self.database_name = f"{base.database}_{suffix}"
        self.database_url = base.set(database=self.database_name).render_as_string(
            hide_password=False)
        self.workers, self.threads = workers, threads
        self.gunicorn_config = gunicorn_config
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.localstripe: LocalstripeServer | None = None
        self.provider: LocalstripeControl | None = None
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None  # the background jobs' worker
        self.engine: Engine | None = None
        self._visitors: list[Visitor] = []
        self.authenticator = Authenticator()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.folder / "gunicorn.log"

    def env(self) -> dict[str, str]:
        env = {**os.environ,
               "DATABASE_URL": self.database_url,
               "DATAMARKET_INSTANCE_PATH": str(self.folder / "instance"),
               "SECRET_KEY": "concurrency-secret-key",
               "PYTHONWARNINGS": "ignore",
               **self.extra_env}
        if self.provider is not None:
            env["STRIPE_API_BASE"] = self.provider.base_url
        return env

    def _cli(self, *args: str) -> None:
        subprocess.run([str(BIN / "datamarket"), *args], cwd=ROOT, env=self.env(), check=True,
                       stdout=subprocess.DEVNULL)

    def start(self) -> Marketplace:
        self.folder.mkdir(parents=True, exist_ok=True)
        create_database(self.admin_url, self.database_name)
        self.localstripe = LocalstripeServer.start(log_file=self.folder / "localstripe.log")
        self.provider = LocalstripeControl(self.localstripe.base_url)
        self._cli("db", "upgrade")
        self._cli("seed-demo")
        self._cli("create-admin", "--email", SECOND_ADMIN[0], "--name", "Second admin",
                  "--password", SECOND_ADMIN[1])
        command = [str(BIN / "gunicorn"), "--workers", str(self.workers), "--worker-class",
                   "gthread", "--threads", str(self.threads), "--bind",
                   f"127.0.0.1:{self.port}", "--error-logfile", str(self.error_log),
                   "--log-level", "warning", "--graceful-timeout", "10"]
        if self.gunicorn_config is not None:
            command += ["--config", str(self.gunicorn_config)]
        self.gunicorn = subprocess.Popen([*command, "marketplace:create_app()"], cwd=ROOT,
                                         env=self.env(), stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        # As `make run` does: the jobs the server queues (e-mail, plugins' events) need one.
        with (self.folder / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen([str(BIN / "datamarket"), "worker"], cwd=ROOT,
                                           env=self.env(), stdout=log, stderr=log)
        self.provider.register_webhook(f"{self.base}/payments/webhook", WEBHOOK_SECRET,
                                       name="marketplace")
        self._wait_until_serving()
        self.engine = create_engine(self.database_url, pool_size=2)
        return self

    def _wait_until_serving(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.error_log}:\n"
                                   + self.error_log.read_text()[-3000:])
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.3)
        raise RuntimeError(f"the marketplace did not answer within {timeout:g} s")

    def visitor(self) -> Visitor:
        """A new browser session on the marketplace (closed when the stack stops)."""
        visitor = Visitor(self.base, mail_folder=self.folder / "instance" / "mail",
                          authenticator=self.authenticator)
        self._visitors.append(visitor)
        return visitor

    def stop(self) -> None:
        for visitor in self._visitors:
            visitor.close()
        if self.engine is not None:
            self.engine.dispose()
        for process in (self.gunicorn, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.localstripe is not None:
            self.localstripe.stop()

    def server_errors(self) -> str:
        """The tracebacks gunicorn logged (what a 5xx came from)."""
        return self.error_log.read_text() if self.error_log.exists() else ""

    # -- what the tests buy ---------------------------------------------------------------

    def one_time_plan(self) -> tuple[int, int]:
        """(plan id, price) of a published one-time plan anyone may buy without an
        authorization application."""
        with self.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT p.id, p.price FROM pricing_plan p JOIN listing l ON l.id = p.listing_id "
                "WHERE l.state = 'published' AND l.classification_level < 3 "
                "AND p.model = 'one_time' AND p.price > 0 ORDER BY p.price, p.id LIMIT 1")).one()
        return int(row.id), int(row.price)


# ---------------------------------------------------------------------------- people


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def hidden_value(html: str, name: str) -> str:
    """The value of the form input named ``name`` in ``html``."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            if match:
                return match.group(1)
    raise AssertionError(f"no input named {name!r} in the page")


class Visitor:
    """One person's browser session: a cookie jar shared by every thread that uses it (a
    double click is two threads with the same session), a keep-alive connection per thread."""

    def __init__(self, base: str, email: str = "", mail_folder: Path | None = None,
                 authenticator: Authenticator | None = None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.email = email
        self.mail_folder = mail_folder
        self.authenticator = authenticator
        self.cookies: dict[str, str] = {}
        self.api_token = ""
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port,
                                                                 timeout=120)
            with self._lock:
                self._connections.append(conn)
        return conn

    def request(self, method: str, path: str, *, json_body: Any = None,
                form: dict[str, str] | None = None) -> Reply:
        headers = {}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET" and self.api_token and json_body is not None:
            headers["X-CSRFToken"] = self.api_token
        with self._lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: open a new one once.
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        seconds = time.perf_counter() - started
        with self._lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    if morsel["expires"] and "1970" in morsel["expires"] or \
                            morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Reply(response.status, payload, dict(response.headers), seconds)

    def close(self) -> None:
        """Close the connections of every thread that used this session."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    # -- signing in ----------------------------------------------------------------------

    def _after_sign_in(self, reply: Reply, what: str) -> Visitor:
        if reply.status != 302:
            raise AssertionError(f"{what} {self.email}: {reply.status} {reply.text[:500]}")
        token = self.request("GET", "/api/v1/csrf-token")
        self.api_token = token.json["csrf_token"]
        return self

    def log_in(self, email: str, password: str) -> Visitor:
        self.email = email
        page = self.request("GET", "/login")
        reply = self.request("POST", "/login", form={
            "csrf_token": hidden_value(page.text, "csrf_token"), "email": email,
            "password": password})
        if reply.status == 302 and reply.headers.get("Location", "").endswith(
                "/login/second-factor"):
            reply = self._second_factor()
        return self._after_sign_in(reply, "log in")

    def _second_factor(self) -> Reply:
        """An admin's second step: the authenticator's code (set up on the first sign-in)."""
        assert self.authenticator is not None, "this visitor was not given an authenticator"
        path = "/login/second-factor"
        page = self.request("GET", path)
        if page.status == 302 and page.headers.get("Location", "").endswith("/enrol"):
            path = "/login/second-factor/enrol"
            page = self.request("GET", path)
            secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text)
            assert secret, f"no authenticator key on the set-up page: {page.text[:300]}"
            self.authenticator.learn(self.email, secret.group(1))
        assert page.status == 200, (page.status, page.text[:300])
        reply = self.request("POST", path, form={
            "csrf_token": hidden_value(page.text, "csrf_token"),
            "code": self.authenticator.code(self.email)})
        if path.endswith("/enrol") and reply.status == 200:
            # The recovery codes, shown once; the page links on to where the sign-in went.
            return Reply(302, b"", {}, reply.seconds)
        return reply

    def sign_up(self, email: str, password: str = PASSWORD) -> Visitor:
        """Sign up, follow the confirmation link mailed to the address, and log in."""
        self.email = email
        page = self.request("GET", "/signup")
        reply = self.request("POST", "/signup", form={
            "csrf_token": hidden_value(page.text, "csrf_token"), "display_name": email[:40],
            "email": email, "password": password, "confirm": password})
        if reply.status != 302:
            raise AssertionError(f"sign up {email}: {reply.status} {reply.text[:500]}")
        self.request("GET", self._confirmation_path(email))
        return self.log_in(email, password)

    def _confirmation_path(self, email_address: str, wait: float = 60.0) -> str:
        """The link of the confirmation mail, which the jobs' worker sends soon after."""
        assert self.mail_folder is not None, "this visitor was not told the mail folder"
        deadline = time.monotonic() + wait
        while True:
            for path in sorted(self.mail_folder.glob("*.eml")):
                message = email.message_from_bytes(path.read_bytes(),
                                                   policy=email.policy.default)
                if message["To"] == email_address:
                    return re.search(r"/confirm/\S+", message.get_content()).group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no confirmation mail for {email_address}")
            time.sleep(0.2)

    # -- buying --------------------------------------------------------------------------

    def add_to_cart(self, plan_id: int) -> Reply:
        return self.request("POST", "/api/v1/cart", json_body={"plan_id": plan_id})

    def check_out(self) -> Reply:
        return self.request("POST", "/api/v1/orders", json_body={"attempt": uuid.uuid4().hex})

    def buy(self, plan_id: int) -> dict[str, Any]:
        """Put the plan in the cart and check out: the order awaiting payment."""
        added = self.add_to_cart(plan_id)
        assert added.status == 201, (added.status, added.text[:500])
        order = self.check_out()
        assert order.status == 201, (order.status, order.text[:500])
        return order.json

    def pay(self, number: str, card: str = "visa_ok") -> Reply:
        return self.request("POST", f"/api/v1/orders/{number}/payment",
                            json_body={"card": card})

    # -- refunding (admins) --------------------------------------------------------------

    def refund_form(self, number: str) -> dict[str, str]:
        """The hidden fields of the admin's refund form on the order page (a new tab)."""
        page = self.request("GET", f"/admin/orders/{number}")
        assert page.status == 200, (page.status, page.text[:300])
        return {"csrf_token": hidden_value(page.text, "csrf_token"),
                "request_key": hidden_value(page.text, "request_key")}

    def refund(self, number: str, fields: dict[str, str], amount: int, reason: str) -> Reply:
        """Post the refund form; ``amount`` in fen, typed in yuan as a person would."""
        return self.request("POST", f"/admin/orders/{number}/refund", form={
            **fields, "amount": f"{amount // 100}.{amount % 100:02d}", "reason": reason})


def at_once(*calls) -> list[Any]:
    """Run the calls on threads released together by a barrier; their results in order
    (an exception is returned in its call's place)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001  (reported by the caller)
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# ---------------------------------------------------------------------------- the provider


def _list_all(provider: LocalstripeControl, path: str) -> list[dict[str, Any]]:
    """Every object of a localstripe list, page after page."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        query = {"limit": 100, **({"starting_after": after} if after else {})}
        page = provider.request("GET", f"{path}?{urllib.parse.urlencode(query)}")
        found += page["data"]
        if not page["has_more"] or not page["data"]:
            return found
        after = page["data"][-1]["id"]


@dataclass
class ProviderState:
    """What localstripe holds: payment intents by order number, refunds by intent, and
    customers by e-mail address."""

    intents: dict[str, list[dict[str, Any]]]
    refunded: dict[str, int]
    customers: dict[str, int]

    @classmethod
    def read(cls, provider: LocalstripeControl) -> ProviderState:
        intents: dict[str, list[dict[str, Any]]] = defaultdict(list)
        charge_intent: dict[str, str] = {}
        for intent in _list_all(provider, "/v1/payment_intents"):
            number = (intent.get("metadata") or {}).get("order_number")
            if number:
                intents[number].append(intent)
            charge = intent.get("latest_charge")
            charge_id = charge["id"] if isinstance(charge, dict) else charge
            if charge_id:
                charge_intent[charge_id] = intent["id"]
        refunded: dict[str, int] = defaultdict(int)
        for refund in _list_all(provider, "/v1/refunds"):
            if refund.get("status") not in ("succeeded", "pending"):
                continue
            intent_id = refund.get("payment_intent") or charge_intent.get(refund.get("charge"))
            refunded[intent_id] += int(refund["amount"])
        customers: dict[str, int] = defaultdict(int)
        for customer in _list_all(provider, "/v1/customers"):
            customers[(customer.get("email") or "").lower()] += 1
        return cls(dict(intents), dict(refunded), dict(customers))


# ---------------------------------------------------------------------------- the books


PAID_STATES = ("paid", "fulfilled", "partly_refunded", "refunded")


@dataclass
class OrderAudit:
    """One order as the provider and our books see it."""

    number: str
    state: str
    total: int
    paid: int  # books: charge_succeeded events
    refunded: int  # books: refund_succeeded events
    charges: int  # books: charge_succeeded events
    receipts: int
    lines: int
    entitlements: int
    ledger_net: int  # books: the ledger entries of the order, summed
    intents_succeeded: list[tuple[str, int, int]] = field(default_factory=list)
    # (intent id, amount received, amount refunded) of each succeeded intent at the provider
    charge_refs: set[str] = field(default_factory=set)  # the intents our books recorded

    @property
    def kept_charges(self) -> int:
        """Succeeded intents whose money the provider still keeps (not fully refunded)."""
        return sum(1 for _id, amount, refunded in self.intents_succeeded if refunded < amount)

    @property
    def provider_net(self) -> int:
        return sum(amount - refunded for _id, amount, refunded in self.intents_succeeded)

    @property
    def provider_refunded_booked(self) -> int:
        """What the provider refunded on the intents our books recorded as paid."""
        return sum(refunded for intent_id, _a, refunded in self.intents_succeeded
                   if intent_id in self.charge_refs)

    def problems(self) -> list[str]:
        """Each way provider and books disagree, or the books disagree with themselves."""
        found = []
        if self.kept_charges > 1:
            found.append(f"double charge: {self.kept_charges} intents kept")
        if self.provider_refunded_booked != self.refunded:
            found.append(f"refund mismatch: provider {self.provider_refunded_booked}, "
                         f"books {self.refunded}")
        if self.provider_net != self.paid - self.refunded:
            found.append(f"net mismatch: provider keeps {self.provider_net}, books "
                         f"{self.paid - self.refunded}")
        if self.refunded > self.paid:
            found.append(f"refunded {self.refunded} > paid {self.paid}")
        if self.state in PAID_STATES:
            if self.paid != self.total:
                found.append(f"paid {self.paid} != total {self.total}")
            if self.entitlements != self.lines:
                found.append(f"{self.lines} paid lines, {self.entitlements} entitlements")
        if self.receipts != self.charges:
            found.append(f"{self.charges} charges, {self.receipts} receipts")
        if self.ledger_net != self.paid - self.refunded:
            found.append(f"ledger {self.ledger_net} != paid - refunded "
                         f"{self.paid - self.refunded}")
        return found


def audit_orders(market: Marketplace, numbers: Iterable[str] | None = None,
                 provider_state: ProviderState | None = None) -> dict[str, OrderAudit]:
    """Every order (or those numbered), as provider and books see it: a fixed number of
    queries, whatever the number of orders."""
    wanted = list(numbers) if numbers is not None else None
    where = "WHERE o.total > 0" + (" AND o.number = ANY(:numbers)" if wanted is not None else "")
    params = {"numbers": wanted} if wanted is not None else {}
    with market.engine.connect() as conn:
        rows = conn.execute(text(f"""
            SELECT o.id, o.number, o.state, o.total,
              (SELECT count(*) FROM order_line l WHERE l.order_id = o.id) AS lines,
              (SELECT count(*) FROM entitlement e WHERE e.order_id = o.id) AS entitlements,
              (SELECT count(*) FROM receipt r WHERE r.order_id = o.id) AS receipts,
              (SELECT coalesce(sum(amount), 0) FROM ledger_entry g WHERE g.order_id = o.id)
                AS ledger_net
            FROM commerce_order o {where}"""), params).all()
        events = conn.execute(text(f"""
            SELECT o.number, p.kind, p.amount, p.provider_ref FROM payment_event p
            JOIN commerce_order o ON o.id = p.order_id {where}
            AND p.kind IN ('charge_succeeded', 'refund_succeeded')"""), params).all()
    provider_state = provider_state or ProviderState.read(market.provider)
    audits = {row.number: OrderAudit(
        number=row.number, state=row.state, total=row.total, paid=0, refunded=0, charges=0,
        receipts=row.receipts, lines=row.lines, entitlements=row.entitlements,
        ledger_net=int(row.ledger_net)) for row in rows}
    for number, kind, amount, ref in events:
        audit = audits[number]
        if kind == "charge_succeeded":
            audit.paid += amount
            audit.charges += 1
            audit.charge_refs.add(ref)
        else:
            audit.refunded += amount
    for number, audit in audits.items():
        for intent in provider_state.intents.get(number, []):
            if intent["status"] == "succeeded":
                received = int(intent.get("amount_received") or intent["amount"])
                audit.intents_succeeded.append(
                    (intent["id"], received, provider_state.refunded.get(intent["id"], 0)))
    return audits


def settled_audits(market: Marketplace, numbers: list[str] | None, *,
                   wait: float = 15.0) -> dict[str, OrderAudit]:
    """The audits once webhooks in flight have landed: re-read while some order shows a
    problem, for up to ``wait`` seconds (localstripe sends each event about a second after
    the change)."""
    deadline = time.monotonic() + wait
    while True:
        audits = audit_orders(market, numbers)
        if time.monotonic() > deadline or not any(a.problems() for a in audits.values()):
            return audits
        time.sleep(1.0)
