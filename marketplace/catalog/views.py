"""The merchant side: the dashboard, the listing editor, and moving listings through review.

Views read forms and call :mod:`marketplace.catalog.services`; which buttons a page shows comes
from the policy and the lifecycle, and the services enforce the same rules again on every POST.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.catalog import compliance, operations, queries, services
from marketplace.catalog.formats import sample_columns
from marketplace.catalog.forms import (
    ListingForm,
    OperationConsoleForm,
    RetireForm,
    attached_ref,
    listing_form_data,
    operation_choices,
)
from marketplace.catalog.lifecycle import IN_PROGRESS_STATES, Transition, allowed_transitions
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.catalog.operations import OperationOwner
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import (
    InvocationError,
    OperationNotFound,
    OperationPaused,
    PluginBadInput,
    PluginFault,
    PluginNotFoundError,
    PluginTimeout,
)
from marketplace.plugins.runtime import OperationInfo, Snapshot
from marketplace.policy import authorize, check, current_actor
from marketplace.web.errors import problem_response, wants_problem_json
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
    flash(_("Your changes to “%(title)s” are saved.", title=listing.title), "success")
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
    organization = _organization(db, listing.organization_id)
    product = db.get(Product, listing.product_id)
    versions = queries.versions_of(db, listing.product_id)
    return render_template(
        "merchant/listing_detail.html",
        listing=listing,
        operation=operations.attached_operation(listing),
        organization=organization,
        plans=services.plans_for(db, listing.id),
        sample_columns=sample_columns(listing.sample_rows, listing.data_dictionary),
        decisions=queries.decisions_for(db, listing.id),
        report=compliance.latest_report(db, listing.id),
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
        data=listing_form_data(listing, services.plan_dicts(db, listing.id))
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
                          "admin decides.", title=listing.title),
    )


@blp.route("/merchant/listings/<int:listing_id>/publish", methods=["POST"])
def publish_listing(listing_id: int):
    return _lifecycle_step(
        listing_id,
        "listing.publish",
        lambda db, listing: services.publish(db, current_actor(), listing),
        lambda listing: _("“%(title)s” is published: buyers can now find and buy it.",
                          title=listing.title),
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
        lambda listing: _("“%(title)s” is retired and no longer on sale.", title=listing.title),
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
        current = services.live_listing(db, product.id, include_suspended=True)
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


# ---------------------------------------------------------------------------- try-it console


def _console_groups(available: list[tuple[OperationInfo, OperationOwner]],
                    actor: User) -> list[tuple[str, list[OperationInfo]]]:
    """The console's operations grouped for its picker: the merchant's own, the platform's,
    and (for admins) every other merchant's."""
    own = [info for info, owner in available
           if not owner.is_platform and owner.organization_id == actor.organization_id]
    platform = [info for info, owner in available if owner.is_platform]
    others = [info for info, _owner in available if info not in own and info not in platform]
    groups = [(_("Your organization's operations"), own), (_("Platform operations"), platform),
              (_("Other merchants' operations"), others)]
    return [(title, infos) for title, infos in groups if infos]


def _console_operation(ref: str | None,
                       snapshot: Snapshot) -> tuple[OperationInfo, OperationOwner]:
    """The operation ``ref`` names, authorized for the current user (404, then 403)."""
    try:
        parsed = operations.parse_operation_ref(ref)
    except ValueError:
        parsed = None
    if parsed is None:
        abort(404)
    # OperationNotFound: a 404 for the caller
    info = get_runtime().operation(*parsed, snapshot=snapshot)
    owner = operations.owner_of(get_session(), info)
    authorize("operation.try", owner)
    return info, owner


CONSOLE_ERROR_KINDS = {
    PluginBadInput: "bad_input",
    PluginNotFoundError: "not_found",
    OperationNotFound: "unavailable",
    PluginFault: "fault",
    PluginTimeout: "timeout",
    OperationPaused: "paused",
}


@blp.route("/merchant/operations", methods=["GET", "POST"])
def try_operation():
    """Run one of the merchant's operations on sample input, as a buyer's call would run.

    Answers JSON (``{"output": ...}``, or the runtime's problem+json) to a client that asks
    for it. The result is shown directly rather than after a redirect: running an operation
    changes nothing the merchant would reload.
    """
    authorize("operation.try")
    actor = current_actor()
    db = get_session()
    json_wanted = wants_problem_json()
    form = OperationConsoleForm()
    ref = form.operation.data if request.method == "POST" else request.args.get("operation")
    # The plugins' records, read once for the whole call and passed down.
    snapshot = get_runtime().snapshot()
    available = operations.console_operations(db, actor, snapshot)
    if not ref and available and request.method == "GET":
        ref = operations.operation_ref(available[0][0].plugin, available[0][0].name)
    selected, unavailable = None, None
    if ref:
        try:
            selected, _owner = _console_operation(ref, snapshot)
        except OperationNotFound as exc:
            if json_wanted or request.method == "GET":
                raise
            unavailable = exc  # shown on the page, with what the merchant typed
    if request.method == "GET" and selected is not None:
        form.operation.data = ref
        form.payload.data = operations.pretty_json(operations.example_payload(selected))

    page = {"form": form, "groups": _console_groups(available, actor), "selected": selected,
            "details": (operations.AttachedOperation(selected.plugin, selected.name, selected)
                        if selected is not None else None),
            "buyer": operations.console_buyer(actor), "output": None, "error": None,
            "elapsed_ms": None}
    if request.method == "GET":
        return render_template("merchant/operations.html", **page)

    if not form.validate():
        if json_wanted:
            return problem_response(422, _("The input cannot be sent: fix it and try again."),
                                    errors=dict(form.errors))
        return render_template("merchant/operations.html", **page), 422
    if unavailable is not None:
        page["error"] = {"kind": "unavailable", "error": unavailable}
        return render_template("merchant/operations.html", **page), unavailable.status_code
    started = time.perf_counter()
    try:
        output = operations.try_operation(actor, selected, form.payload_object,
                                          snapshot)
    except InvocationError as exc:
        if json_wanted:
            raise  # the app's handler answers problem+json with the incident id
        page["error"] = {"kind": CONSOLE_ERROR_KINDS.get(type(exc), "fault"), "error": exc}
        response = make_response(render_template("merchant/operations.html", **page),
                                 exc.status_code)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if json_wanted:
        return jsonify(output=output)
    page["output"] = operations.pretty_json(output)
    page["elapsed_ms"] = round((time.perf_counter() - started) * 1000)
    return render_template("merchant/operations.html", **page)
