"""The listing's "Datasets for your operations" page: which of the organization's datasets its
operations read, under which names (``ctx.dataset(name)`` in the plugin).

The merchant grants and revokes while the listing is editable; the merchant and admins see the
page at any time. The services (:mod:`.dataset_grants`) enforce the same rules again.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from marketplace.catalog import dataset_grants
from marketplace.catalog.localized import title_for_page
from marketplace.catalog.models import Listing
from marketplace.datasets import lookup_stores
from marketplace.datasets.models import Dataset
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor
from marketplace.web.forms import apply_field_errors

blp = Blueprint("dataset_grants", __name__, template_folder="templates")
log = logging.getLogger(__name__)
#: The largest id a database integer holds; a larger one names no dataset.
MAX_ID = 2**31 - 1


class GrantForm(FlaskForm):
    name = StringField(_l("Name the plugin asks for"), validators=[InputRequired()],
                       render_kw={"placeholder": "business_registry", "autocomplete": "off"})
    dataset = SelectField(_l("Dataset"), coerce=int, validate_choice=False)


class RevokeForm(FlaskForm):
    name = StringField(validators=[InputRequired()])


def _listing_or_404(listing_id: int) -> Listing:
    listing = get_session().get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


def _choice_label(dataset: Dataset) -> str:
    return _("%(file)s — %(rows)s rows, uploaded %(date)s", file=dataset.original_name,
             rows=f"{dataset.row_count:,}", date=dataset.created_at.date().isoformat())


def _page(listing: Listing, form: GrantForm, status: int = 200):
    db = get_session()
    datasets = dataset_grants.grantable(db, listing.organization_id)
    form.dataset.choices = [(dataset.id, _choice_label(dataset)) for dataset in datasets]
    return render_template(
        "merchant/dataset_grants.html", listing=listing, form=form, revoke_form=RevokeForm(),
        grants=dataset_grants.grants_of(db, listing.id), grantable=datasets,
        can_edit=check("listing.edit", listing)), status


@blp.route("/merchant/listings/<int:listing_id>/dataset-grants")
def grants_page(listing_id: int):
    listing = _listing_or_404(listing_id)
    authorize("listing.manage", listing)
    return _page(listing, GrantForm())


@blp.route("/merchant/listings/<int:listing_id>/dataset-grants", methods=["POST"])
def grant_dataset(listing_id: int):
    listing = _listing_or_404(listing_id)
    authorize("listing.edit", listing)
    form = GrantForm()
    if not form.validate():
        return _page(listing, form, 422)
    db = get_session()
    if not 0 < (form.dataset.data or 0) <= MAX_ID:
        form.dataset.data = 0  # names no dataset: the service says so beside the field
    dataset = db.get(Dataset, form.dataset.data) if form.dataset.data else None
    if dataset is not None:
        authorize("dataset.grant", dataset_grants.GrantOffer(listing, dataset))
    try:
        name = form.name.data.strip()
        granted = dataset_grants.grant(db, current_actor(), listing, name, form.dataset.data or 0)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return _page(listing, form, 422)
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _page(listing, form, exc.status_code)
    # Built now, while the merchant waits, rather than on a buyer's first call (which builds it
    # if this fails: the grant itself is saved).
    try:
        lookup_stores().ensure(granted)
    except Exception:
        log.warning("the lookup store of dataset %s could not be built now", granted.id,
                    exc_info=True)
    flash(_("The operations of “%(title)s” read “%(file)s” as %(name)s.",
            title=title_for_page(listing), file=granted.original_name, name=name), "success")
    return redirect(url_for(".grants_page", listing_id=listing.id))


@blp.route("/merchant/listings/<int:listing_id>/dataset-grants/revoke", methods=["POST"])
def revoke_grant(listing_id: int):
    listing = _listing_or_404(listing_id)
    authorize("listing.edit", listing)
    form = RevokeForm()
    db = get_session()
    try:
        if not form.validate():
            raise ValidationFailed({"name": [_("Say which dataset to stop granting.")]})
        dataset_grants.revoke(db, current_actor(), listing, form.name.data)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _page(listing, GrantForm(formdata=None), exc.status_code)
    flash(_("The operations no longer read a dataset named %(name)s.", name=form.name.data),
          "success")
    return redirect(url_for(".grants_page", listing_id=listing.id))
