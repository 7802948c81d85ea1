"""Listings through their lifecycle, and the queries the storefront and dashboards need
(plans are read through here too: ``plans_for`` and ``plan_dicts`` are re-exported).

Who may do what is decided by :func:`marketplace.policy.can` in the views; these functions hold
the business rules (valid transitions, written reasons, verified merchants, one live version) and
record every state change in the audit log.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlmodel import Session, col, select

from marketplace import changes
from marketplace.accounts.models import MerchantOrganization, User
from marketplace.accounts.services import admins, members
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog import compliance, dataset_grants, listing_operations
from marketplace.catalog.content import (
    completeness_errors,
    dataset_errors,
    validate_content,
    validate_plans,
)
from marketplace.catalog.lifecycle import (
    EDITABLE_STATES,
    IN_PROGRESS_STATES,
    REASON_REQUIRED,
    VISIBLE_TO_BUYERS,
    Transition,
    next_state,
)
from marketplace.catalog.models import Listing, ListingState, Product, ReviewDecision
from marketplace.catalog.operations import check_attachable, validate_operation_refs
from marketplace.catalog.plans import plan_dicts as plan_dicts
from marketplace.catalog.plans import plans_for as plans_for
from marketplace.catalog.plans import replace_plans as _replace_plans
from marketplace.catalog.queries import live_listing
from marketplace.datasets.models import Dataset
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.notifications.services import notify

# ---------------------------------------------------------------------------- writing listings


def create_listing(
    session: Session,
    actor: User,
    organization: MerchantOrganization,
    content: dict[str, Any],
    plans: list[dict[str, Any]] | None = None,
) -> Listing:
    """Create a product and its first listing, as a draft.

    ``content["operation"]`` (``"plugin.operation"``, optional) attaches a plugin operation of
    the organization's own plugins or the platform's.
    """
    clean, clean_plans = _validated(content, plans or [], organization)
    operations = clean.pop("operations", [])
    product = Product(organization_id=organization.id, created_by_id=actor.id)
    session.add(product)
    session.flush()
    listing = Listing(
        product_id=product.id, organization_id=organization.id, state=ListingState.DRAFT, **clean
    )
    session.add(listing)
    session.flush()
    listing_operations.replace(session, listing, operations)
    _replace_plans(session, listing, clean_plans)
    audit.record(
        session,
        actor_id=actor.id,
        action="listing.create",
        subject_type="listing",
        subject_id=listing.id,
        details={"product_id": product.id, "version": listing.version, "to": listing.state},
    )
    return listing


def update_listing(
    session: Session,
    actor: User,
    listing: Listing,
    content: dict[str, Any],
    plans: list[dict[str, Any]] | None = None,
) -> Listing:
    """Save edits to a draft (or a listing sent back with requested changes).

    ``content["operation"]`` (``"plugin.operation"``, or ``""`` for none) changes the attached
    plugin operation; without that key it stays as it is.
    """
    if ListingState(listing.state) not in EDITABLE_STATES:
        raise InvalidTransition(
            _l("Only drafts and listings with requested changes can be edited; "
               "start a new version to change a published product.")
        )
    clean, clean_plans = _validated(content, plans, _org_of(session, listing))
    operations = clean.pop("operations", None)
    _check_version_free(session, listing, clean["version"])
    for key, value in clean.items():
        setattr(listing, key, value)
    listing.updated_at = utcnow()
    session.add(listing)
    if operations is not None:
        listing_operations.replace(session, listing, operations)
    if clean_plans is not None:
        _replace_plans(session, listing, clean_plans)
    session.flush()
    return listing


def _validated(
    content: dict[str, Any],
    plans: list[dict[str, Any]] | None,
    organization: MerchantOrganization | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Content, plans and the attached operation checked together, so that one answer names
    every problem. The operation (``content["operation"]``) is checked when ``organization`` is
    given and ``operation`` (the first) or ``operations`` (the others) is present; they come
    back as ``operations``, ``(plugin, operation)`` pairs."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    clean_plans = None
    try:
        clean = validate_content(content)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if organization is not None and ("operation" in content or "operations" in content):
        refs = [content.get("operation") or "", *(content.get("operations") or [])]
        try:
            clean["operations"] = validate_operation_refs(organization, refs)
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
    try:
        clean_plans = validate_plans(plans) if plans is not None else None
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed(errors)
    return clean, clean_plans


def listing_problems(
    content: dict[str, Any],
    plans: list[dict[str, Any]] | None = None,
    organization: MerchantOrganization | None = None,
) -> dict[str, list[str]]:
    """What the catalog's rules find wrong with ``content`` (and ``plans``, and with
    ``organization`` the attached operation), saving nothing.

    Lets a form that already has errors of its own show the rules' findings in the same answer.
    """
    try:
        _validated(content, plans, organization)
    except ValidationFailed as exc:
        return exc.field_errors
    return {}


def _check_version_free(session: Session, listing: Listing, version: str) -> None:
    clash = session.exec(
        select(Listing).where(
            Listing.product_id == listing.product_id,
            Listing.version == version,
            Listing.id != listing.id,
        )
    ).first()
    if clash is not None:
        raise ValidationFailed(
            {"version": [str(_l("Version %(v)s of this product already exists.", v=version))]}
        )


def start_new_version(session: Session, actor: User, product: Product) -> Listing:
    """Copy the product's live version into a new draft; the live one stays on sale."""
    in_progress = session.exec(
        select(Listing).where(
            Listing.product_id == product.id,
            col(Listing.state).in_([s.value for s in IN_PROGRESS_STATES]),
        )
    ).first()
    if in_progress is not None:
        raise Conflict(
            _l("Version %(v)s of this product is already in progress; finish it first.",
               v=in_progress.version)
        )
    current = live_listing(session, product.id, include_suspended=True)
    if current is None:
        raise InvalidTransition(_l("Only a product on sale can get a new version."))
    fields = current.model_dump(
        include={"title", "summary", "description_md", "title_en", "summary_en",
                 "description_md_en", "product_type", "delivery_form",
                 "scenario", "tags", "classification_level", "data_dictionary", "sample_rows",
                 "requires_application", "trial_calls", "dataset_id"}
    )
    listing = Listing(
        product_id=product.id,
        organization_id=product.organization_id,
        version=_next_version(session, product.id, current.version),
        state=ListingState.DRAFT,
        **fields,
    )
    session.add(listing)
    session.flush()
    _replace_plans(session, listing, plan_dicts(session, current.id))
    listing_operations.copy(session, current, listing)
    dataset_grants.copy(session, current, listing)
    audit.record(
        session,
        actor_id=actor.id,
        action="listing.new_version",
        subject_type="listing",
        subject_id=listing.id,
        details={"product_id": product.id, "from_listing": current.id, "version": listing.version},
    )
    return listing


def _next_version(session: Session, product_id: int, version: str) -> str:
    taken = set(session.exec(select(Listing.version).where(Listing.product_id == product_id)))
    parts = [int(p) for p in version.split(".")] if version.replace(".", "").isdigit() else [1, 0]
    while True:
        parts[-1] += 1
        candidate = ".".join(str(p) for p in parts)
        if candidate not in taken:
            return candidate


# ---------------------------------------------------------------------------- lifecycle


def _move(
    session: Session,
    actor: User,
    listing: Listing,
    transition: Transition,
    reason: str = "",
) -> str:
    """Apply one transition: validate it, change the state, and audit it. A step onto or off the
    shelf announces the product as changed, in this transaction, so the search index's outbox
    row commits with it. Returns the old state."""
    new_state = next_state(listing.state, transition)
    reason = (reason or "").strip()
    if transition in REASON_REQUIRED and not reason:
        raise ValidationFailed({"reason": [str(_l("Write the reason the merchant will read."))]})
    old_state = listing.state
    listing.state = new_state
    listing.updated_at = utcnow()
    session.add(listing)
    session.flush()
    if VISIBLE_TO_BUYERS & {ListingState(old_state), new_state}:
        changes.product_changed(session, listing.product_id, f"listing.{transition.value}")
    audit.record(
        session,
        actor_id=actor.id,
        action=f"listing.{transition.value}",
        subject_type="listing",
        subject_id=listing.id,
        details={
            "product_id": listing.product_id,
            "version": listing.version,
            "from": old_state,
            "to": new_state.value,
            **({"reason": reason} if reason else {}),
        },
    )
    return old_state


def _org_of(session: Session, listing: Listing) -> MerchantOrganization:
    return session.get(MerchantOrganization, listing.organization_id)


def _tell_merchant(session: Session, listing: Listing, kind: str, reason: str = "") -> None:
    org = _org_of(session, listing)
    notify(
        session,
        members(session, org.id),
        kind,
        {"title": listing.title, "title_en": listing.title_en, "version": listing.version,
         "reason": reason},
        link=f"/merchant/listings/{listing.id}",
    )


def submit(session: Session, actor: User, listing: Listing) -> None:
    """Send a complete draft to review; admins are told.

    A data package needs its dataset, with a data dictionary that agrees with its columns; the
    compliance scan reads a sample of the dataset's rows and its row count.

    An attached plugin operation must still be available to the organization (its plugin
    enabled), so that reviewers judge an operation buyers can use.
    """
    content = listing.model_dump()
    missing = completeness_errors(content, plan_dicts(session, listing.id))
    dataset = session.get(Dataset, listing.dataset_id) if listing.dataset_id else None
    missing.update(dataset_errors(content, dataset))
    for plugin, operation in listing_operations.operations_of(session, listing):
        try:
            check_attachable(_org_of(session, listing), plugin, operation)
        except ValidationFailed as exc:
            missing.update(exc.field_errors)
    if missing:
        raise ValidationFailed(
            missing, str(_l("This listing is not ready for review yet: %(what)s",
                            what=" ".join(m for msgs in missing.values() for m in msgs)))
        )
    report = compliance.scan(listing, dataset)
    _move(session, actor, listing, Transition.SUBMIT)
    listing.submitted_at = utcnow()
    session.add(listing)
    session.add(report)
    notify(
        session,
        admins(session),
        "listing.submitted",
        {"title": listing.title, "title_en": listing.title_en, "version": listing.version},
        link=f"/admin/reviews/{listing.id}",
    )


def check_now(listing: Listing) -> compliance.ComplianceReport:
    """The compliance report a submission of ``listing`` would get now, not kept: a merchant
    runs it on a draft to fix blocking findings before an admin has to send it back."""
    return compliance.scan(listing)


def decide(
    session: Session, reviewer: User, listing: Listing, transition: Transition, reason: str = ""
) -> None:
    """Record an admin's review decision: approve, reject or request changes.

    An approved listing of a verified merchant is published at once.
    """
    if transition not in (Transition.APPROVE, Transition.REJECT, Transition.REQUEST_CHANGES):
        raise InvalidTransition(_l("That is not a review decision."))
    report = compliance.latest_report(session, listing.id)
    if transition == Transition.APPROVE and report is not None and report.blocking:
        raise InvalidTransition(ngettext(
            "The compliance report has %(num)d blocking finding: this listing cannot be "
            "approved as it is. Request changes or reject it.",
            "The compliance report has %(num)d blocking findings: this listing cannot be "
            "approved as it is. Request changes or reject it.", report.blocking))
    _move(session, reviewer, listing, transition, reason)
    session.add(
        ReviewDecision(
            listing_id=listing.id,
            reviewer_id=reviewer.id,
            decision=transition.value,
            reason=reason.strip(),
        )
    )
    kinds = {
        Transition.APPROVE: "listing.approved",
        Transition.REJECT: "listing.rejected",
        Transition.REQUEST_CHANGES: "listing.changes_requested",
    }
    if transition == Transition.APPROVE and _org_of(session, listing).is_verified:
        publish(session, reviewer, listing)
        return
    _tell_merchant(session, listing, kinds[transition], reason.strip())


def publish(session: Session, actor: User, listing: Listing) -> None:
    """Put an approved listing on sale, superseding the product's previous live version."""
    if not _org_of(session, listing).is_verified:
        raise InvalidTransition(
            _l("The merchant organization must be verified by an admin before it can publish.")
        )
    next_state(listing.state, Transition.PUBLISH)  # fail before touching the old version
    previous = live_listing(session, listing.product_id, include_suspended=True)
    if previous is not None and previous.id != listing.id:
        _move(session, actor, previous, Transition.SUPERSEDE)
    _move(session, actor, listing, Transition.PUBLISH)
    listing.published_at = utcnow()
    session.add(listing)
    _tell_merchant(session, listing, "listing.published")


def suspend(session: Session, actor: User, listing: Listing, reason: str) -> None:
    _move(session, actor, listing, Transition.SUSPEND, reason)
    _tell_merchant(session, listing, "listing.suspended", reason.strip())


def reinstate(session: Session, actor: User, listing: Listing) -> None:
    _move(session, actor, listing, Transition.REINSTATE)
    _tell_merchant(session, listing, "listing.reinstated")


def retire(session: Session, actor: User, listing: Listing, reason: str = "") -> None:
    _move(session, actor, listing, Transition.RETIRE, reason)
    _tell_merchant(session, listing, "listing.retired", reason.strip())
