"""Stripe Checkout: the provider's hosted payment page (real Stripe only; localstripe has none)."""

from __future__ import annotations

from typing import Any, Literal

from marketplace.commerce.payments.stripe_billing import StripeAccount
from marketplace.commerce.payments.stripe_errors import stripe_errors
from marketplace.commerce.payments.types import HostedCheckout


def create_session(account: StripeAccount, *, mode: Literal["payment", "subscription"],
                   amount: int | None, currency: str, customer_id: str | None,
                   plan_id: str | None, description: str, metadata: dict[str, Any],
                   success_url: str, cancel_url: str) -> HostedCheckout:
    """A Checkout page for a one-time payment of ``amount`` or a ``plan_id``.

    Our metadata goes on the session and on the payment intent or subscription it makes,
    so fulfilment goes through the same payment_intent / invoice webhooks as card payments
    taken by our own form.
    """
    tagged = account.tagged(metadata)
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
        session = account.client.v1.checkout.sessions.create(params=params)
    return HostedCheckout(id=session.id, url=session.url)
