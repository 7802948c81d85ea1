"""Checking and normalizing what a merchant writes in a listing, and rendering it safely.

Drafts may be incomplete; :func:`validate_content` checks the shape of whatever is there, and
:func:`completeness_errors` says what is still missing before a listing can be submitted.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup

from marketplace.catalog.models import (
    BillingPeriod,
    DeliveryForm,
    PricingModel,
    ProductType,
    Scenario,
    Sensitivity,
)
from marketplace.datasets.dictionary import disagreements
from marketplace.datasets.models import Dataset
from marketplace.errors import ValidationFailed

FIELD_TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime", "json")
VERSION_RE = re.compile(r"^\d+(\.\d+){0,2}$")
FIELD_NAME_RE = re.compile(r"^[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]{0,63}$")
MAX_TAGS, MAX_TAG_LENGTH = 12, 30
MAX_SAMPLE_ROWS, MAX_FIELDS, MAX_PLANS = 50, 200, 8

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}


def _demote_headings(tokens) -> None:
    """Shift merchant headings two levels down, so the page's own h1 and h2 stay on top."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"


def render_markdown(text: str) -> Markup:
    """Merchant-written Markdown as HTML that is safe to embed in our pages."""
    tokens = _markdown.parse(text or "")
    _demote_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow ugc",
    )
    return Markup(clean)


def _choice(errors: dict, field: str, value: Any, enum: type, label) -> str:
    try:
        return enum(value).value
    except ValueError:
        errors.setdefault(field, []).append(str(_l("Choose a %(what)s from the list.", what=label)))
        return str(value or "")


#: The most free sandbox calls a listing may offer each buyer.
MAX_TRIAL_CALLS = 50


def _trial_calls(value: Any, errors: dict) -> int:
    try:
        calls = int(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        calls = -1
    if not 0 <= calls <= MAX_TRIAL_CALLS:
        errors["trial_calls"] = [str(_l(
            "Offer 0 (no trial) to %(most)d free calls on the sample per buyer.",
            most=MAX_TRIAL_CALLS))]
        return 0
    return calls


def validate_content(data: dict[str, Any]) -> dict[str, Any]:
    """Check a listing's content and return it normalized.

    :param data: title, summary, description_md (Chinese; the title required), their optional
        English versions title_en, summary_en, description_md_en, product_type, delivery_form,
        scenario, tags, classification_level, version, data_dictionary, sample_rows.
    :raises ValidationFailed: naming every field that is wrong and how to fix it.
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = [str(_l("Give the product a title."))]
    elif len(title) > 200:
        errors["title"] = [str(_l("Keep the title within 200 characters."))]
    out["title"] = title

    summary = str(data.get("summary") or "").strip()
    if len(summary) > 500:
        errors["summary"] = [str(_l("Keep the summary within 500 characters."))]
    out["summary"] = summary

    description = str(data.get("description_md") or "")
    if len(description) > 50_000:
        errors["description_md"] = [str(_l("Keep the description within 50,000 characters."))]
    out["description_md"] = description
    _english(data, out, errors)

    out["product_type"] = _choice(
        errors, "product_type", data.get("product_type"), ProductType, _l("product type")
    )
    out["delivery_form"] = _choice(
        errors, "delivery_form", data.get("delivery_form"), DeliveryForm, _l("delivery form")
    )
    out["scenario"] = _choice(errors, "scenario", data.get("scenario"), Scenario, _l("scenario"))

    try:
        level = int(data.get("classification_level", 1))
    except (TypeError, ValueError):
        level = 0
    if level not in (1, 2, 3, 4):
        errors["classification_level"] = [
            str(_l("The classification level is 1 (public) to 4 (core)."))
        ]
    out["classification_level"] = level
    if "requires_application" in data:  # the merchant's choice; absent: left as it is
        out["requires_application"] = bool(data["requires_application"])
    if "trial_calls" in data:  # free sandbox calls per buyer; absent: left as it is
        out["trial_calls"] = _trial_calls(data["trial_calls"], errors)

    version = str(data.get("version") or "1.0").strip()
    if not VERSION_RE.match(version):
        errors["version"] = [str(_l("Write the version as numbers such as 1.0 or 2.1.3."))]
    out["version"] = version

    out["tags"] = _tags(data.get("tags") or [], errors)
    out["data_dictionary"] = _dictionary(data.get("data_dictionary") or [], errors)
    out["sample_rows"] = _samples(data.get("sample_rows") or [], out["data_dictionary"], errors)

    if errors:
        raise ValidationFailed(errors)
    return out


def _english(data: dict[str, Any], out: dict[str, Any], errors: dict) -> None:
    """The optional English title, summary and description, with the Chinese ones' limits."""
    title = str(data.get("title_en") or "").strip()
    if len(title) > 200:
        errors["title_en"] = [str(_l("Keep the English title within 200 characters."))]
    summary = str(data.get("summary_en") or "").strip()
    if len(summary) > 500:
        errors["summary_en"] = [str(_l("Keep the English summary within 500 characters."))]
    description = str(data.get("description_md_en") or "")
    if len(description) > 50_000:
        errors["description_md_en"] = [
            str(_l("Keep the English description within 50,000 characters."))]
    out.update(title_en=title, summary_en=summary, description_md_en=description)


def _tags(raw: Any, errors: dict) -> list[str]:
    if isinstance(raw, str):
        raw = re.split(r"[,，]", raw)
    tags: list[str] = []
    for tag in raw:
        tag = str(tag).strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in tags):
        errors["tags"] = [
            str(_l("Use at most %(n)d tags of up to %(m)d characters each.",
                   n=MAX_TAGS, m=MAX_TAG_LENGTH))
        ]
    return tags


def _dictionary(raw: list, errors: dict) -> list[dict[str, str]]:
    fields: list[dict[str, str]] = []
    seen: set[str] = set()
    problems: list[str] = []
    if len(raw) > MAX_FIELDS:
        problems.append(str(_l("A data dictionary has at most %(n)d fields.", n=MAX_FIELDS)))
    for position, item in enumerate(raw[:MAX_FIELDS], start=1):
        name = str(item.get("name") or "").strip()
        if not name and not any(str(item.get(k) or "").strip()
                                for k in ("description", "description_en")):
            continue  # an empty row left in the form
        field = {
            "name": name,
            "type": str(item.get("type") or "string"),
            "description": str(item.get("description") or "").strip()[:500],
            "sensitivity": str(item.get("sensitivity") or Sensitivity.NONE),
        }
        english = str(item.get("description_en") or "").strip()[:500]
        if english:  # only where given, so dictionaries written before stay as they were
            field["description_en"] = english
        if not FIELD_NAME_RE.match(name):
            problems.append(str(_l(
                "Field %(n)d: a field name starts with a letter and uses letters, digits "
                "and underscores.", n=position)))
        elif name in seen:
            problems.append(str(_l("Field %(n)d: the name “%(name)s” is used twice.",
                                   n=position, name=name)))
        seen.add(name)
        if field["type"] not in FIELD_TYPES:
            problems.append(str(_l("Field %(n)d: choose a type from the list.", n=position)))
        if field["sensitivity"] not in {s.value for s in Sensitivity}:
            problems.append(str(_l("Field %(n)d: choose a sensitivity from the list.",
                                   n=position)))
        fields.append(field)
    if problems:
        errors["data_dictionary"] = problems
    return fields


def _samples(raw: list, dictionary: list[dict[str, str]], errors: dict) -> list[dict[str, Any]]:
    if len(raw) > MAX_SAMPLE_ROWS:
        errors["sample_rows"] = [
            str(_l("Keep the sample within %(n)d rows.", n=MAX_SAMPLE_ROWS))
        ]
        return []
    known = {f["name"] for f in dictionary}
    rows: list[dict[str, Any]] = []
    for row in raw:
        if not isinstance(row, dict):
            errors["sample_rows"] = [str(_l("Each sample row must map field names to values."))]
            return []
        unknown = sorted(set(row) - known)
        if unknown:
            errors["sample_rows"] = [str(_l(
                "The sample uses columns that the data dictionary does not describe: "
                "%(names)s.", names=", ".join(unknown)))]
            return []
        rows.append({k: row[k] for k in row})
    return rows


def validate_plans(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check pricing plans and return them normalized (amounts in the smallest currency unit).

    :raises ValidationFailed: under ``pricing_plans``, one sentence per problem.
    """
    problems: list[str] = []
    plans: list[dict[str, Any]] = []
    if len(raw) > MAX_PLANS:
        problems.append(str(_l("A listing offers at most %(n)d pricing plans.", n=MAX_PLANS)))
    for position, item in enumerate(raw[:MAX_PLANS], start=1):
        plan, plan_problems = _plan(item, position)
        problems.extend(plan_problems)
        plans.append(plan)
    if problems:
        raise ValidationFailed({"pricing_plans": problems})
    return plans


def _int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # reported as negative below


def _plan(item: dict[str, Any], n: int) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    name = str(item.get("name") or "").strip()
    if not name:
        problems.append(str(_l("Plan %(n)d: give the plan a name.", n=n)))
    try:
        model = PricingModel(item.get("model"))
    except ValueError:
        return {}, [str(_l("Plan %(n)d: choose a pricing model from the list.", n=n))]
    currency = str(item.get("currency") or "CNY").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(str(_l("Plan %(n)d: the currency is a three-letter code such as CNY.",
                               n=n)))
    plan: dict[str, Any] = {
        "name": name,
        "model": model.value,
        "currency": currency,
        "price": _int(item.get("price"), 0),
        "billing_period": None,
        "free_allowance": _int(item.get("free_allowance"), 0),
        "tiers": [],
        "included_calls": _int(item.get("included_calls")),
        "overage_unit_price": _int(item.get("overage_unit_price")),
        "description": str(item.get("description") or "").strip()[:1000],
    }
    for key in ("price", "free_allowance", "included_calls", "overage_unit_price"):
        if plan[key] is not None and plan[key] < 0:
            problems.append(str(_l("Plan %(n)d: amounts and counts are whole numbers, "
                                   "zero or more.", n=n)))
            break
    match model:
        case PricingModel.FREE:
            plan["price"] = 0
        case PricingModel.ONE_TIME:
            if plan["price"] <= 0:
                problems.append(str(_l("Plan %(n)d: a one-time purchase needs a price.", n=n)))
        case PricingModel.PER_CALL:
            plan["price"] = 0
            plan["tiers"], tier_problems = _tiers(item.get("tiers") or [], n)
            problems.extend(tier_problems)
        case PricingModel.MEMBERSHIP:
            try:
                plan["billing_period"] = BillingPeriod(item.get("billing_period")).value
            except ValueError:
                problems.append(str(_l("Plan %(n)d: a membership is billed monthly or yearly.",
                                       n=n)))
            if plan["price"] <= 0:
                problems.append(str(_l("Plan %(n)d: a membership needs a price per period.",
                                       n=n)))
            if plan["included_calls"] is None:
                problems.append(str(_l("Plan %(n)d: say how many calls the membership "
                                       "includes.", n=n)))
        case PricingModel.SERVICE_FEE:
            if not plan["description"]:
                problems.append(str(_l("Plan %(n)d: describe the job the service fee covers.",
                                       n=n)))
    return plan, problems


def _tiers(raw: Any, n: int) -> tuple[list[dict[str, int | None]], list[str]]:
    """Parse volume tiers, given as a list of dicts or as lines ``UP_TO UNIT_PRICE``."""
    if isinstance(raw, str):
        parsed = []
        for line in raw.strip().splitlines():
            parts = line.replace(":", " ").split()
            if len(parts) != 2:
                return [], [str(_l("Plan %(n)d: write each tier as “up-to-calls unit-price”, "
                                   "with * for the last tier.", n=n))]
            parsed.append({"up_to": None if parts[0] in {"*", "∞"} else parts[0],
                           "unit_price": parts[1]})
        raw = parsed
    tiers: list[dict[str, int | None]] = []
    for tier in raw:
        up_to = tier.get("up_to")
        up_to = None if up_to in (None, "", "*") else _int(up_to)
        price = _int(tier.get("unit_price"))
        tiers.append({"up_to": up_to, "unit_price": price})
    if not tiers:
        return [], [str(_l("Plan %(n)d: per-call pricing needs at least one tier.", n=n))]
    bounds = [t["up_to"] for t in tiers[:-1]]
    if (
        tiers[-1]["up_to"] is not None
        or any(b is None or b <= 0 for b in bounds)
        or bounds != sorted(set(bounds))
        or any(t["unit_price"] is None or t["unit_price"] < 0 for t in tiers)
    ):
        return tiers, [str(_l(
            "Plan %(n)d: tiers go up in calls, each with a unit price of zero or more, "
            "and the last tier has no upper bound.", n=n))]
    return tiers, []


def completeness_errors(content: dict[str, Any], plans: list[dict[str, Any]]) -> dict[str, list]:
    """What a listing still lacks before it can be submitted for review."""
    errors: dict[str, list[str]] = {}
    if not content.get("summary"):
        errors["summary"] = [str(_l("Write a summary buyers see in search results."))]
    if not content.get("description_md", "").strip():
        errors["description_md"] = [str(_l("Describe the product before submitting it."))]
    if not content.get("data_dictionary"):
        errors["data_dictionary"] = [
            str(_l("Describe at least one field in the data dictionary."))
        ]
    if not plans:
        errors["pricing_plans"] = [str(_l("Offer at least one pricing plan."))]
    return errors


def dataset_errors(content: dict[str, Any], dataset: Dataset | None) -> dict[str, list[str]]:
    """What keeps a data package from review: no dataset yet, or a data dictionary that
    disagrees with the dataset's columns (each disagreement named)."""
    if content.get("delivery_form") != DeliveryForm.DATA_PACKAGE:
        return {}
    if dataset is None:
        return {"dataset": [str(_l("Upload the dataset this data package sells before "
                                   "submitting it for review."))]}
    problems = disagreements(content.get("data_dictionary") or [], dataset.columns)
    return {"dataset": problems} if problems else {}
