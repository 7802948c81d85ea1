"""The merchant side: the dashboard, the listing editor, and moving listings through review.

Views read forms and call :mod:`marketplace.catalog.services`; which buttons a page shows comes
from the policy and the lifecycle, and the services enforce the same rules again on every POST.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.catalog import (
    compliance,
    dataset_grants,
    listing_operations,
    operations,
    queries,
    services,
)
from marketplace.catalog.formats import sample_columns
from marketplace.catalog.forms import (
    ListingForm,
    RetireForm,
    attached_ref,
    listing_form_data,
    operation_choices,
)
from marketplace.catalog.lifecycle import IN_PROGRESS_STATES, Transition, allowed_transitions
from marketplace.catalog.localized import title_for_page
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.datasets import services as datasets
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor
from marketplace.web.forms import apply_field_errors

blp = Blueprint("merchant", __name__, template_folder="templates")

# Dashboard counts follow the order in which a listing passes through the states.
STATE_ORDER = list(ListingState)


def _listing_or_404(db: Session, listing_id: int) -> Listing:
    listing = db.get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


def _organization(db: Session, organization_id: int) -> MerchantOrganization:
    return db.get(MerchantOrganization, organization_id)


def available_actions(
    listing: Listing,
    organization: MerchantOrganization,
    versions: list[Listing],
    product: Product | None = None,
) -> set[str]:
    """The buttons to show for ``listing`` now: allowed by the policy and by the lifecycle.

    ``versions`` are the product's listings (to know whether one is already in progress); the
    new-version button is only considered when ``product`` is given.
    """
    moves = allowed_transitions(listing.state)
    actions: set[str] = set()
    if check("listing.edit", listing):
        actions.add("edit")
    if Transition.SUBMIT in moves and check("listing.submit", listing):
        actions.add("submit")
    if Transition.PUBLISH in moves and check("listing.publish", listing):
        actions.add("publish" if organization.is_verified else "publish_blocked")
    if Transition.RETIRE in moves and check("listing.retire", listing):
        actions.add("retire")
    in_progress = any(
        v.product_id == listing.product_id and ListingState(v.state) in IN_PROGRESS_STATES
        for v in versions
    )
    if (
        product is not None
        and listing.state in (ListingState.PUBLISHED, ListingState.SUSPENDED)
        and not in_progress
        and check("product.new_version", product)
    ):
        actions.add("new_version")
    return actions


@blp.route("/merchant")
def dashboard():
    authorize("merchant.dashboard")
    db = get_session()
    organization = _organization(db, current_actor().organization_id)
    listings = queries.organization_listings(db, organization.id)
    counts = Counter(listing.state for listing in listings)
    return render_template(
        "merchant/dashboard.html",
        organization=organization,
        listings=listings,
        state_counts=[(state, counts[state]) for state in STATE_ORDER if counts[state]],
        actions={
            listing.id: available_actions(listing, organization, listings) for listing in listings
        },
    )


def _offer_operations(form: ListingForm, organization: MerchantOrganization,
                      listing: Listing | None = None) -> None:
    """Fill the editor's operation choices from the plugins enabled now."""
    attachable = operations.attachable_operations(organization)
    form.operation.choices = operation_choices(
        attachable, organization.credit_code, attached_ref(listing) if listing is not None else ""
    )
    form.more_operations.choices = operation_choices(
        attachable, organization.credit_code, form.more_operations.data or [], none=False)
    form.operations_offered = bool(attachable)


def _run_editor(
    form: ListingForm,
    organization: MerchantOrganization,
    save: Callable[[Session, dict[str, Any], list[dict[str, Any]]], Listing],
):
    """Handle a posted editor: add a row, or save through ``save`` and go to the listing.

    Returns a redirect once saved, or the status to re-render the editor with.
    """
    if not form.is_submitted():
        return 200
    if form.wants_more_rows():
        if problem := form.add_row():
            form.form_errors.append(problem)
        return 200
    if not form.validate():
        # Plans whose own fields are wrong cannot be read yet; the rest can already be checked.
        apply_field_errors(form, services.listing_problems(form.content(),
                                                           organization=organization))
        return 422
    db = get_session()
    try:
        listing = save(db, form.content(), form.plans())
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return 422
    except DomainError as exc:
        db.rollback()
        form.form_errors.append(str(exc))
        return exc.status_code
    flash(_("Your changes to “%(title)s” are saved.", title=title_for_page(listing)), "success")
    return redirect(url_for(".listing_detail", listing_id=listing.id))


@blp.route("/merchant/listings/new", methods=["GET", "POST"])
def new_listing():
    authorize("listing.create")
    user = current_actor()
    # A new listing starts with a few empty dictionary rows; more are one button away.
    form = ListingForm() if request.method == "POST" else ListingForm(
        data={"data_dictionary": [{}, {}, {}]}
    )
    organization = _organization(get_session(), user.organization_id)
    _offer_operations(form, organization)

    def save(db: Session, content: dict[str, Any], plans: list[dict[str, Any]]) -> Listing:
        return services.create_listing(db, user, organization, content, plans)

    result = _run_editor(form, organization, save)
    if not isinstance(result, int):
        return result
    return (
        render_template("merchant/editor.html", form=form, listing=None,
                        organization=organization),
        result,
    )


@blp.route("/merchant/listings/<int:listing_id>")
def listing_detail(listing_id: int):
    db = get_session()
    listing = _listing_or_404(db, listing_id)
    authorize("listing.manage", listing)
    return _render_detail(listing)


@blp.route("/merchant/listings/<int:listing_id>/check", methods=["POST"])
def check_listing(listing_id: int):
    """"Check now": the compliance scan a submission runs, on the draft as it stands, shown on
    its page and kept nowhere (the reviewer sees the scan of the submitted version)."""
    db = get_session()
    listing = _listing_or_404(db, listing_id)
    authorize("listing.edit", listing)
    return _render_detail(listing, check=services.check_now(listing))


def _render_detail(listing: Listing, *, check=None):
    db = get_session()
    organization = _organization(db, listing.organization_id)
    product = db.get(Product, listing.product_id)
    versions = queries.versions_of(db, listing.product_id)
    dataset = datasets.dataset_of(db, listing)
    return render_template(
        "merchant/listing_detail.html",
        listing=listing,
        dataset=dataset,
        dataset_problems=datasets.dictionary_problems(listing, dataset),
        grants=dataset_grants.grants_of(db, listing.id),
        operation=operations.attached_operation(listing),
        organization=organization,
        plans=services.plans_for(db, listing.id),
        sample_columns=sample_columns(listing.sample_rows, listing.data_dictionary),
        decisions=queries.decisions_for(db, listing.id),
        report=compliance.latest_report(db, listing.id),
        check=check,
        finding_message=compliance.finding_message,
        versions=versions,
        actions=available_actions(listing, organization, versions, product),
        retire_form=RetireForm(),
    )


@blp.route("/merchant/listings/<int:listing_id>/edit", methods=["GET", "POST"])
def edit_listing(listing_id: int):
    db = get_session()
    listing = _listing_or_404(db, listing_id)
    authorize("listing.edit", listing)
    user = current_actor()
    form = ListingForm() if request.method == "POST" else ListingForm(
        data=listing_form_data(listing, services.plan_dicts(db, listing.id),
                               listing_operations.operations_of(db, listing))
    )
    organization = _organization(db, listing.organization_id)
    _offer_operations(form, organization, listing)

    def save(db: Session, content: dict[str, Any], plans: list[dict[str, Any]]) -> Listing:
        return services.update_listing(db, user, listing, content, plans)

    result = _run_editor(form, organization, save)
    if not isinstance(result, int):
        return result
    return (
        render_template("merchant/editor.html", form=form, listing=listing,
                        organization=organization),
        result,
    )


def _lifecycle_step(listing_id: int, action: str, step: Callable[[Session, Listing], None],
                    done: Callable[[Listing], str]):
    """Load, authorize, run one lifecycle step, and go back to the listing with the outcome."""
    db = get_session()
    listing = _listing_or_404(db, listing_id)
    authorize(action, listing)
    try:
        step(db, listing)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(done(listing), "success")
    return redirect(url_for(".listing_detail", listing_id=listing_id))


@blp.route("/merchant/listings/<int:listing_id>/submit", methods=["POST"])
def submit_listing(listing_id: int):
    return _lifecycle_step(
        listing_id,
        "listing.submit",
        lambda db, listing: services.submit(db, current_actor(), listing),
        lambda listing: _("“%(title)s” is submitted for review. You will be notified when an "
                          "admin decides.", title=title_for_page(listing)),
    )


@blp.route("/merchant/listings/<int:listing_id>/publish", methods=["POST"])
def publish_listing(listing_id: int):
    return _lifecycle_step(
        listing_id,
        "listing.publish",
        lambda db, listing: services.publish(db, current_actor(), listing),
        lambda listing: _("“%(title)s” is published: buyers can now find and buy it.",
                          title=title_for_page(listing)),
    )


@blp.route("/merchant/listings/<int:listing_id>/retire", methods=["POST"])
def retire_listing(listing_id: int):
    form = RetireForm()

    def retire(db: Session, listing: Listing) -> None:
        if not form.validate():
            raise ValidationFailed({"reason": form.reason.errors})
        services.retire(db, current_actor(), listing, form.reason.data or "")

    return _lifecycle_step(
        listing_id,
        "listing.retire",
        retire,
        lambda listing: _("“%(title)s” is retired and no longer on sale.",
                          title=title_for_page(listing)),
    )


@blp.route("/merchant/products/<int:product_id>/new-version", methods=["POST"])
def new_version(product_id: int):
    db = get_session()
    product = db.get(Product, product_id)
    if product is None:
        abort(404)
    authorize("product.new_version", product)
    try:
        draft = services.start_new_version(db, current_actor(), product)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        current = queries.live_listing(db, product.id, include_suspended=True)
        if current is None:
            return redirect(url_for(".dashboard"))
        return redirect(url_for(".listing_detail", listing_id=current.id))
    flash(
        _("Version %(version)s is a new draft copied from the version on sale, which stays on "
          "sale until the new one is published. Edit it, then submit it for review.",
          version=draft.version),
        "success",
    )
    return redirect(url_for(".listing_detail", listing_id=draft.id))
