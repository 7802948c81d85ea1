"""Stripe's errors as our :class:`PaymentError`, with a sentence the buyer can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe
from flask_babel import lazy_gettext as _l

from marketplace.commerce.payments.types import PaymentError, decline_message

UNAVAILABLE = _l("The payment service cannot be reached right now. Try again in a few minutes.")


@contextmanager
def stripe_errors(*, payment_intent_id: str | None = None) -> Iterator[None]:
    """Turn any ``stripe.StripeError`` raised inside into a :class:`PaymentError`."""
    try:
        yield
    except stripe.StripeError as error:
        raise payment_error(error, payment_intent_id=payment_intent_id) from error


def payment_error(error: stripe.StripeError, *,
                  payment_intent_id: str | None = None) -> PaymentError:
    """Our :class:`PaymentError` for a Stripe error, with a sentence the buyer can act on."""
    body = error.json_body.get("error") if isinstance(error.json_body, dict) else None
    body = body if isinstance(body, dict) else {}
    code = error.code or body.get("code")
    decline_code = body.get("decline_code")
    status = error.http_status or 0
    if isinstance(error, stripe.CardError):
        return PaymentError(decline_message(code, decline_code), code or "card_declined",
                            decline_code, payment_intent_id=payment_intent_id)
    if status == 409 or code == "resource_already_exists":
        return PaymentError(_l("This payment is already being processed."),
                            "resource_already_exists")
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)) or status >= 500:
        return PaymentError(UNAVAILABLE, "provider_unavailable", retryable=True)
    if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
        return PaymentError(_l("Payments are not available right now. Try again later, or "
                               "contact us if it keeps happening."), "configuration")
    if status == 404 or code == "resource_missing":
        return PaymentError(_l("The payment service has no record of this payment."),
                            "resource_missing")
    return PaymentError(_l("The payment service refused this request. Try again, or contact "
                           "us if it keeps happening."), code or "invalid_request",
                        payment_intent_id=payment_intent_id)


def request_options(idempotency_key: str | None) -> dict[str, str]:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}
