"""What a plan costs: the one place amounts are computed, in the currency's smallest unit.

Per-call tiers are graduated, as the product page says: after the free allowance, the first
``up_to`` billable calls cost the first tier's unit price, the next ones the second tier's, and
so on. A membership's overage is priced per call beyond its included quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import PricingModel, PricingPlan
from marketplace.errors import ValidationFailed

#: The call packs a buyer can buy up front on a per-call plan.
CALL_PACKS = (1_000, 10_000, 100_000, 1_000_000)


def graduated_amount(tiers: list[dict[str, Any]], calls: int) -> int:
    """The price of ``calls`` billable calls through graduated tiers."""
    total, lower = 0, 0
    for tier in tiers:
        upper = tier["up_to"]
        in_tier = max(0, (calls if upper is None else min(calls, upper)) - lower)
        total += in_tier * int(tier["unit_price"])
        if upper is None or calls <= upper:
            break
        lower = upper
    return total


def usage_amount(plan_terms: dict[str, Any], calls: int) -> tuple[int, int]:
    """(billable calls, amount) of one period's ``calls`` under a per-call or membership plan."""
    model = plan_terms["model"]
    if model == PricingModel.PER_CALL:
        billable = max(0, calls - int(plan_terms.get("free_allowance") or 0))
        return billable, graduated_amount(plan_terms["tiers"], billable)
    if model == PricingModel.MEMBERSHIP and plan_terms.get("overage_unit_price") is not None:
        billable = max(0, calls - int(plan_terms.get("included_calls") or 0))
        return billable, billable * int(plan_terms["overage_unit_price"])
    return 0, 0


@dataclass(frozen=True)
class LinePrice:
    """The price of one cart line and what the buyer gets for it."""

    amount: int
    #: Calls the entitlement allows (None: no quota beyond the plan's billing).
    quota: int | None
    #: True for pay-as-you-go per-call lines, billed later from metered usage.
    postpaid: bool = False


def plan_terms(plan: PricingPlan) -> dict[str, Any]:
    """The plan as it was sold, kept on the order line (later edits do not change it)."""
    return {
        "name": plan.name, "model": plan.model, "currency": plan.currency, "price": plan.price,
        "billing_period": plan.billing_period, "free_allowance": plan.free_allowance,
        "tiers": [dict(t) for t in plan.tiers], "included_calls": plan.included_calls,
        "overage_unit_price": plan.overage_unit_price, "description": plan.description,
    }


def price_line(plan: PricingPlan, *, pack_calls: int | None = None,
               quoted_amount: int | None = None, quoted_calls: int | None = None) -> LinePrice:
    """What one cart line costs.

    :param pack_calls: for a per-call plan, calls bought up front (one of :data:`CALL_PACKS`);
        None buys pay-as-you-go.
    :param quoted_amount: for a service fee, the amount of the accepted quote, and
        ``quoted_calls`` the calls it includes.
    :raises ValidationFailed: the options do not fit the plan.
    """
    match plan.model:
        case PricingModel.FREE:
            return LinePrice(0, None)
        case PricingModel.ONE_TIME:
            return LinePrice(plan.price, plan.included_calls)
        case PricingModel.PER_CALL:
            if pack_calls is None:
                return LinePrice(0, None, postpaid=True)
            if pack_calls not in CALL_PACKS:
                raise ValidationFailed({"pack_calls": [str(_l(
                    "Choose one of these call packs: %(packs)s calls.",
                    packs=" / ".join(f"{n:,}" for n in CALL_PACKS)))]})
            return LinePrice(graduated_amount(plan.tiers, pack_calls), pack_calls)
        case PricingModel.MEMBERSHIP:
            return LinePrice(plan.price, plan.included_calls)
        case PricingModel.SERVICE_FEE:
            if quoted_amount is None:
                raise ValidationFailed({"plan": [str(_l(
                    "A service fee is bought through a quote: request one from the product "
                    "page, then accept the merchant's quote."))]})
            return LinePrice(quoted_amount, quoted_calls)
    raise ValidationFailed({"plan": [str(_l("This plan cannot be bought."))]})
