"""The lifecycle rules the catalog services enforce on top of the state machine."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEntry
from marketplace.audit.services import verify_chain
from marketplace.catalog import queries
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.db import get_engine
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from tests.factories import listing_content, make_listing, make_merchant, make_user, plans


@pytest.fixture
def admin(db):
    return make_user(db, Role.ADMIN)


def transitions_audited(db, listing: Listing) -> list[tuple[str, str, str]]:
    """(action, from, to) of every state change recorded for ``listing``, oldest first."""
    entries = db.exec(
        select(AuditEntry)
        .where(AuditEntry.subject_type == "listing", AuditEntry.subject_id == str(listing.id))
        .order_by(col(AuditEntry.seq))
    ).all()
    return [(e.action, e.details.get("from"), e.details["to"]) for e in entries
            if "from" in e.details]


def published_count(db, product_id: int) -> int:
    return db.exec(
        select(func.count()).select_from(Listing).where(
            Listing.product_id == product_id, Listing.state == ListingState.PUBLISHED
        )
    ).one()


# ---------------------------------------------------------------------------- submit


INCOMPLETE = {
    "summary": {"summary": ""},
    "description_md": {"description_md": "   "},
    "data_dictionary": {"data_dictionary": [], "sample_rows": []},
}


@pytest.mark.parametrize("missing", [*INCOMPLETE, "pricing_plans"])
def test_submit_names_the_one_missing_piece(db, missing):
    merchant, org = make_merchant(db)
    content = listing_content(**INCOMPLETE.get(missing, {}))
    offered = [] if missing == "pricing_plans" else plans("free")
    listing = catalog.create_listing(db, merchant, org, content, offered)
    db.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        catalog.submit(db, merchant, listing)
    assert set(excinfo.value.field_errors) == {missing}
    db.rollback()
    assert db.get(Listing, listing.id).state == ListingState.DRAFT


def test_submit_names_every_missing_piece_at_once(db):
    merchant, org = make_merchant(db)
    content = listing_content(summary="", description_md="", data_dictionary=[], sample_rows=[])
    listing = catalog.create_listing(db, merchant, org, content, [])
    db.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        catalog.submit(db, merchant, listing)
    errors = excinfo.value.field_errors
    assert set(errors) == {"summary", "description_md", "data_dictionary", "pricing_plans"}
    message = str(excinfo.value)
    for messages in errors.values():
        for sentence in messages:
            assert sentence in message


def test_submit_moves_a_complete_draft_and_tells_admins(db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org)
    catalog.submit(db, merchant, listing)
    db.commit()
    assert listing.state == ListingState.SUBMITTED
    assert listing.submitted_at is not None
    assert queries.review_queue(db) == [listing]


def test_submit_twice_is_refused(db):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    with pytest.raises(InvalidTransition):
        catalog.submit(db, merchant, listing)


# ---------------------------------------------------------------------------- reasons


@pytest.mark.parametrize("transition", [Transition.REJECT, Transition.REQUEST_CHANGES])
@pytest.mark.parametrize("reason", ["", "   "])
def test_review_decision_needs_a_written_reason(db, admin, transition, reason):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    before = len(transitions_audited(db, listing))
    with pytest.raises(ValidationFailed) as excinfo:
        catalog.decide(db, admin, listing, transition, reason)
    assert "reason" in excinfo.value.field_errors
    db.rollback()
    assert db.get(Listing, listing.id).state == ListingState.SUBMITTED
    assert len(transitions_audited(db, listing)) == before


def test_suspend_needs_a_written_reason(db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    with pytest.raises(ValidationFailed) as excinfo:
        catalog.suspend(db, admin, listing, "  ")
    assert "reason" in excinfo.value.field_errors
    db.rollback()
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED


@pytest.mark.parametrize(
    ("transition", "state"),
    [(Transition.REJECT, ListingState.REJECTED),
     (Transition.REQUEST_CHANGES, ListingState.CHANGES_REQUESTED)],
)
def test_reasoned_decision_is_kept_for_the_merchant(db, admin, transition, state):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    catalog.decide(db, admin, listing, transition, "  The sample shows raw ID numbers.  ")
    db.commit()
    assert listing.state == state
    [decision] = queries.decisions_for(db, listing.id)
    assert decision.reason == "The sample shows raw ID numbers."
    assert decision.decision == transition.value


def test_publish_or_suspend_is_not_a_review_decision(db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    for transition in (Transition.PUBLISH, Transition.SUSPEND, Transition.SUBMIT):
        with pytest.raises(InvalidTransition):
            catalog.decide(db, admin, listing, transition, "because")
    assert listing.state == ListingState.SUBMITTED


# ---------------------------------------------------------------------------- approve / publish


def test_approve_publishes_at_once_for_a_verified_merchant(db, admin):
    merchant, org = make_merchant(db, verified=True)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    catalog.decide(db, admin, listing, Transition.APPROVE)
    db.commit()
    assert listing.state == ListingState.PUBLISHED
    assert listing.published_at is not None
    assert queries.live_listing(db, listing.product_id) == listing
    assert transitions_audited(db, listing)[-2:] == [
        ("listing.approve", "submitted", "approved"),
        ("listing.publish", "approved", "published"),
    ]


def test_approve_stays_approved_for_an_unverified_merchant(db, admin):
    merchant, org = make_merchant(db, verified=False)
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    catalog.decide(db, admin, listing, Transition.APPROVE)
    db.commit()
    assert listing.state == ListingState.APPROVED
    assert listing.published_at is None
    assert queries.live_listing(db, listing.product_id) is None


def test_publish_is_refused_until_the_organization_is_verified(db, admin):
    merchant, org = make_merchant(db, verified=False)
    listing = make_listing(db, merchant, org, state=ListingState.APPROVED, admin=admin)
    with pytest.raises(InvalidTransition):
        catalog.publish(db, merchant, listing)
    db.rollback()
    assert db.get(Listing, listing.id).state == ListingState.APPROVED

    accounts.verify_organization(db, admin, org)
    db.commit()
    catalog.publish(db, merchant, listing)
    db.commit()
    assert listing.state == ListingState.PUBLISHED


@pytest.mark.parametrize(
    "state", [ListingState.DRAFT, ListingState.SUBMITTED, ListingState.REJECTED,
              ListingState.CHANGES_REQUESTED]
)
def test_publish_needs_an_approved_listing(db, admin, state):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, state=state, admin=admin)
    with pytest.raises(InvalidTransition):
        catalog.publish(db, admin, listing)


# ---------------------------------------------------------------------------- versions


def test_new_version_supersedes_the_old_only_once_published(db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    v2 = catalog.start_new_version(db, merchant, db.get(Product, v1.product_id))
    db.commit()
    assert (v2.state, v2.version) == (ListingState.DRAFT, "1.1")
    assert catalog.plan_dicts(db, v2.id) == catalog.plan_dicts(db, v1.id)

    catalog.submit(db, merchant, v2)
    db.commit()
    assert v1.state == ListingState.PUBLISHED  # still on sale during review
    assert queries.live_listing(db, v1.product_id) == v1

    catalog.decide(db, admin, v2, Transition.APPROVE)
    db.commit()
    db.refresh(v1)
    assert v1.state == ListingState.SUPERSEDED
    assert v2.state == ListingState.PUBLISHED
    assert queries.live_listing(db, v1.product_id) == v2
    assert published_count(db, v1.product_id) == 1
    assert transitions_audited(db, v1)[-1] == ("listing.supersede", "published", "superseded")


def test_rejected_new_version_leaves_the_old_one_on_sale(db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    v2 = catalog.start_new_version(db, merchant, db.get(Product, v1.product_id))
    catalog.submit(db, merchant, v2)
    catalog.decide(db, admin, v2, Transition.REJECT, "No.")
    db.commit()
    db.refresh(v1)
    assert v1.state == ListingState.PUBLISHED
    assert queries.live_listing(db, v1.product_id) == v1


def test_unverified_merchant_new_version_approved_does_not_replace_the_live_one(db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    org.status = "pending"  # verification withdrawn after the first version went on sale
    db.add(org)
    db.commit()
    v2 = catalog.start_new_version(db, merchant, db.get(Product, v1.product_id))
    catalog.submit(db, merchant, v2)
    catalog.decide(db, admin, v2, Transition.APPROVE)
    db.commit()
    db.refresh(v1)
    assert (v1.state, v2.state) == (ListingState.PUBLISHED, ListingState.APPROVED)


def test_only_one_version_in_progress(db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    product = db.get(Product, v1.product_id)
    catalog.start_new_version(db, merchant, product)
    db.commit()
    with pytest.raises(Conflict):
        catalog.start_new_version(db, merchant, product)


def test_new_version_needs_a_product_on_sale(db):
    merchant, org = make_merchant(db)
    draft = make_listing(db, merchant, org, state=ListingState.REJECTED)
    with pytest.raises(InvalidTransition):
        catalog.start_new_version(db, merchant, db.get(Product, draft.product_id))


# ---------------------------------------------------------------------------- one live version


def _second_version(db, merchant, org, v1: Listing) -> Listing:
    v2 = Listing(product_id=v1.product_id, organization_id=org.id, version="9.0",
                 state=ListingState.DRAFT, title="Second", product_type=v1.product_type,
                 delivery_form=v1.delivery_form, scenario=v1.scenario)
    db.add(v2)
    db.commit()
    return v2


def test_database_refuses_a_second_published_listing_through_the_orm(db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    v2 = _second_version(db, merchant, org, v1)
    v2.state = ListingState.PUBLISHED
    db.add(v2)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    assert published_count(db, v1.product_id) == 1


def test_database_refuses_a_second_published_listing_through_raw_sql(app, db, admin):
    merchant, org = make_merchant(db)
    v1 = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    v2 = _second_version(db, merchant, org, v1)
    with pytest.raises(IntegrityError), get_engine(app).begin() as conn:
        conn.execute(text("UPDATE listing SET state = 'published' WHERE id = :id"),
                     {"id": v2.id})
    assert published_count(db, v1.product_id) == 1
    # Other states are not limited: many superseded versions may exist side by side.
    with get_engine(app).begin() as conn:
        conn.execute(text("UPDATE listing SET state = 'superseded' WHERE id = :id"),
                     {"id": v2.id})


def test_other_products_may_each_have_a_published_listing(db, admin):
    merchant, org = make_merchant(db)
    a = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    b = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    assert a.product_id != b.product_id
    assert published_count(db, a.product_id) == published_count(db, b.product_id) == 1


# ---------------------------------------------------------------------------- audit


def test_every_transition_writes_an_audit_entry_with_from_and_to(db, admin):
    merchant, org = make_merchant(db, verified=False)
    listing = make_listing(db, merchant, org)
    catalog.submit(db, merchant, listing)
    catalog.decide(db, admin, listing, Transition.REQUEST_CHANGES, "Describe the fields.")
    catalog.submit(db, merchant, listing)
    catalog.decide(db, admin, listing, Transition.APPROVE)
    accounts.verify_organization(db, admin, org)
    catalog.publish(db, merchant, listing)
    catalog.suspend(db, admin, listing, "Under investigation.")
    catalog.reinstate(db, admin, listing)
    catalog.suspend(db, admin, listing, "Again.")
    v2 = catalog.start_new_version(db, merchant, db.get(Product, listing.product_id))
    catalog.submit(db, merchant, v2)
    catalog.decide(db, admin, v2, Transition.APPROVE)  # supersedes the suspended v1
    catalog.retire(db, merchant, v2)
    rejected = make_listing(db, merchant, org, state=ListingState.SUBMITTED)
    catalog.decide(db, admin, rejected, Transition.REJECT, "Not authorized data.")
    db.commit()

    assert transitions_audited(db, listing) == [
        ("listing.submit", "draft", "submitted"),
        ("listing.request_changes", "submitted", "changes_requested"),
        ("listing.submit", "changes_requested", "submitted"),
        ("listing.approve", "submitted", "approved"),
        ("listing.publish", "approved", "published"),
        ("listing.suspend", "published", "suspended"),
        ("listing.reinstate", "suspended", "published"),
        ("listing.suspend", "published", "suspended"),
        ("listing.supersede", "suspended", "superseded"),
    ]
    assert transitions_audited(db, v2) == [
        ("listing.submit", "draft", "submitted"),
        ("listing.approve", "submitted", "approved"),
        ("listing.publish", "approved", "published"),
        ("listing.retire", "published", "retired"),
    ]
    assert transitions_audited(db, rejected)[-1] == ("listing.reject", "submitted", "rejected")
    # Every Transition was exercised, so none can skip the audit log unnoticed.
    seen = {action for subject in (listing, v2, rejected)
            for action, _f, _t in transitions_audited(db, subject)}
    assert seen == {f"listing.{t.value}" for t in Transition}

    reasons = [e.details.get("reason") for e in db.exec(
        select(AuditEntry).where(AuditEntry.action == "listing.suspend")).all()]
    assert reasons == ["Under investigation.", "Again."]
    assert verify_chain(db).ok


def test_refused_transition_writes_nothing(db, admin):
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org)
    before = db.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(InvalidTransition):
        catalog.reinstate(db, admin, listing)
    db.rollback()
    assert db.exec(select(func.count()).select_from(AuditEntry)).one() == before
