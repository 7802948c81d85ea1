"""How catalog values are named to people, in their language, and how prices are described."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from marketplace.catalog.lifecycle import STATE_LABELS
from marketplace.catalog.models import (
    BillingPeriod,
    DeliveryForm,
    PricingModel,
    ProductType,
    Scenario,
    Sensitivity,
)
from marketplace.money import format_money

PRODUCT_TYPE_LABELS = {
    ProductType.RAW_DATASET: _l("Raw dataset"),
    ProductType.DESENSITIZED_DATASET: _l("Desensitized dataset"),
    ProductType.MODELIZED_DATA: _l("Data + model + service"),
    ProductType.AI_DATA: _l("Model + service (AI)"),
    ProductType.GOVERNANCE_TOOL: _l("Governance tool"),
}

DELIVERY_FORM_LABELS = {
    DeliveryForm.DATA_PACKAGE: _l("Data package download"),
    DeliveryForm.QUERY_API: _l("Query API"),
    DeliveryForm.VERIFICATION_API: _l("Verification API (match / no match)"),
    DeliveryForm.SERVICE_API: _l("Service API"),
    DeliveryForm.BATCH_JOB: _l("Batch job on your file"),
}

SCENARIO_LABELS = {
    Scenario.FINANCE: _l("Finance"),
    Scenario.TRANSPORT: _l("Transport"),
    Scenario.MEDICAL: _l("Medical and health"),
    Scenario.SOCIAL_GOVERNANCE: _l("Social governance"),
}

SENSITIVITY_LABELS = {
    Sensitivity.NONE: _l("Not sensitive"),
    Sensitivity.PERSONAL: _l("Personal information"),
    Sensitivity.SENSITIVE_PERSONAL: _l("Sensitive personal information"),
    Sensitivity.CONFIDENTIAL: _l("Confidential"),
}

PRICING_MODEL_LABELS = {
    PricingModel.FREE: _l("Free"),
    PricingModel.ONE_TIME: _l("One-time charge"),
    PricingModel.PER_CALL: _l("Per-call fee"),
    PricingModel.MEMBERSHIP: _l("Membership"),
    PricingModel.SERVICE_FEE: _l("Service fee"),
}

LEVEL_LABELS = {
    1: _l("Level 1 · public"),
    2: _l("Level 2 · internal"),
    3: _l("Level 3 · sensitive"),
    4: _l("Level 4 · core"),
}

SEVERITY_LABELS = {
    "blocking": _l("Blocking"),
    "warning": _l("Warning"),
    "info": _l("Note"),
}

PERIOD_LABELS = {BillingPeriod.MONTH: _l("per month"), BillingPeriod.YEAR: _l("per year")}


def label(kind: str, value: Any) -> str:
    """The display name of a catalog value; unknown values are shown as they are."""
    table = {
        "product_type": PRODUCT_TYPE_LABELS,
        "delivery_form": DELIVERY_FORM_LABELS,
        "scenario": SCENARIO_LABELS,
        "sensitivity": SENSITIVITY_LABELS,
        "pricing_model": PRICING_MODEL_LABELS,
        "level": LEVEL_LABELS,
        "state": STATE_LABELS,
        "period": PERIOD_LABELS,
        "severity": SEVERITY_LABELS,
    }[kind]
    for key, text in table.items():
        if key == value:
            return str(text)
    return str(value)


def plan_headline(plan: Any) -> str:
    """The one-line price of a plan, as shown on cards and above the fold."""
    get = plan.get if isinstance(plan, dict) else lambda k: getattr(plan, k)
    currency = get("currency")
    match get("model"):
        case PricingModel.FREE:
            return str(_l("Free"))
        case PricingModel.ONE_TIME:
            return format_money(get("price"), currency)
        case PricingModel.PER_CALL:
            lowest = min((t["unit_price"] for t in get("tiers")), default=0)
            return str(_l("from %(price)s per call", price=format_money(lowest, currency)))
        case PricingModel.MEMBERSHIP:
            period = label("period", get("billing_period"))
            return f"{format_money(get('price'), currency)} {period}"
        case PricingModel.SERVICE_FEE:
            return str(_l("quoted, from %(price)s", price=format_money(get("price"), currency)))
    return ""


def plan_details(plan: Any) -> list[str]:
    """What a plan includes, one sentence each, so the buyer knows before paying."""
    get = plan.get if isinstance(plan, dict) else lambda k: getattr(plan, k)
    currency = get("currency")
    lines: list[str] = []
    match get("model"):
        case PricingModel.FREE:
            lines.append(str(_l("No payment; authorization rules still apply.")))
        case PricingModel.ONE_TIME:
            if get("included_calls"):
                lines.append(str(_l("Includes %(n)s calls.",
                                    n=format_decimal(get("included_calls")))))
        case PricingModel.PER_CALL:
            if get("free_allowance"):
                lines.append(str(_l("The first %(n)s calls each month are free; the tiers "
                                    "below count the calls after them.",
                                    n=format_decimal(get("free_allowance")))))
            lower = 0
            for tier in get("tiers"):
                price = format_money(tier["unit_price"], currency)
                if tier["up_to"] is None:
                    lines.append(str(_l("Beyond %(n)s billable calls: %(price)s per call.",
                                        n=format_decimal(lower), price=price)))
                else:
                    lines.append(str(_l("Billable calls %(a)s to %(b)s: %(price)s per call.",
                                        a=format_decimal(lower + 1),
                                        b=format_decimal(tier["up_to"]), price=price)))
                    lower = tier["up_to"]
            lines.append(str(_l("Billed monthly for the calls you made.")))
        case PricingModel.MEMBERSHIP:
            lines.append(str(_l("Includes %(n)s calls per period.",
                                n=format_decimal(get("included_calls") or 0))))
            if get("overage_unit_price") is not None:
                lines.append(str(_l("Further calls: %(price)s each.",
                                    price=format_money(get("overage_unit_price"), currency))))
            else:
                lines.append(str(_l("Calls stop when the included quota is used up.")))
        case PricingModel.SERVICE_FEE:
            lines.append(str(_l("You describe the job; the merchant sends a quote to accept.")))
    if get("description"):
        lines.append(get("description"))
    return lines
