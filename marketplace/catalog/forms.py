"""The listing editor: everything a merchant who writes no code fills in to describe a product.

People type prices in yuan, the sample as CSV and volume tiers one per line; this module turns
that into the shapes :func:`marketplace.catalog.content.validate_content` and
:func:`~marketplace.catalog.content.validate_plans` check (amounts in fen, rows as dicts), and back
again to prefill the editor. Reading the form is all it does: every rule about what a listing may
contain stays in :mod:`marketplace.catalog.content`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from marketplace.catalog.content import FIELD_TYPES, MAX_FIELDS, MAX_TRIAL_CALLS
from marketplace.catalog.formats import (
    MAX_COUNT,
    parse_sample_csv,
    parse_tiers,
    sample_to_csv,
    tiers_to_text,
)
from marketplace.catalog.labels import (
    DELIVERY_FORM_LABELS,
    LEVEL_LABELS,
    PERIOD_LABELS,
    PRICING_MODEL_LABELS,
    PRODUCT_TYPE_LABELS,
    SCENARIO_LABELS,
    SENSITIVITY_LABELS,
)
from marketplace.catalog.models import Listing, Sensitivity
from marketplace.catalog.operations import operation_ref
from marketplace.money import amount_input, parse_amount
from marketplace.plugins.runtime import OperationInfo

MAX_PLAN_FORMS = 4

FIELD_TYPE_LABELS = {
    "string": _l("Text"),
    "integer": _l("Whole number"),
    "decimal": _l("Decimal number"),
    "boolean": _l("Yes / no"),
    "date": _l("Date"),
    "datetime": _l("Date and time"),
    "json": _l("JSON"),
}



# ---------------------------------------------------------------------------- validators


class YuanAmount:
    """The field holds a price in yuan that :func:`marketplace.money.parse_amount` can read (or
    nothing)."""

    def __call__(self, _form: Form, field: StringField) -> None:
        try:
            parse_amount(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class TierLines:
    def __call__(self, _form: Form, field: TextAreaField) -> None:
        try:
            parse_tiers(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class SampleCsv:
    def __call__(self, _form: Form, field: TextAreaField) -> None:
        try:
            parse_sample_csv(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


# ---------------------------------------------------------------------------- forms


def _choices(labels: dict, empty: Any = None) -> list[SelectChoice]:
    choices = [SelectChoice(str(value), text) for value, text in labels.items()]
    return [SelectChoice("", empty), *choices] if empty is not None else choices


class DictionaryFieldForm(Form):
    """One row of the data dictionary. A row with neither name nor description is ignored."""

    name = StringField(_l("Field name"), render_kw={"maxlength": 64, "autocomplete": "off"})
    field_type = SelectField(
        _l("Type"),
        choices=[SelectChoice(t, FIELD_TYPE_LABELS[t]) for t in FIELD_TYPES],
        default="string",
        validate_choice=False,
    )
    description = StringField(_l("What it contains"), validators=[Length(max=500)])
    description_en = StringField(_l("What it contains, in English (optional)"),
                                 validators=[Length(max=500)])
    sensitivity = SelectField(
        _l("Sensitivity"), choices=_choices(SENSITIVITY_LABELS), default=Sensitivity.NONE.value,
        validate_choice=False,
    )

    def to_dict(self) -> dict[str, str]:
        return {
            "name": (self.name.data or "").strip(),
            "type": self.field_type.data,
            "description": (self.description.data or "").strip(),
            "description_en": (self.description_en.data or "").strip(),
            "sensitivity": self.sensitivity.data,
        }


class PlanForm(Form):
    """One pricing plan; which fields matter depends on the pricing model."""

    name = StringField(_l("Plan name"), validators=[Length(max=100)])
    model = SelectField(
        _l("Pricing model"),
        choices=_choices(PRICING_MODEL_LABELS, empty=_l("Choose a pricing model")),
        default="",
        validate_choice=False,
    )
    price = StringField(_l("Price (yuan)"), validators=[YuanAmount()],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    billing_period = SelectField(
        _l("Billing period"),
        choices=_choices(PERIOD_LABELS, empty=_l("Not billed per period")),
        default="",
        validate_choice=False,
    )
    free_allowance = IntegerField(
        _l("Free calls each month"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    tiers = TextAreaField(_l("Volume tiers"), validators=[TierLines()], render_kw={"rows": 3})
    included_calls = IntegerField(
        _l("Included calls"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    overage_price = StringField(_l("Price per extra call (yuan)"), validators=[YuanAmount()],
                                render_kw={"inputmode": "decimal", "autocomplete": "off"})
    description = TextAreaField(_l("What the plan covers"), validators=[Length(max=1000)],
                                render_kw={"rows": 2})

    def is_empty(self) -> bool:
        return not (self.name.data or "").strip() and not self.model.data

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": (self.name.data or "").strip(),
            "model": self.model.data,
            "price": parse_amount(self.price.data),
            "billing_period": self.billing_period.data or None,
            "free_allowance": self.free_allowance.data,
            "tiers": parse_tiers(self.tiers.data),
            "included_calls": self.included_calls.data,
            "overage_unit_price": parse_amount(self.overage_price.data),
            "description": (self.description.data or "").strip(),
        }


class ListingForm(FlaskForm):
    """The listing editor. Field names match the keys of the services' ``field_errors``."""

    # The Chinese text is the listing's own (the title required); English is optional and
    # shown on pages in English (catalog/localized.py).
    title = StringField(_l("Title in Chinese"), render_kw={"maxlength": 200})
    title_en = StringField(_l("Title in English (optional)"), render_kw={"maxlength": 200})
    summary = TextAreaField(_l("Summary in Chinese"), render_kw={"maxlength": 500, "rows": 2})
    summary_en = TextAreaField(_l("Summary in English (optional)"),
                               render_kw={"maxlength": 500, "rows": 2})
    description_md = TextAreaField(_l("Description in Chinese"), render_kw={"rows": 12})
    description_md_en = TextAreaField(_l("Description in English (optional)"),
                                      render_kw={"rows": 12})
    product_type = SelectField(
        _l("Product type"), choices=_choices(PRODUCT_TYPE_LABELS, empty=_l("Choose a type")),
        validate_choice=False,
    )
    delivery_form = SelectField(
        _l("Delivery form"),
        choices=_choices(DELIVERY_FORM_LABELS, empty=_l("Choose how buyers receive it")),
        validate_choice=False,
    )
    scenario = SelectField(
        _l("Scenario"), choices=_choices(SCENARIO_LABELS, empty=_l("Choose a scenario")),
        validate_choice=False,
    )
    tags = StringField(_l("Tags"), render_kw={"autocomplete": "off"})
    classification_level = SelectField(
        _l("Classification level"), coerce=int, default=1,
        choices=[SelectChoice(level, text) for level, text in LEVEL_LABELS.items()],
    )
    version = StringField(_l("Version"), default="1.0", render_kw={"maxlength": 20})
    data_dictionary = FieldList(
        FormField(DictionaryFieldForm), min_entries=1, max_entries=MAX_FIELDS
    )
    sample_rows = TextAreaField(
        _l("Sample rows (CSV)"), validators=[SampleCsv()], render_kw={"rows": 6}
    )
    pricing_plans = FieldList(FormField(PlanForm), min_entries=1, max_entries=MAX_PLAN_FORMS)
    # Choices come from the plugins installed now: the view sets them with operation_choices(),
    # and whether any can be chosen in ``operations_offered``.
    operation = SelectField(
        _l("Plugin operation"), choices=[SelectChoice("", _l("No plugin operation"))],
        default="", validate_choice=False,
    )
    more_operations = SelectMultipleField(
        _l("Further operations"), choices=[], validate_choice=False,
        render_kw={"size": 6})
    operations_offered = False
    requires_application = BooleanField(_l("Ask every buyer for an authorization application"))
    trial_calls = IntegerField(
        _l("Free trial calls per buyer"), default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_TRIAL_CALLS)],
        render_kw={"min": 0, "max": MAX_TRIAL_CALLS, "class": "narrow"})

    add_field = SubmitField(_l("Add a field"))
    add_plan = SubmitField(_l("Add a plan"))
    save = SubmitField(_l("Save draft"))

    def wants_more_rows(self) -> bool:
        """Whether the merchant asked for another empty row instead of saving."""
        return bool(self.add_field.data or self.add_plan.data)

    def add_row(self) -> str | None:
        """Add the empty dictionary row or plan asked for; returns why not, if it cannot."""
        if self.add_field.data:
            if len(self.data_dictionary) >= MAX_FIELDS:
                return str(_l("A data dictionary has at most %(n)d fields.", n=MAX_FIELDS))
            self.data_dictionary.append_entry()
        elif self.add_plan.data:
            if len(self.pricing_plans) >= MAX_PLAN_FORMS:
                return str(_l("A listing offers at most %(n)d pricing plans here.",
                              n=MAX_PLAN_FORMS))
            self.pricing_plans.append_entry()
        return None

    def content(self) -> dict[str, Any]:
        """The listing content as the catalog services take it (a sample that is not valid CSV
        counts as none: its own error is reported by ``validate()``)."""
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "description_md": self.description_md.data or "",
            "title_en": self.title_en.data or "",
            "summary_en": self.summary_en.data or "",
            "description_md_en": self.description_md_en.data or "",
            "product_type": self.product_type.data or "",
            "delivery_form": self.delivery_form.data or "",
            "scenario": self.scenario.data or "",
            "tags": self.tags.data or "",
            "classification_level": self.classification_level.data,
            "version": self.version.data or "",
            # Empty rows go through too: the rules skip them, and keep counting them so that
            # "Field 3" names the third row the merchant sees.
            "data_dictionary": [entry.form.to_dict() for entry in self.data_dictionary],
            "sample_rows": self._sample_rows(),
            "operation": self.operation.data or "",
            "operations": [ref for ref in self.more_operations.data or [] if ref],
            "requires_application": bool(self.requires_application.data),
            "trial_calls": self.trial_calls.data or 0,
        }

    def _sample_rows(self) -> list[dict[str, str]]:
        try:
            return parse_sample_csv(self.sample_rows.data)
        except ValueError:
            return []  # the CSV's own error is shown beside the field

    def plans(self) -> list[dict[str, Any]]:
        """The pricing plans, amounts in fen; plans left without a name and model are skipped."""
        return [entry.form.to_dict() for entry in self.pricing_plans if not entry.form.is_empty()]


def listing_form_data(listing: Listing, plans: list[dict[str, Any]],
                      operations: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """What the editor shows for an existing listing (``plans`` as ``plan_dicts`` gives them,
    ``operations`` as ``listing_operations.operations_of`` does)."""
    return {
        "title": listing.title,
        "summary": listing.summary,
        "description_md": listing.description_md,
        "title_en": listing.title_en,
        "summary_en": listing.summary_en,
        "description_md_en": listing.description_md_en,
        "product_type": listing.product_type,
        "delivery_form": listing.delivery_form,
        "scenario": listing.scenario,
        "tags": ", ".join(listing.tags),
        "classification_level": listing.classification_level,
        "version": listing.version,
        "data_dictionary": [
            {"name": f.get("name", ""), "field_type": f.get("type", "string"),
             "description": f.get("description", ""),
             "description_en": f.get("description_en", ""),
             "sensitivity": f.get("sensitivity", Sensitivity.NONE.value)}
            for f in listing.data_dictionary
        ] or [{}],
        "sample_rows": sample_to_csv(listing.sample_rows, listing.data_dictionary),
        "operation": attached_ref(listing),
        "more_operations": [operation_ref(*pair) for pair in (operations or [])[1:]],
        "requires_application": listing.requires_application,
        "trial_calls": listing.trial_calls,
        "pricing_plans": [
            {"name": p["name"], "model": p["model"],
             "price": amount_input(p["price"]) if p.get("price") else "",
             "billing_period": p.get("billing_period") or "",
             "free_allowance": p.get("free_allowance") or None,
             "tiers": tiers_to_text(p.get("tiers") or []),
             "included_calls": p.get("included_calls"),
             "overage_price": amount_input(p.get("overage_unit_price")),
             "description": p.get("description", "")}
            for p in plans
        ] or [{}],
    }


def attached_ref(listing: Listing) -> str:
    """The editor's value for the operation ``listing`` sells (``""`` for none)."""
    if listing.plugin_name and listing.operation_name:
        return operation_ref(listing.plugin_name, listing.operation_name)
    return ""


def operation_choices(operations: list[OperationInfo], credit_code: str,
                      current: str | list[str] = "", *,
                      none: bool = True) -> dict[str | None, list[SelectChoice]]:
    """The editor's operation choices, grouped: none (unless ``none`` is False), the
    organization's own plugins', the platform's, and ``current`` (what the listing has now: a
    ref or several) where no longer offered, so that saving never drops it silently."""
    def choice(info: OperationInfo) -> SelectChoice:
        return SelectChoice(operation_ref(info.plugin, info.name),
                            f"{info.plugin} · {info.name} — {info.summary}")

    groups: dict[str | None, list[SelectChoice]] = {
        None: [SelectChoice("", _l("No plugin operation"))]} if none else {}
    own = [choice(info) for info in operations if info.merchant and info.merchant == credit_code]
    platform = [choice(info) for info in operations if not info.merchant]
    if own:
        groups[str(_l("Your organization's plugins"))] = own
    if platform:
        groups[str(_l("Platform plugins"))] = platform
    offered = {c.value for group in groups.values() for c in group}
    gone = [ref for ref in ([current] if isinstance(current, str) else current)
            if ref and ref not in offered]
    if gone:
        groups[str(_l("Attached now, not available"))] = [
            SelectChoice(ref, _l("%(operation)s (unavailable)", operation=ref)) for ref in gone]
    return groups


class RetireForm(FlaskForm):
    """The confirmation step before a listing leaves the store for good."""

    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Length(max=2000)], render_kw={"rows": 2},
    )
