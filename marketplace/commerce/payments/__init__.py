"""Payments: the one adapter over Stripe and localstripe, and what the marketplace does with it.

- :mod:`.types` — the ``PaymentGateway`` contract and the shapes of its answers (no Stripe here);
- :mod:`.stripe_adapter` — ``StripePayments``, composed of its one-time part and
  :mod:`.stripe_billing` (plans, subscriptions, invoices), with :mod:`.stripe_errors`;
- :mod:`.flow` — paying, subscribing and refunding, each claimed first in :mod:`.attempts`;
- :mod:`.webhooks` and :mod:`.reconcile` — what the provider reports, applied once;
- :mod:`.alerts` — telling buyers and admins when money did what it should not;
- :mod:`.localstripe_server` — the launcher of the local stand-in for Stripe.

The adapter's names are importable from here (``from marketplace.commerce.payments import
get_payments, PaymentError``); nothing outside this package imports ``stripe``.
"""

from marketplace.commerce.payments.stripe_adapter import *  # noqa: F403  (the adapter's API)
from marketplace.commerce.payments.stripe_adapter import __all__  # noqa: F401
