"""What the payments adapter promises: its Protocol, its results, its errors and its test cards.

No Stripe library here: these are the shapes the commerce services work with, whichever backend
answers, and how each is read from Stripe's JSON (``from_stripe``), in the shape of both current
Stripe API versions and localstripe's older one. :mod:`.stripe_adapter` implements the Protocol
and :mod:`marketplace.commerce.payments` re-exports every name, so callers import from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, Protocol

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError

# The metadata key that carries STRIPE_INSTANCE_TAG on every object we create.
INSTANCE_TAG_KEY = "datamarket_instance"


class PaymentError(DomainError):
    """The payment provider refused or could not do what was asked.

    ``str(error)`` is a sentence the buyer can act on. ``code`` is Stripe's error code
    (``card_declined``, ``expired_card``, ``amount_too_large``, ``resource_missing``...) or one
    of ours (``provider_unavailable``, ``configuration``, ``unsupported``, ``plan_mismatch``);
    ``decline_code`` is the bank's reason when Stripe gives one; ``retryable`` says whether the
    same request may succeed later unchanged (network trouble, rate limits, outages) rather than
    needing another card or other input. ``payment_intent_id`` names the intent a failed
    confirmation was about, so the attempt can be recorded as a failed event.
    """

    status_code = 402

    def __init__(self, message: Any, code: str, decline_code: str | None = None,
                 retryable: bool = False, *, payment_intent_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.decline_code = decline_code
        self.retryable = retryable
        self.payment_intent_id = payment_intent_id
        if retryable:
            self.status_code = 503


class WebhookSignatureError(DomainError):
    """A webhook request whose signature is missing, wrong or too old (the view answers 400)."""

    status_code = 400


# Sentences for the buyer, by Stripe's decline code or error code.
_DECLINE_MESSAGES = {
    "insufficient_funds": _l("Your card has insufficient funds. Try another card."),
    "expired_card": _l("Your card has expired. Try another card."),
    "incorrect_cvc": _l("The card's security code is incorrect. Check it or try another card."),
    "incorrect_number": _l("The card number is incorrect. Check it or try another card."),
    "processing_error": _l("The bank could not process your card. Try again in a moment."),
    "lost_card": _l("Your card was declined. Try another card."),
    "stolen_card": _l("Your card was declined. Try another card."),
    "authentication_required": _l("Your bank asks you to confirm this payment. "
                                  "Try again and complete the confirmation."),
}
CARD_DECLINED = _l("Your card was declined. Try another card.")


def decline_message(code: str | None, decline_code: str | None = None):
    """The buyer-facing sentence for a declined payment (a lazy string)."""
    return (_DECLINE_MESSAGES.get(decline_code or "") or _DECLINE_MESSAGES.get(code or "")
            or CARD_DECLINED)


class SandboxCard(NamedTuple):
    number: str
    label: Any
    # Stripe's own test PaymentMethod for this behaviour, used against real Stripe in test mode
    # (which refuses raw card numbers); localstripe gets the number.
    stripe_test_method: str


# Cards a tester can pay with, by name. localstripe declines the first group when the card is
# saved on the customer, as Stripe does for these numbers; ``charge_fails`` saves fine and is
# declined on every charge (renewals).
TEST_CARDS: dict[str, SandboxCard] = {
    "visa_ok": SandboxCard("4242424242424242", _l("Visa, succeeds"), "pm_card_visa"),
    "declined": SandboxCard("4000000000000002", _l("Declined by the bank"),
                         "pm_card_visa_chargeDeclined"),
    "insufficient_funds": SandboxCard("4000000000009995", _l("Declined: insufficient funds"),
                                   "pm_card_visa_chargeDeclinedInsufficientFunds"),
    "expired": SandboxCard("4000000000000069", _l("Declined: expired card"),
                        "pm_card_visa_chargeDeclinedExpiredCard"),
    "incorrect_cvc": SandboxCard("4000000000000127", _l("Declined: incorrect security code"),
                              "pm_card_visa_chargeDeclinedIncorrectCvc"),
    "charge_fails": SandboxCard("4000000000000341", _l("Saved, then every charge is declined"),
                             "pm_card_chargeCustomerFail"),
}


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    customer_id: str | None
    metadata: dict[str, str]
    client_secret: str | None
    # Stripe's code for the last failed attempt (e.g. "card_declined"), None when none failed.
    last_error: str | None

    @classmethod
    def from_stripe(cls, data: dict[str, Any]) -> PaymentIntentInfo:
        received = data.get("amount_received")
        if received is None:  # localstripe does not report it
            received = data["amount"] if data["status"] == "succeeded" else 0
        error = data.get("last_payment_error") or {}
        return cls(
            id=data["id"], status=data["status"], amount=data["amount"],
            amount_received=received, currency=data["currency"],
            customer_id=object_id(data.get("customer")), metadata=dict(data.get("metadata") or {}),
            client_secret=data.get("client_secret"),
            last_error=(error.get("code") or "payment_failed") if error else None)


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str
    amount: int
    payment_intent_id: str | None
    metadata: dict[str, str]

    @classmethod
    def from_stripe(cls, data: dict[str, Any]) -> RefundInfo:
        return cls(id=data["id"], status=data["status"], amount=data["amount"],
                   payment_intent_id=object_id(data.get("payment_intent")),
                   metadata=dict(data.get("metadata") or {}))


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    status: str
    customer_id: str
    plan_id: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    latest_invoice_id: str | None
    metadata: dict[str, str]

    @classmethod
    def from_stripe(cls, data: dict[str, Any]) -> SubscriptionInfo:
        # Newer Stripe API versions keep the period and the plan on the subscription's items.
        item = ((data.get("items") or {}).get("data") or [{}])[0]
        plan = data.get("plan") or item.get("plan") or item.get("price") or {}
        return cls(
            id=data["id"], status=data["status"], customer_id=object_id(data["customer"]),
            plan_id=plan.get("id"),
            current_period_start=_time(data.get("current_period_start")
                                       or item.get("current_period_start")),
            current_period_end=_time(data.get("current_period_end")
                                     or item.get("current_period_end")),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")),
            latest_invoice_id=object_id(data.get("latest_invoice")),
            metadata=dict(data.get("metadata") or {}))


class InvoiceLine(NamedTuple):
    amount: int
    description: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class InvoiceInfo:
    id: str
    status: str
    amount_due: int
    amount_paid: int
    customer_id: str
    subscription_id: str | None
    payment_intent_id: str | None
    metadata: dict[str, str]
    lines: tuple[InvoiceLine, ...] = field(default=())

    @classmethod
    def from_stripe(cls, data: dict[str, Any], lines: list[dict[str, Any]]) -> InvoiceInfo:
        """:param lines: all the invoice's lines (``data["lines"]`` holds the first ten only)."""
        details = (data.get("parent") or {}).get("subscription_details") or {}
        intent = data.get("payment_intent")
        if intent is None:  # newer API versions list payments instead
            payments = (data.get("payments") or {}).get("data") or []
            intent = next((p["payment"].get("payment_intent") for p in payments
                           if (p.get("payment") or {}).get("payment_intent")), None)
        return cls(
            id=data["id"], status=data["status"], amount_due=data["amount_due"],
            amount_paid=data["amount_paid"], customer_id=object_id(data["customer"]),
            subscription_id=object_id(data.get("subscription") or details.get("subscription")),
            payment_intent_id=object_id(intent), metadata=dict(data.get("metadata") or {}),
            lines=tuple(InvoiceLine(line["amount"], line.get("description"),
                                    dict(line.get("metadata") or {})) for line in lines))


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: datetime
    object: dict[str, Any]
    livemode: bool

    @classmethod
    def from_stripe(cls, event: dict[str, Any]) -> WebhookEvent:
        return cls(id=event["id"], type=event["type"],
                   created=datetime.fromtimestamp(event["created"], UTC),
                   object=event["data"]["object"], livemode=bool(event.get("livemode")))


@dataclass(frozen=True)
class HostedCheckout:
    id: str
    url: str


class PaymentGateway(Protocol):
    """The payments contract the commerce services use (see StripePayments for the details)."""

    currency: str
    supports_hosted_checkout: bool

    def ensure_customer(self, *, user_id: int, email: str, customer_id: str | None) -> str: ...

    def create_payment_intent(self, *, amount: int, currency: str, customer_id: str | None,
                              metadata: dict[str, Any],
                              idempotency_key: str | None = None) -> PaymentIntentInfo: ...

    def confirm_payment_intent(self, intent_id: str, *,
                               payment_method: str) -> PaymentIntentInfo: ...

    def delete_customer(self, customer_id: str) -> None: ...

    def test_payment_method(self, card: str) -> str: ...

    def save_default_card(self, customer_id: str, payment_method: str) -> str: ...

    def default_card(self, customer_id: str) -> str | None: ...

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentInfo: ...

    def list_payment_intents(self, *, created_after: datetime) -> list[PaymentIntentInfo]: ...

    def refund(self, *, payment_intent_id: str, amount: int, metadata: dict[str, Any],
               idempotency_key: str | None = None) -> RefundInfo: ...

    def list_refunds(self, *, created_after: datetime) -> list[RefundInfo]: ...

    def retrieve_refund(self, refund_id: str) -> RefundInfo: ...

    def ensure_plan(self, *, plan_key: str, product_name: str, amount: int, currency: str,
                    interval: Literal["month", "year"], metadata: dict[str, Any]) -> str: ...

    def create_subscription(self, *, customer_id: str, plan_id: str, payment_method: str | None,
                            metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> SubscriptionInfo: ...

    def cancel_subscription_at_period_end(self, subscription_id: str) -> SubscriptionInfo: ...

    def cancel_subscription_now(self, subscription_id: str) -> SubscriptionInfo: ...

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionInfo: ...

    def create_invoice_item(self, *, customer_id: str, amount: int, currency: str,
                            description: str, metadata: dict[str, Any],
                            idempotency_key: str | None = None) -> str: ...

    def create_invoice(self, *, customer_id: str, metadata: dict[str, Any],
                       subscription_id: str | None = None) -> InvoiceInfo: ...

    def pay_invoice(self, invoice_id: str, *,
                    payment_method: str | None = None) -> InvoiceInfo: ...

    def retrieve_invoice(self, invoice_id: str) -> InvoiceInfo: ...

    def construct_event(self, payload: bytes, signature_header: str | None) -> WebhookEvent: ...

    def is_ours(self, obj: dict[str, Any]) -> bool: ...

    def create_hosted_checkout(self, *, mode: Literal["payment", "subscription"],
                               amount: int | None = None, currency: str,
                               customer_id: str | None, plan_id: str | None = None,
                               description: str, metadata: dict[str, Any], success_url: str,
                               cancel_url: str) -> HostedCheckout: ...


def object_id(value: Any) -> str | None:
    """The id of a field that is an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _time(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None
