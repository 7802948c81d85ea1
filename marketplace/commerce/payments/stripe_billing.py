"""Plans, subscriptions and invoices: the recurring half of the Stripe adapter.

:class:`RecurringBilling` is a part that :class:`marketplace.commerce.payments.StripePayments`
holds and delegates to, kept apart because one-time payments and subscriptions rarely change
together. Both parts share one :class:`StripeAccount`: the client, whether it is localstripe, our
instance tag, and saving a card; this part asks the other for nothing else than a payment
intent (``retrieve_payment_intent``, passed in).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from flask_babel import lazy_gettext as _l

from marketplace.commerce.payments.stripe_errors import request_options, stripe_errors
from marketplace.commerce.payments.types import (
    INSTANCE_TAG_KEY,
    InvoiceInfo,
    PaymentError,
    PaymentIntentInfo,
    SubscriptionInfo,
    decline_message,
    object_id,
)


class StripeAccount:
    """What both parts of the Stripe adapter share: the client, whether it talks to localstripe,
    the tag on every object we create, and saving a card on a customer."""

    def __init__(self, client, *, local: bool, instance_tag: str):
        self.client = client
        self.local = local
        self.instance_tag = instance_tag

    def tagged(self, metadata: dict[str, Any]) -> dict[str, str]:
        """Stripe metadata (string values) with our instance tag."""
        return {**{str(k): str(v) for k, v in metadata.items()},
                INSTANCE_TAG_KEY: self.instance_tag}

    def is_tagged(self, metadata: Any) -> bool:
        return isinstance(metadata, dict) and metadata.get(INSTANCE_TAG_KEY) == self.instance_tag

    def save_card(self, customer_id: str, payment_method: str, *,
                  make_default: bool = False) -> str:
        """Attach a card to the customer (Stripe checks the card here) and return its id.

        Stripe and localstripe both decline the usual failing test cards at this step.
        """
        method = self.client.v1.payment_methods.attach(
            payment_method, params={"customer": customer_id})
        if make_default:
            self.client.v1.customers.update(customer_id, params={
                "invoice_settings": {"default_payment_method": method.id}})
        return method.id


class RecurringBilling:
    """Plans, subscriptions and invoices: the recurring part of ``StripePayments``."""

    def __init__(self, account: StripeAccount,
                 retrieve_payment_intent: Callable[[str], PaymentIntentInfo]):
        self._account = account
        self.client = account.client
        self.local = account.local
        self.instance_tag = account.instance_tag
        self._retrieve_payment_intent = retrieve_payment_intent

    # -- plans and subscriptions -----------------------------------------------------------

    def ensure_plan(self, *, plan_key: str, product_name: str, amount: int, currency: str,
                    interval: Literal["month", "year"], metadata: dict[str, Any]) -> str:
        """The id of the Stripe plan for ``plan_key``, creating its product and plan once.

        Ids are derived from the instance tag and ``plan_key``, so calling again (from any
        process) finds the same plan. A plan's price cannot change: give a new price a new key
        (an existing plan with another amount, currency or interval raises ``plan_mismatch``).
        """
        slug = _slug(plan_key)
        plan_id = f"{_slug(self.instance_tag)}_plan_{slug}"
        product_id = f"{_slug(self.instance_tag)}_prod_{slug}"
        wanted = {"amount": amount, "currency": currency.lower(), "interval": interval}
        plan = self._find(self.client.v1.plans, plan_id)
        if plan is None:
            if self._find(self.client.v1.products, product_id) is None:
                self._create_once(self.client.v1.products, {
                    "id": product_id, "name": product_name,
                    "metadata": self._account.tagged(metadata)})
            plan = self._create_once(self.client.v1.plans, {
                "id": plan_id, "product": product_id, **wanted,
                "metadata": self._account.tagged(metadata)})
        if {key: plan.get(key) for key in wanted} != wanted:
            raise PaymentError(_l("This plan's price changed; it needs a new plan key."),
                               "plan_mismatch")
        return plan_id

    def _find(self, service, stripe_id: str) -> dict[str, Any] | None:
        try:
            with stripe_errors():
                return service.retrieve(stripe_id).to_dict()
        except PaymentError as error:
            if error.code == "resource_missing":
                return None
            raise

    def _create_once(self, service, params: dict[str, Any]) -> dict[str, Any]:
        """Create an object with a fixed id; if another process just did, use theirs."""
        try:
            with stripe_errors():
                return service.create(params=params).to_dict()
        except PaymentError as error:
            if error.code != "resource_already_exists":
                raise
        with stripe_errors():
            return service.retrieve(params["id"]).to_dict()

    def create_subscription(self, *, customer_id: str, plan_id: str, payment_method: str | None,
                            metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> SubscriptionInfo:
        """Subscribe the customer to a plan and charge the first period now.

        ``payment_method`` (if given) is saved as the customer's default card, which renewals
        use; without it the customer must already have one. A declined first payment raises
        :class:`PaymentError` and leaves no subscription behind.
        """
        tagged = self._account.tagged(metadata)
        with stripe_errors():
            if payment_method:
                self._account.save_card(customer_id, payment_method, make_default=True)
            elif not default_card_of(self.client.v1.customers.retrieve(customer_id).to_dict()):
                raise PaymentError(_l("Add a card to subscribe."), "payment_method_required")
            subscription = self.client.v1.subscriptions.create(
                params={"customer": customer_id, "metadata": tagged,
                        # Subscription lines of every invoice carry the item's metadata.
                        "items": [{"plan": plan_id, "metadata": tagged}],
                        "payment_behavior": "error_if_incomplete"},
                options=request_options(idempotency_key))
        info = SubscriptionInfo.from_stripe(subscription.to_dict())
        if info.status == "incomplete" and info.latest_invoice_id:
            # localstripe leaves the subscription incomplete where Stripe raises a CardError.
            self._raise_if_declined(self.retrieve_invoice(info.latest_invoice_id),
                                    cancel_subscription=info.id)
        return info

    def cancel_subscription_at_period_end(self, subscription_id: str) -> SubscriptionInfo:
        with stripe_errors():
            subscription = self.client.v1.subscriptions.update(
                subscription_id, params={"cancel_at_period_end": True})
        return SubscriptionInfo.from_stripe(subscription.to_dict())

    def cancel_subscription_now(self, subscription_id: str) -> SubscriptionInfo:
        with stripe_errors():
            return SubscriptionInfo.from_stripe(
                self.client.v1.subscriptions.cancel(subscription_id).to_dict())

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionInfo:
        with stripe_errors():
            return SubscriptionInfo.from_stripe(
                self.client.v1.subscriptions.retrieve(subscription_id).to_dict())

    # -- invoices --------------------------------------------------------------------------

    def create_invoice_item(self, *, customer_id: str, amount: int, currency: str,
                            description: str, metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> str:
        """A pending charge that the customer's next invoice collects; returns its id."""
        with stripe_errors():
            item = self.client.v1.invoice_items.create(
                params={"customer": customer_id, "amount": amount, "currency": currency.lower(),
                        "description": description, "metadata": self._account.tagged(metadata)},
                options=request_options(idempotency_key))
        return item.id

    def create_invoice(self, *, customer_id: str, metadata: dict[str, Any],
                       subscription_id: str | None = None) -> InvoiceInfo:
        """A draft invoice of the customer's pending invoice items.

        localstripe differs: it invoices only customers with a subscription (``unsupported``
        otherwise), and its invoice bills the subscription's plan once more besides the items.
        """
        tagged = self._account.tagged(metadata)
        params: dict[str, Any] = {"customer": customer_id, "metadata": tagged,
                                  "pending_invoice_items_behavior": "include"}
        if subscription_id:
            params["subscription"] = subscription_id
        try:
            with stripe_errors():
                invoice = self.client.v1.invoices.create(params=params)
                if not self._account.is_tagged(invoice.to_dict().get("metadata")):
                    # localstripe drops metadata given at creation.
                    invoice = self.client.v1.invoices.update(
                        invoice.id, params={"metadata": tagged})
        except PaymentError as error:
            # localstripe answers 404 (no subscription) or 400 (nothing to invoice either).
            if self.local and error.code in ("resource_missing", "invalid_request"):
                raise PaymentError(
                    _l("The local payment service can only invoice a customer who has a "
                       "subscription."), "unsupported") from error
            raise
        return self._invoice_info(invoice.to_dict())

    def pay_invoice(self, invoice_id: str, *, payment_method: str | None = None) -> InvoiceInfo:
        """Collect an invoice now, with ``payment_method`` (saved as the default) or the
        customer's default card. A declined card raises :class:`PaymentError`."""
        with stripe_errors():
            invoice = self.client.v1.invoices.retrieve(invoice_id).to_dict()
            if payment_method:
                self._account.save_card(object_id(invoice["customer"]), payment_method,
                                        make_default=True)
            if invoice["status"] == "draft" and not self.local:
                # localstripe has no finalize endpoint and pays drafts directly.
                self.client.v1.invoices.finalize_invoice(invoice_id)
            paid = self._invoice_info(self.client.v1.invoices.pay(invoice_id).to_dict())
        self._raise_if_declined(paid)
        return paid

    def retrieve_invoice(self, invoice_id: str) -> InvoiceInfo:
        with stripe_errors():
            return self._invoice_info(self.client.v1.invoices.retrieve(invoice_id).to_dict())

    def _raise_if_declined(self, invoice: InvoiceInfo, *,
                           cancel_subscription: str | None = None) -> None:
        """Raise the decline of an unpaid invoice's payment, which localstripe only records."""
        if invoice.status == "paid" or not invoice.payment_intent_id:
            return
        intent = self._retrieve_payment_intent(invoice.payment_intent_id)
        if not intent.last_error:
            return
        if cancel_subscription:
            self.cancel_subscription_now(cancel_subscription)
        raise PaymentError(decline_message(intent.last_error), intent.last_error,
                           payment_intent_id=intent.id)

    def _invoice_info(self, data: dict[str, Any]) -> InvoiceInfo:
        lines = data.get("lines") or {}
        line_data = lines.get("data") or []
        if lines.get("has_more"):
            with stripe_errors():
                line_data = [line.to_dict() for line in self.client.v1.invoices.line_items.list(
                    data["id"], params={"limit": 100}).data]
        return InvoiceInfo.from_stripe(data, line_data)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def default_card_of(customer: dict[str, Any]) -> str | None:
    """The default card (payment method or legacy source) of a customer object."""
    settings = customer.get("invoice_settings") or {}
    return settings.get("default_payment_method") or customer.get("default_source")
