"""The one payments adapter: Stripe in production, localstripe (a stateful fake) everywhere else.

:class:`StripePayments` is built from settings with a ``stripe.StripeClient`` of its own (never
module globals) and lives in ``app.extensions["payments"]`` (:func:`init_app`,
:func:`get_payments`). Both backends take the same code path; where localstripe falls short of
Stripe, the adapter makes up for it and says so where it does (docs/decisions.md, "Payments: one
adapter over Stripe and localstripe"). No ``stripe.StripeError`` escapes: callers get a
:class:`PaymentError` whose message a buyer can act on.

Plans, subscriptions and invoices are in :mod:`.stripe_billing`, the translation of Stripe's
errors in :mod:`.stripe_errors`, and the contract (Protocol, results, errors, test cards) in
:mod:`.types`; import them all from :mod:`marketplace.commerce.payments`.

Every object we create carries ``metadata[INSTANCE_TAG_KEY] = STRIPE_INSTANCE_TAG``;
:meth:`StripePayments.is_ours` checks it so that webhook events about anything else are ignored.
A subscription's payments reach us as ``invoice.*`` events: Stripe leaves the payment intent of a
subscription invoice without metadata, while the invoice's subscription lines carry the
subscription's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import stripe
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from marketplace.commerce.payments.stripe_billing import (
    RecurringBilling,
    StripeAccount,
    default_card_of,
)
from marketplace.commerce.payments.stripe_errors import request_options, stripe_errors
from marketplace.commerce.payments.types import (  # noqa: F401  (re-exported)
    INSTANCE_TAG_KEY,
    TEST_CARDS,
    HostedCheckout,
    InvoiceInfo,
    InvoiceLine,
    PaymentError,
    PaymentGateway,
    PaymentIntentInfo,
    RefundInfo,
    SandboxCard,
    SubscriptionInfo,
    WebhookEvent,
    WebhookSignatureError,
    decline_message,
    object_id,
)

__all__ = [
    "INSTANCE_TAG_KEY", "TEST_CARDS", "HostedCheckout", "InvoiceInfo", "InvoiceLine",
    "PaymentError", "PaymentGateway", "PaymentIntentInfo", "RefundInfo", "SandboxCard",
    "StripePayments", "SubscriptionInfo", "WebhookEvent", "WebhookSignatureError",
    "decline_message", "get_payments", "init_app",
]

# Seconds a webhook signature stays valid (Stripe's own default).
WEBHOOK_TOLERANCE = 300


def init_app(app: Flask) -> None:
    """Build the adapter from the app's settings and keep it in ``app.extensions``."""
    app.extensions["payments"] = StripePayments.from_config(app.config)


def get_payments() -> PaymentGateway:
    """The current app's payments adapter."""
    return current_app.extensions["payments"]


class StripePayments:
    """:class:`PaymentGateway` over Stripe's API, or over localstripe when ``api_base`` is set.

    All amounts are integers in the currency's smallest unit (fen for CNY). Plans,
    subscriptions and invoices are a part of their own, :class:`RecurringBilling`, that this
    class holds and hands those calls to; both parts share one :class:`StripeAccount`.
    """

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "",
                 currency: str = "cny", instance_tag: str = "datamarket",
                 publishable_key: str = "", http_client: stripe.HTTPClient | None = None,
                 timeout: float = 30.0):
        self.api_base = api_base
        self.local = bool(api_base)
        self.currency = currency
        self.instance_tag = instance_tag
        self.publishable_key = publishable_key
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
            # Stripe's retries send an idempotency key; localstripe ignores those keys, so a
            # retried write there could happen twice.
            max_network_retries=0 if self.local else 2,
        )
        self.account = StripeAccount(self.client, local=self.local, instance_tag=instance_tag)
        self.recurring = RecurringBilling(self.account, self.retrieve_payment_intent)

    # -- plans, subscriptions and invoices: the recurring part -------------------------------

    def ensure_plan(self, *, plan_key: str, product_name: str, amount: int, currency: str,
                    interval: Literal["month", "year"], metadata: dict[str, Any]) -> str:
        return self.recurring.ensure_plan(plan_key=plan_key, product_name=product_name,
                                          amount=amount, currency=currency, interval=interval,
                                          metadata=metadata)

    def create_subscription(self, *, customer_id: str, plan_id: str, payment_method: str | None,
                            metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> SubscriptionInfo:
        return self.recurring.create_subscription(
            customer_id=customer_id, plan_id=plan_id, payment_method=payment_method,
            metadata=metadata, idempotency_key=idempotency_key)

    def cancel_subscription_at_period_end(self, subscription_id: str) -> SubscriptionInfo:
        return self.recurring.cancel_subscription_at_period_end(subscription_id)

    def cancel_subscription_now(self, subscription_id: str) -> SubscriptionInfo:
        return self.recurring.cancel_subscription_now(subscription_id)

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionInfo:
        return self.recurring.retrieve_subscription(subscription_id)

    def create_invoice_item(self, *, customer_id: str, amount: int, currency: str,
                            description: str, metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> str:
        return self.recurring.create_invoice_item(
            customer_id=customer_id, amount=amount, currency=currency, description=description,
            metadata=metadata, idempotency_key=idempotency_key)

    def create_invoice(self, *, customer_id: str, metadata: dict[str, Any],
                       subscription_id: str | None = None) -> InvoiceInfo:
        return self.recurring.create_invoice(customer_id=customer_id, metadata=metadata,
                                             subscription_id=subscription_id)

    def pay_invoice(self, invoice_id: str, *, payment_method: str | None = None) -> InvoiceInfo:
        return self.recurring.pay_invoice(invoice_id, payment_method=payment_method)

    def retrieve_invoice(self, invoice_id: str) -> InvoiceInfo:
        return self.recurring.retrieve_invoice(invoice_id)

    @classmethod
    def from_config(cls, config) -> StripePayments:
        return cls(
            secret_key=config["STRIPE_SECRET_KEY"],
            webhook_secret=config["STRIPE_WEBHOOK_SECRET"],
            api_base=config.get("STRIPE_API_BASE", ""),
            currency=config.get("PAYMENTS_CURRENCY", "cny"),
            instance_tag=config.get("STRIPE_INSTANCE_TAG", "datamarket"),
            publishable_key=config.get("STRIPE_PUBLISHABLE_KEY", ""),
        )

    @property
    def supports_hosted_checkout(self) -> bool:
        """Stripe Checkout exists on real Stripe only; localstripe has no Checkout Sessions."""
        return not self.local

    @property
    def test_mode(self) -> bool:
        return self.local or self._secret_key.startswith("sk_test_")

    # -- customers and cards ---------------------------------------------------------------

    def ensure_customer(self, *, user_id: int, email: str, customer_id: str | None) -> str:
        """The Stripe customer of a user: ``customer_id`` if it still exists, else a new one."""
        if customer_id:
            try:
                with stripe_errors():
                    existing = self.client.v1.customers.retrieve(customer_id).to_dict()
                if not existing.get("deleted"):
                    return customer_id
            except PaymentError as error:
                if error.code != "resource_missing":
                    raise
        with stripe_errors():
            created = self.client.v1.customers.create(params={
                "email": email, "metadata": self.account.tagged({"user_id": user_id})})
        return created.id

    def delete_customer(self, customer_id: str) -> None:
        """Remove a customer we made and do not use (the loser of two simultaneous sign-ups)."""
        with stripe_errors():
            self.client.v1.customers.delete(customer_id)

    def test_payment_method(self, card: str) -> str:
        """A payment method for ``TEST_CARDS[card]``; refused unless in test mode."""
        if not self.test_mode:
            raise PaymentError(_l("Test cards cannot be used with live payments."), "unsupported")
        if card not in TEST_CARDS:
            raise PaymentError(_l("There is no test card called %(name)s.", name=card),
                               "invalid_request")
        spec = TEST_CARDS[card]
        if not self.local:
            return spec.stripe_test_method
        with stripe_errors():
            method = self.client.v1.payment_methods.create(params={
                "type": "card",
                "card": {"number": spec.number, "exp_month": 12,
                         "exp_year": datetime.now(UTC).year + 5, "cvc": "123"}})
        return method.id

    def save_default_card(self, customer_id: str, payment_method: str) -> str:
        """Keep a card on the customer for later charges (metered usage bills, renewals).

        A card the bank refuses when it is saved raises :class:`PaymentError`.
        """
        with stripe_errors():
            return self.account.save_card(customer_id, payment_method, make_default=True)

    def default_card(self, customer_id: str) -> str | None:
        """The customer's default card (what :meth:`save_default_card` kept), if any."""
        with stripe_errors():
            customer = self.client.v1.customers.retrieve(customer_id).to_dict()
        return object_id(default_card_of(customer))

    # -- one-time payments -----------------------------------------------------------------

    def create_payment_intent(self, *, amount: int, currency: str, customer_id: str | None,
                              metadata: dict[str, Any],
                              idempotency_key: str | None = None) -> PaymentIntentInfo:
        """A payment intent for ``amount``, left unconfirmed (see :meth:`confirm_payment_intent`).

        :param idempotency_key: makes a retried call return the same intent on real Stripe.
        """
        params: dict[str, Any] = {"amount": amount, "currency": currency.lower(),
                                  "payment_method_types": ["card"],
                                  "metadata": self.account.tagged(metadata)}
        if customer_id:
            params["customer"] = customer_id
        with stripe_errors():
            intent = self.client.v1.payment_intents.create(
                params=params, options=request_options(idempotency_key))
        return PaymentIntentInfo.from_stripe(intent.to_dict())

    def confirm_payment_intent(self, intent_id: str, *,
                               payment_method: str) -> PaymentIntentInfo:
        """Pay the intent with ``payment_method``, saving the card on the intent's customer.

        A declined card raises :class:`PaymentError` (``code`` ``card_declined`` or Stripe's
        more precise code, ``payment_intent_id`` set) rather than returning the intent in
        ``requires_payment_method``: a decline is reported the same way whether the bank refused
        the card when it was saved or when it was charged. A card that needs 3-D Secure returns
        the intent in ``requires_action``. An intent already paid (a second submit) is returned
        as it is.
        """
        with stripe_errors(payment_intent_id=intent_id):
            intent = self.client.v1.payment_intents.retrieve(intent_id).to_dict()
            if intent["status"] in ("succeeded", "processing", "requires_capture"):
                return PaymentIntentInfo.from_stripe(intent)
            customer_id = object_id(intent.get("customer"))
            if customer_id:
                payment_method = self.account.save_card(customer_id, payment_method)
            # localstripe's confirm takes no payment_method, so it is set first (Stripe too).
            self.client.v1.payment_intents.update(
                intent_id, params={"payment_method": payment_method})
            confirmed = self.client.v1.payment_intents.confirm(intent_id)
        return PaymentIntentInfo.from_stripe(confirmed.to_dict())

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentInfo:
        with stripe_errors(payment_intent_id=intent_id):
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        return PaymentIntentInfo.from_stripe(intent.to_dict())

    def list_payment_intents(self, *, created_after: datetime) -> list[PaymentIntentInfo]:
        """Every one of our payment intents created at or after ``created_after``, page after
        page (for reconciliation: a period may hold thousands).

        Real Stripe filters by date on its side; localstripe lists every intent (it refuses a
        ``created`` filter), so the date is also checked here.
        """
        since = int(_aware(created_after).timestamp())
        params: dict[str, Any] = {"limit": 100}
        if not self.local:
            params["created"] = {"gte": since}
        found: list[PaymentIntentInfo] = []
        with stripe_errors():
            for intent in self.client.v1.payment_intents.list(params=params).auto_paging_iter():
                data = intent.to_dict()
                if data["created"] >= since and self.is_ours(data):
                    found.append(PaymentIntentInfo.from_stripe(data))
        return found

    # -- refunds ---------------------------------------------------------------------------

    def refund(self, *, payment_intent_id: str, amount: int, metadata: dict[str, Any],
               idempotency_key: str | None = None) -> RefundInfo:
        """Refund ``amount`` of a succeeded payment; more than what is left raises PaymentError.

        The remaining amount is checked here too because localstripe accepts any refund.
        """
        if amount <= 0:
            raise PaymentError(_l("Enter a refund amount greater than zero."), "invalid_amount")
        with stripe_errors(payment_intent_id=payment_intent_id):
            intent = self.client.v1.payment_intents.retrieve(
                payment_intent_id, params={"expand": ["latest_charge"]}).to_dict()
            charge = intent.get("latest_charge")
            if intent["status"] != "succeeded" or not isinstance(charge, dict):
                raise PaymentError(_l("Only a completed payment can be refunded."),
                                   "charge_not_refundable", payment_intent_id=payment_intent_id)
            received = PaymentIntentInfo.from_stripe(intent).amount_received
            left = received - int(charge.get("amount_refunded") or 0)
            if amount > left:
                raise PaymentError(
                    _l("The refund is larger than what is left to refund on this payment."),
                    "amount_too_large", payment_intent_id=payment_intent_id)
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount,
                        "metadata": self.account.tagged(metadata)},
                options=request_options(idempotency_key))
        return RefundInfo.from_stripe(refund.to_dict())

    def list_refunds(self, *, created_after: datetime) -> list[RefundInfo]:
        """Every refund made at or after ``created_after``, page after page, ours or not (a
        refund made in the provider's dashboard carries no tag; the caller matches refunds to
        its payments)."""
        since = int(_aware(created_after).timestamp())
        params: dict[str, Any] = {"limit": 100}
        if not self.local:
            params["created"] = {"gte": since}
        with stripe_errors():
            return [RefundInfo.from_stripe(data)
                    for refund in self.client.v1.refunds.list(params=params).auto_paging_iter()
                    if (data := refund.to_dict()).get("created", since) >= since]

    def retrieve_refund(self, refund_id: str) -> RefundInfo:
        with stripe_errors():
            return RefundInfo.from_stripe(self.client.v1.refunds.retrieve(refund_id).to_dict())

    # -- webhooks --------------------------------------------------------------------------

    def construct_event(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify a webhook's ``Stripe-Signature`` and parse it.

        :raises WebhookSignatureError: the signature is missing, does not match our webhook
            secret, is older than five minutes, or the body is not an event.
        """
        if not signature_header:
            raise WebhookSignatureError("The Stripe-Signature header is missing.")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE)
            return WebhookEvent.from_stripe(json.loads(payload))
        except stripe.SignatureVerificationError as error:
            raise WebhookSignatureError("The webhook signature does not verify.") from error
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            raise WebhookSignatureError("The webhook body is not a Stripe event.") from error

    def is_ours(self, obj: dict[str, Any]) -> bool:
        """Whether a Stripe object (an event's ``data.object``) was created by this instance.

        Looks at the object's metadata, then, for invoices, at the subscription details and at
        the lines (which carry the subscription's metadata).
        """
        if self.account.is_tagged(obj.get("metadata")):
            return True
        for details in (obj.get("subscription_details"),
                        (obj.get("parent") or {}).get("subscription_details")):
            if isinstance(details, dict) and self.account.is_tagged(details.get("metadata")):
                return True
        lines = obj.get("lines")
        return isinstance(lines, dict) and any(
            self.account.is_tagged(line.get("metadata")) for line in lines.get("data") or [])

    # -- Stripe Checkout (real Stripe only) ------------------------------------------------

    def create_hosted_checkout(self, *, mode: Literal["payment", "subscription"],
                               amount: int | None = None, currency: str,
                               customer_id: str | None, plan_id: str | None = None,
                               description: str, metadata: dict[str, Any], success_url: str,
                               cancel_url: str) -> HostedCheckout:
        """A Stripe Checkout page for a one-time payment of ``amount`` or a ``plan_id``.

        Our metadata goes on the session and on the payment intent or subscription it makes,
        so fulfilment goes through the same payment_intent / invoice webhooks as card payments
        taken by our own form.
        """
        if not self.supports_hosted_checkout:
            raise PaymentError(_l("Hosted checkout is not available with the local payment "
                                  "service."), "unsupported")
        tagged = self.account.tagged(metadata)
        params: dict[str, Any] = {"mode": mode, "success_url": success_url,
                                  "cancel_url": cancel_url, "metadata": tagged}
        if customer_id:
            params["customer"] = customer_id
        if mode == "payment":
            if not amount or amount <= 0:
                raise ValueError("a one-time checkout needs a positive amount")
            params["line_items"] = [{"quantity": 1, "price_data": {
                "currency": currency.lower(), "unit_amount": amount,
                "product_data": {"name": description}}}]
            params["payment_intent_data"] = {"metadata": tagged, "description": description}
        else:
            if not plan_id:
                raise ValueError("a subscription checkout needs a plan_id")
            # Stripe accepts a legacy plan's id wherever it takes a price.
            params["line_items"] = [{"price": plan_id, "quantity": 1}]
            params["subscription_data"] = {"metadata": tagged, "description": description}
        with stripe_errors():
            session = self.client.v1.checkout.sessions.create(params=params)
        return HostedCheckout(id=session.id, url=session.url)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

