"""Test support for payments: a localstripe server per test process, its controls, a webhook
receiver, and Stripe-style webhook signatures.

The ``localstripe`` fixture (tests/conftest.py) starts one :class:`LocalstripeServer` per
pytest-xdist worker, the first time a test asks for it, and hands tests a
:class:`LocalstripeControl`. A test that uses the fixture gets an app whose payments adapter talks
to that server, with an instance tag of its own.

What localstripe can be made to do (measured on localstripe 1.15.10):

- renew a subscription: move it to its next period (our launcher's ``next_period`` control),
  then create the subscription's next invoice and pay it — ``invoice.created``,
  ``payment_intent.succeeded`` and ``invoice.payment_succeeded`` follow;
- fail a renewal: the same with a customer whose default card needs 3-D Secure and is then
  declined (4000008260003178). localstripe sends no event when an invoice payment is simply
  declined; through the authentication step it sends ``payment_intent.payment_failed`` and
  ``invoice.payment_failed`` and marks the subscription ``past_due``, as Stripe would;
- deliver signed webhooks: about one second after each change, to every registered URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = "marketplace.commerce.payments.localstripe_server"
SECRET_KEY = "sk_test_localstripe"
# A card that needs 3-D Secure and is then declined: how a renewal is made to fail.
RENEWAL_DECLINING_CARD = "4000008260003178"


class LocalstripeServer:
    """localstripe run by our launcher in a child process, on 127.0.0.1 and a free port."""

    def __init__(self, process: subprocess.Popen, base_url: str, log_file: Path | None):
        self.process = process
        self.base_url = base_url
        self.log_file = log_file

    @classmethod
    def start(cls, *, state_file: Path | None = None, log_file: Path | None = None,
              port: int = 0, timeout: float = 30.0) -> LocalstripeServer:
        """Start the launcher and wait for its ready line (``--port 0`` picks a free port)."""
        log = open(log_file, "ab") if log_file else subprocess.DEVNULL
        command = [sys.executable, "-m", LAUNCHER, "--port", str(port),
                   "--state-file", str(state_file) if state_file else ""]
        if log_file is None:
            command.append("--quiet")
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                                   env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if log_file:
            log.close()
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(process.stdout.readline().decode()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        line = ready[0].strip() if ready else ""
        prefix = "localstripe listening on "
        if not line.startswith(prefix):
            process.kill()
            process.wait()
            raise RuntimeError(f"localstripe did not start (said {line!r}); see {log_file}")
        return cls(process, line[len(prefix):], log_file)

    def stop(self) -> int:
        """Stop with SIGTERM, as a user would; return the exit status."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.process.stdout.close()


class LocalstripeControl:
    """What tests do to localstripe beyond what the adapter does: time, webhooks, a clean slate."""

    def __init__(self, base_url: str, secret_key: str = SECRET_KEY):
        self.base_url = base_url
        self.secret_key = secret_key

    def settings(self) -> dict[str, str]:
        """App settings that point the payments adapter at this server."""
        return {"STRIPE_API_BASE": self.base_url, "STRIPE_SECRET_KEY": self.secret_key}

    def register_webhook(self, url: str, secret: str, *, name: str = "tests",
                         events: list[str] | None = None) -> None:
        """Have localstripe sign and send events (all of them unless ``events``) to ``url``.

        Registering the same ``name`` again replaces that endpoint.
        """
        data: list[tuple[str, str]] = [("url", url), ("secret", secret)]
        data += [("events[]", event) for event in events or []]
        self.request("POST", f"/_config/webhooks/{name}", data)

    def flush(self) -> None:
        """Forget every object (registered webhooks stay)."""
        self.request("DELETE", "/_config/data")

    def renew(self, subscription_id: str, *, succeed: bool = True) -> str:
        """Bill a subscription's next period now, as Stripe does at the end of a period.

        With ``succeed=False`` the customer's card is first replaced by one that the bank
        declines, so the renewal fails and the subscription becomes ``past_due``.
        Returns the renewal invoice's id.
        """
        subscription = self.request(
            "POST", f"/_config/datamarket/subscriptions/{subscription_id}/next_period")
        customer = subscription["customer"]
        if not succeed:
            card = self.request("POST", "/v1/payment_methods", {
                "type": "card", "card[number]": RENEWAL_DECLINING_CARD, "card[exp_month]": "12",
                "card[exp_year]": "2040", "card[cvc]": "123"})
            self.request("POST", f"/v1/payment_methods/{card['id']}/attach",
                         {"customer": customer})
            self.request("POST", f"/v1/customers/{customer}",
                         {"invoice_settings[default_payment_method]": card["id"]})
        invoice = self.request("POST", "/v1/invoices",
                               {"customer": customer, "subscription": subscription_id})
        # Stripe copies the subscription's metadata onto its invoices (subscription_details);
        # localstripe's renewal invoice has none, so it gets the subscription's here.
        self.request("POST", f"/v1/invoices/{invoice['id']}",
                     {f"metadata[{key}]": value
                      for key, value in subscription["metadata"].items()})
        invoice = self.request("POST", f"/v1/invoices/{invoice['id']}/pay")
        if not succeed:
            intent = self.request("GET", f"/v1/payment_intents/{invoice['payment_intent']}")
            # The buyer "authenticates" and the bank then declines: localstripe answers 402.
            self.request("POST", f"/v1/payment_intents/{intent['id']}/_authenticate",
                         {"client_secret": intent["client_secret"], "success": "true"},
                         expect=(402,))
        return invoice["id"]

    def request(self, method: str, path: str, data: Any = None,
                expect: tuple[int, ...] = (200,)) -> Any:
        """Call localstripe with our secret key; returns the decoded JSON (None if empty)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method,
            headers={"Authorization": f"Bearer {self.secret_key}"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status not in expect:
            raise AssertionError(f"localstripe {method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload.strip() else None


@dataclass
class Delivery:
    """One webhook request as received."""

    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 that records the webhooks posted to it."""

    def __init__(self) -> None:
        receiver = self
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    receiver.deliveries.append(Delivery(dict(self.headers), body))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/payments/webhook"

    def wait_for(self, event_type: str, *, object_id: str | None = None,
                 timeout: float = 10.0) -> Delivery:
        """The first delivery of ``event_type`` (about ``object_id``), waiting up to timeout."""

        def match() -> Delivery | None:
            for delivery in self.deliveries:
                event = delivery.event
                if event["type"] == event_type and (
                        object_id is None or event["data"]["object"].get("id") == object_id):
                    return delivery
            return None

        deadline = time.monotonic() + timeout
        with self._arrived:
            while (found := match()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [d.event["type"] for d in self.deliveries]
                    raise AssertionError(f"no {event_type} webhook within {timeout}s; got {seen}")
                self._arrived.wait(left)
        return found

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def stripe_signature(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``, computed as Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
