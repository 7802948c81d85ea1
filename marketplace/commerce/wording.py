"""How commerce's terms read on a page: what a plan is bought as, and what a quote buys.
Template globals registered by :mod:`commerce.views`."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.catalog.models import PricingModel
from marketplace.commerce.models import ServiceQuote


def purchase_option(terms: dict[str, Any]) -> str:
    """How a plan is bought, in a few words: ``terms`` is an order line's ``plan_terms``, or
    the same keys for a cart line (model, pack_calls, postpaid, billing_period, quota)."""
    match terms.get("model"):
        case PricingModel.FREE:
            return _("Free")
        case PricingModel.ONE_TIME:
            if terms.get("quota"):
                return _("One-time purchase, %(calls)s calls included",
                         calls=f"{terms['quota']:,}")
            return _("One-time purchase")
        case PricingModel.PER_CALL:
            if terms.get("pack_calls"):
                return _("Call pack of %(calls)s calls", calls=f"{terms['pack_calls']:,}")
            return _("Pay as you go, billed monthly")
        case PricingModel.MEMBERSHIP:
            if terms.get("billing_period") == "year":
                return _("Membership, renews every year")
            return _("Membership, renews every month")
        case PricingModel.SERVICE_FEE:
            if terms.get("valid_days") and terms.get("quota"):
                return _("Quoted service: %(terms)s", terms=_quoted(terms["quota"],
                                                                     terms["valid_days"]))
            return _("Quoted service")
    return ""


def _quoted(calls: int, days: int) -> str:
    return _("%(calls)s calls, usable for %(days)d days after payment", calls=f"{calls:,}",
             days=days)


def quote_terms(quote: ServiceQuote) -> str:
    """What a quoted price buys, in words ("" for a quote made before quotes said it)."""
    if quote.calls is None or quote.valid_days is None:
        return ""
    return _quoted(quote.calls, quote.valid_days)
