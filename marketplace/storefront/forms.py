"""The storefront's search form: read from the query string, forgiving about what it finds there.

Links get shared, bookmarked and edited by hand, so a value the form does not know is dropped
(and the page says so) instead of failing the request. Every choice lives in the address, so a
search can be shared and the back button walks through what the buyer tried.
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
from marketplace.search.query import MAX_QUERY_LENGTH, SearchRequest
from marketplace.search.services import MAX_PAGE
from marketplace.storefront.facets import FACET_PARAMS, PRICE_RANGE_LABELS, SORT_LABELS


def _choices(any_label, labels: dict) -> list[SelectChoice]:
    return [
        SelectChoice("", any_label),
        *(SelectChoice(str(key), text) for key, text in labels.items()),
    ]


class BrowseForm(FlaskForm):
    """Search, facets and sort of the browse page; submitted with GET, so without a CSRF token."""

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
    price = SelectField(
        _l("Price"), choices=_choices(_l("Any price"), PRICE_RANGE_LABELS), default=""
    )
    merchant = IntegerField(_l("Merchant"), validators=[Optional(), NumberRange(min=1,
                                                                               max=2**31)])
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice("", _l("Best match")),
                 *(SelectChoice(key, text) for key, text in SORT_LABELS.items())],
        default="",
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)], default=1)

    FILTER_FIELDS = ("q", *FACET_PARAMS)

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
            self.q.data = " ".join(self.q.data.split())
        return ignored

    def search_request(self, per_page: int) -> SearchRequest:
        """The search the form describes."""
        filters = {index_field: str(self[param].data)
                   for param, index_field in FACET_PARAMS.items() if self[param].data}
        return SearchRequest(q=self.q.data or "", filters=filters, sort=self.sort.data or "",
                             page=self.page.data or 1, per_page=per_page)

    def query_args(self) -> dict[str, str]:
        """The search, filters and sort that are set, for links that must keep them."""
        args = {name: str(self[name].data) for name in self.FILTER_FIELDS if self[name].data}
        if self.sort.data:
            args["sort"] = self.sort.data
        return args

    @property
    def active_filters(self) -> bool:
        return any(self[name].data for name in self.FILTER_FIELDS)
