"""The storefront's filter form: read from the query string, forgiving about what it finds there.

Links get shared, bookmarked and edited by hand, so a filter value the form does not know is
dropped (and the page says so) instead of failing the request.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, NumberRange, Optional

from marketplace.catalog.labels import (
    DELIVERY_FORM_LABELS,
    LEVEL_LABELS,
    PRICING_MODEL_LABELS,
    PRODUCT_TYPE_LABELS,
    SCENARIO_LABELS,
)
from marketplace.catalog.queries import BrowseFilters

MAX_QUERY_LENGTH = 200


def _choices(any_label, labels: dict) -> list[SelectChoice]:
    return [
        SelectChoice("", any_label),
        *(SelectChoice(str(key), text) for key, text in labels.items()),
    ]


class BrowseForm(FlaskForm):
    """Search and filters of the browse page; submitted with GET, so without a CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=MAX_QUERY_LENGTH)])
    scenario = SelectField(
        _l("Scenario"), choices=_choices(_l("All scenarios"), SCENARIO_LABELS), default=""
    )
    product_type = SelectField(
        _l("Product type"), choices=_choices(_l("All product types"), PRODUCT_TYPE_LABELS),
        default="",
    )
    delivery_form = SelectField(
        _l("Delivery form"), choices=_choices(_l("All delivery forms"), DELIVERY_FORM_LABELS),
        default="",
    )
    classification_level = SelectField(
        _l("Classification level"), choices=_choices(_l("Any level"), LEVEL_LABELS), default=""
    )
    pricing_model = SelectField(
        _l("Pricing"), choices=_choices(_l("Any pricing"), PRICING_MODEL_LABELS), default=""
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("newest", _l("Newest first")),
            SelectChoice("title", _l("Title, A to Z")),
        ],
        default="newest",
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1)], default=1)

    FILTER_FIELDS = (
        "q", "scenario", "product_type", "delivery_form", "classification_level", "pricing_model",
    )

    def read(self) -> list[str]:
        """Validate, then reset every field holding a value we do not know to its default.

        :returns: the names of the fields whose values were ignored.
        """
        self.validate()
        ignored = []
        for field in self:
            if field.errors:
                ignored.append(field.name)
                field.data = field.default
                field.raw_data = []
                field.errors = []
        if self.q.data:
            self.q.data = self.q.data.strip()
        return ignored

    def filters(self, per_page: int) -> BrowseFilters:
        """The filters for :func:`marketplace.catalog.services.browse`."""
        return BrowseFilters(
            q=self.q.data or "",
            scenario=self.scenario.data or "",
            product_type=self.product_type.data or "",
            delivery_form=self.delivery_form.data or "",
            classification_level=int(self.classification_level.data)
            if self.classification_level.data
            else None,
            pricing_model=self.pricing_model.data or "",
            sort=self.sort.data or "newest",
            page=self.page.data or 1,
            per_page=per_page,
        )

    def query_args(self) -> dict[str, str]:
        """The search and filters that are set, for links that must keep them (pagination)."""
        args = {name: str(self[name].data) for name in self.FILTER_FIELDS if self[name].data}
        if self.sort.data and self.sort.data != "newest":
            args["sort"] = self.sort.data
        return args

    @property
    def active_filters(self) -> bool:
        return any(self[name].data for name in self.FILTER_FIELDS)
