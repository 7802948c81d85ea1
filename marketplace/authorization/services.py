"""The authorization application workflow: a buyer applies; the merchant approves, narrows or
rejects; for level 4 a platform admin decides after the merchant; the buyer may withdraw; an
approved application may be narrowed again or revoked, and expires at the end of its period.

Every move is one :class:`~.models.ApplicationEvent` in the history both sides see, one audit
entry and a notification, in the caller's transaction. A revocation, an expiry or a narrower
decision changes the entitlements granted under the application in the same transaction
(:func:`marketplace.delivery.entitlements.follow_application`). Who may decide is the policy's
question (:mod:`.rules`), asked by the pages and the API before calling in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.accounts.services import admins, members
from marketplace.audit import services as audit
from marketplace.authorization import grants, requests
from marketplace.authorization.models import (
    ApplicationEvent,
    ApplicationState,
    AuthorizationApplication,
    LegalBasis,
)
from marketplace.authorization.workflow import (
    ADMIN_DECISIONS,
    MERCHANT_DECISIONS,
    REASON_REQUIRED,
    Decision,
    next_state,
)
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState
from marketplace.delivery import entitlements
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.notifications.services import notify

S = ApplicationState
#: The longest period one application may cover.
MAX_PERIOD = timedelta(days=3 * 366)


@dataclass
class ApplicationInput:
    """What a buyer states, as the form or the API read it."""

    purpose: str = ""
    scenario: str = ""
    legal_basis: str = ""
    legal_basis_detail: str = ""
    #: ``{ref: [field, ...] or None}`` (None: every output field).
    operations: dict[str, list[str] | None] = field(default_factory=dict)
    starts_on: date | None = None
    ends_on: date | None = None


def apply(session: Session, buyer: User, listing: Listing,
          given: ApplicationInput) -> AuthorizationApplication:
    """Submit the buyer's application for the product ``listing`` (its live version) is of;
    the merchant's members are told.

    :raises ValidationFailed: naming every field that is wrong.
    :raises Conflict: the product needs no application, is the buyer's own organization's,
        or the buyer has one waiting or approved already.
    """
    if listing.state != ListingState.PUBLISHED:
        raise Conflict(_l("This product is not on sale: there is nothing to apply for."))
    if not grants.required(listing):
        raise Conflict(_l("This product needs no authorization application: buy it directly."))
    if buyer.organization_id is not None and buyer.organization_id == listing.organization_id:
        raise Conflict(_l("You cannot apply for your own organization's products."))
    if (existing := grants.open_application(session, buyer.id, listing.product_id)) is not None:
        raise Conflict(_l("You already have an application for this product (number "
                          "%(id)d): withdraw it, or wait for it to end, before applying again.",
                          id=existing.id))
    clean = _clean_input(given, requests.requestable_operations(session, listing))
    application = AuthorizationApplication(
        buyer_id=buyer.id, product_id=listing.product_id, listing_id=listing.id,
        organization_id=listing.organization_id,
        classification_level=listing.classification_level, **clean)
    session.add(application)
    session.flush()
    session.add(ApplicationEvent(application_id=application.id, actor_id=buyer.id,
                                 action="submitted", to_state=S.SUBMITTED,
                                 details={"requested": application.requested}))
    audit.record(session, actor_id=buyer.id, action="application.submit",
                 subject_type="authorization_application", subject_id=application.id,
                 details={"product_id": listing.product_id, "listing_id": listing.id,
                          "legal_basis": application.legal_basis,
                          "requested": application.requested,
                          "period": [application.starts_on, application.ends_on]})
    _tell(session, members(session, listing.organization_id), "application.submitted",
          application, listing)
    return application


def _clean_input(given: ApplicationInput,
                 operations: list[requests.RequestableOperation]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    purpose, scenario = given.purpose.strip(), given.scenario.strip()
    detail = given.legal_basis_detail.strip()
    if not purpose:
        errors["purpose"] = [str(_l("Say what you will use the data for."))]
    elif len(purpose) > 2000:
        errors["purpose"] = [str(_l("Keep the purpose within 2,000 characters."))]
    if not scenario:
        errors["scenario"] = [str(_l("Say in which business scenario you will use it."))]
    elif len(scenario) > 500:
        errors["scenario"] = [str(_l("Keep the scenario within 500 characters."))]
    if given.legal_basis not in {basis.value for basis in LegalBasis}:
        errors["legal_basis"] = [str(_l("Choose the legal basis from the list."))]
    elif given.legal_basis == LegalBasis.OTHER and not detail:
        errors["legal_basis_detail"] = [str(_l("Name the legal basis you rely on."))]
    if len(detail) > 1000:
        errors["legal_basis_detail"] = [str(_l("Keep the legal basis within 1,000 "
                                               "characters."))]
    errors.update(_period_errors(given.starts_on, given.ends_on))
    requested: dict[str, Any] = {}
    try:
        requested = requests.clean_request(operations, given.operations)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed(errors)
    return {"purpose": purpose, "scenario": scenario, "legal_basis": given.legal_basis,
            "legal_basis_detail": detail, "requested": requested,
            "starts_on": given.starts_on, "ends_on": given.ends_on}


def _period_errors(starts_on: date | None, ends_on: date | None) -> dict[str, list[str]]:
    today = grants.today()
    if starts_on is None:
        return {"starts_on": [str(_l("Give the first day of the period (YYYY-MM-DD)."))]}
    if ends_on is None:
        return {"ends_on": [str(_l("Give the last day of the period (YYYY-MM-DD)."))]}
    if starts_on < today:
        return {"starts_on": [str(_l("The period cannot start in the past."))]}
    if ends_on < starts_on:
        return {"ends_on": [str(_l("The period ends before it starts."))]}
    if ends_on - starts_on > MAX_PERIOD:
        return {"ends_on": [str(_l("One application covers at most three years."))]}
    return {}


def decide(session: Session, actor: User, application: AuthorizationApplication,
           decision: Decision | str, *, reason: str = "",
           chosen: requests.Chosen | None = None,
           masking: dict[str, dict[str, str]] | None = None) -> ApplicationEvent:
    """The merchant's decision: approve as asked, narrow (``chosen`` operations and fields,
    ``masking`` per field, within what was asked or is approved now), or reject with a reason.
    A level 4 product's approval then waits for a platform admin.

    :raises InvalidTransition: the decision is not possible now.
    :raises ValidationFailed: a missing reason, or a scope wider than allowed.
    """
    decision = _decision(decision, MERCHANT_DECISIONS)
    scope = None
    if decision == Decision.APPROVE:
        scope = application.requested
    elif decision == Decision.NARROW:
        next_state(application.state, decision)  # say "not now" before judging the scope
        base = application.approved_scope if application.state == S.APPROVED \
            else application.requested
        scope = requests.clean_narrowing(base, chosen or {}, masking or {},
                                         requests.masking_strategies())
    return _move(session, actor, application, decision, reason, scope)


def admin_decide(session: Session, actor: User, application: AuthorizationApplication,
                 decision: Decision | str, *, reason: str = "") -> ApplicationEvent:
    """A platform admin approves or rejects a level 4 application the merchant approved."""
    return _move(session, actor, application, _decision(decision, ADMIN_DECISIONS), reason)


def withdraw(session: Session, buyer: User, application: AuthorizationApplication,
             reason: str = "") -> ApplicationEvent:
    """The buyer takes back an application still waiting for a decision."""
    return _move(session, buyer, application, Decision.WITHDRAW, reason)


def revoke(session: Session, actor: User, application: AuthorizationApplication,
           reason: str) -> ApplicationEvent:
    """The merchant or an admin revokes an approved application: its entitlements are
    suspended at once."""
    return _move(session, actor, application, Decision.REVOKE, reason)


def expire_due(session: Session, on: date | None = None) -> int:
    """Expire applications whose period ended before ``on`` (today); how many."""
    on = on or grants.today()
    due = session.exec(select(AuthorizationApplication).where(
        col(AuthorizationApplication.state).in_([S.SUBMITTED, S.PENDING_ADMIN, S.APPROVED]),
        col(AuthorizationApplication.ends_on) < on,
    ).order_by(col(AuthorizationApplication.id))).all()
    for application in due:
        _move(session, None, application, Decision.EXPIRE, "")
    return len(due)


def _decision(value: Decision | str, allowed: frozenset[Decision]) -> Decision:
    try:
        decision = Decision(value)
    except ValueError:
        decision = None
    if decision not in allowed:
        raise ValidationFailed({"decision": [str(_l(
            "Choose one of: %(choices)s.", choices=", ".join(sorted(allowed))))]})
    return decision


#: The notification each arrival state sends, and to whom ("buyer", "merchant", "admins").
_TELL = {
    S.APPROVED: ("application.approved", ("buyer", "merchant")),
    S.PENDING_ADMIN: ("application.pending_admin", ("buyer", "admins")),
    S.REJECTED: ("application.rejected", ("buyer", "merchant")),
    S.WITHDRAWN: ("application.withdrawn", ("merchant",)),
    S.REVOKED: ("application.revoked", ("buyer", "merchant")),
    S.EXPIRED: ("application.expired", ("buyer",)),
}


def _move(session: Session, actor: User | None, application: AuthorizationApplication,
          decision: Decision, reason: str,
          scope: dict[str, Any] | None = None) -> ApplicationEvent:
    """Apply one decision: check it, record the event, audit it, change the entitlements
    under the application, and tell the parties."""
    before = S(application.state)
    to = next_state(before, decision, application.classification_level)
    reason = (reason or "").strip()[:2000]
    if decision in REASON_REQUIRED and not reason:
        raise ValidationFailed({"reason": [str(_l("Write the reason the other side will "
                                                  "read."))]})
    if decision == Decision.NARROW and before == S.APPROVED and scope == application.approved_scope:
        raise InvalidTransition(_l("This scope is the one approved already: nothing to change."))
    actor_id = actor.id if actor is not None else None
    application.state = to
    if scope is not None:
        application.approved_scope = scope
    application.updated_at = utcnow()
    session.add(application)
    details = {"scope": scope} if scope is not None else {}
    event = ApplicationEvent(application_id=application.id, actor_id=actor_id,
                             action=decision.value, from_state=before, to_state=to,
                             reason=reason, details=details)
    session.add(event)
    session.flush()
    audit.record(session, actor_id=actor_id, action=f"application.{decision.value}",
                 subject_type="authorization_application", subject_id=application.id,
                 details={"from": before.value, "to": to.value, "reason": reason, **details})
    entitlements.follow_application(session, application, actor_id=actor_id, reason=reason)
    kind, audience = _TELL.get(to, ("application.approved", ("buyer",)))
    if decision == Decision.NARROW:
        kind = "application.narrowed"
    listing = session.get(Listing, application.listing_id)
    recipients: list[User] = []
    if "buyer" in audience:
        recipients.append(session.get(User, application.buyer_id))
    if "merchant" in audience:
        recipients.extend(members(session, application.organization_id))
    if "admins" in audience:
        recipients.extend(admins(session))
    # The one who decided is not told of their own decision.
    _tell(session, [user for user in recipients if user is not None and user.id != actor_id],
          kind, application, listing, reason)
    return event


def _tell(session: Session, users: list[User], kind: str, application: AuthorizationApplication,
          listing: Listing, reason: str = "") -> None:
    if users:
        notify(session, users, kind, {"id": application.id, "title": listing.title,
                                      "title_en": listing.title_en, "reason": reason},
               link=f"/applications/{application.id}")
