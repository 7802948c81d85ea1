"""The merchant side: dashboard, listing editor, and moving listings through review."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.accounts.models import OrganizationStatus, Role
from marketplace.catalog import queries
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, PricingPlan
from marketplace.notifications.models import Notification
from tests.factories import log_in, make_listing, make_merchant, make_user, page_text


def editor_data(**overrides: str) -> dict[str, str]:
    """What a merchant types into the editor for a complete listing."""
    data = {
        "title": "Driver three-element verification",
        "summary": "Checks that a name, ID number and licence number belong together.",
        "description_md": "## Coverage\n\nAll provinces, **updated daily**.",
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "transport",
        "tags": "driver, licence，verification",
        "classification_level": "3",
        "version": "1.0",
        "data_dictionary-0-name": "name",
        "data_dictionary-0-field_type": "string",
        "data_dictionary-0-description": "Driver's name",
        "data_dictionary-0-sensitivity": "personal",
        "data_dictionary-1-name": "licence_no",
        "data_dictionary-1-field_type": "string",
        "data_dictionary-1-description": "Driving licence number",
        "data_dictionary-1-sensitivity": "sensitive_personal",
        "data_dictionary-2-name": "",
        "data_dictionary-2-field_type": "string",
        "data_dictionary-2-description": "",
        "data_dictionary-2-sensitivity": "none",
        "sample_rows": (
            'name,licence_no\n"Zhang, San",110101199003078515\nLi Si,110101199003071234\n'
        ),
        "pricing_plans-0-name": "Pay as you go",
        "pricing_plans-0-model": "per_call",
        "pricing_plans-0-price": "",
        "pricing_plans-0-billing_period": "",
        "pricing_plans-0-free_allowance": "100",
        "pricing_plans-0-tiers": "10000 0.05\n* 0.03",
        "pricing_plans-0-included_calls": "",
        "pricing_plans-0-overage_price": "",
        "pricing_plans-0-description": "",
        "pricing_plans-1-name": "Monthly",
        "pricing_plans-1-model": "membership",
        "pricing_plans-1-price": "999",
        "pricing_plans-1-billing_period": "month",
        "pricing_plans-1-free_allowance": "",
        "pricing_plans-1-tiers": "",
        "pricing_plans-1-included_calls": "50000",
        "pricing_plans-1-overage_price": "0.02",
        "pricing_plans-1-description": "For steady volumes.",
        "pricing_plans-2-name": "",
        "pricing_plans-2-model": "",
        "pricing_plans-2-price": "",
        "save": "Save draft",
    }
    data.update(overrides)
    return data


@pytest.fixture
def merchant(db, client):
    """A signed-in merchant of a verified organization."""
    user, org = make_merchant(db)
    log_in(client, user)
    return user, org


def listings_of(db, org) -> list[Listing]:
    db.expire_all()
    return list(db.exec(select(Listing).where(Listing.organization_id == org.id)))


# ---------------------------------------------------------------------------- access


def test_dashboard_refuses_buyers_and_sends_anonymous_users_to_log_in(db, client):
    assert client.get("/merchant").status_code == 302
    buyer = make_user(db)
    log_in(client, buyer)
    assert client.get("/merchant").status_code == 403
    assert client.get("/merchant/listings/new").status_code == 403


def test_empty_dashboard_invites_the_first_listing_and_explains_pending_verification(db, client):
    user, org = make_merchant(db, verified=False)
    log_in(client, user)
    response = client.get("/merchant")
    assert response.status_code == 200
    page = page_text(response)
    assert org.name in page
    assert "No listings yet — create your first." in page
    assert "only be published once the organization is verified" in page
    assert 'href="/merchant/listings/new"' in page


def test_dashboard_shows_rejected_verification_reason(db, client):
    user, org = make_merchant(db, verified=False)
    org.status = OrganizationStatus.REJECTED
    org.status_reason = "The credit code belongs to another company."
    db.add(org)
    db.commit()
    log_in(client, user)
    page = page_text(client.get("/merchant"))
    assert "The credit code belongs to another company." in page


def test_dashboard_lists_every_listing_with_state_counts_and_allowed_actions(db, client, merchant):
    user, org = merchant
    draft = make_listing(db, user, org, title="My draft product")
    submitted = make_listing(db, user, org, state=ListingState.SUBMITTED, title="Waiting one")
    response = client.get("/merchant")
    assert response.status_code == 200
    page = page_text(response)
    assert "My draft product" in page and "Waiting one" in page
    assert f'/merchant/listings/{draft.id}/edit' in page
    assert f'/merchant/listings/{draft.id}/submit' in page
    # A submitted listing can be neither edited nor submitted again.
    assert f'/merchant/listings/{submitted.id}/edit' not in page
    assert f'/merchant/listings/{submitted.id}/submit' not in page
    assert 'class="badge state-draft"' in page and 'class="badge state-submitted"' in page


def test_another_merchants_listing_is_refused(db, client, merchant):
    other, other_org = make_merchant(db)
    theirs = make_listing(db, other, other_org)
    assert client.get(f"/merchant/listings/{theirs.id}").status_code == 403
    assert client.get(f"/merchant/listings/{theirs.id}/edit").status_code == 403
    response = client.post(f"/merchant/listings/{theirs.id}/edit", data=editor_data())
    assert response.status_code == 403
    assert client.post(f"/merchant/listings/{theirs.id}/submit").status_code == 403
    assert client.post(f"/merchant/products/{theirs.product_id}/new-version").status_code == 403
    db.refresh(theirs)
    assert theirs.title == "Enterprise blacklist verification"
    assert theirs.state == ListingState.DRAFT


def test_missing_listing_is_404(client, merchant):
    assert client.get("/merchant/listings/999999").status_code == 404
    assert client.post("/merchant/products/999999/new-version").status_code == 404


# ---------------------------------------------------------------------------- the editor


def test_new_listing_form_offers_every_choice(client, merchant):
    response = client.get("/merchant/listings/new")
    assert response.status_code == 200
    page = page_text(response)
    for value in ("modelized_data", "verification_api", "transport", "membership",
                  "sensitive_personal"):
        assert f'value="{value}"' in page
    assert "Level 4 · core" in page
    assert 'name="add_field"' in page and 'name="add_plan"' in page
    assert 'name="data_dictionary-2-name"' in page  # a new listing starts with three rows


def test_create_listing_through_the_form(db, client, merchant):
    user, org = merchant
    response = client.post("/merchant/listings/new", data=editor_data())
    assert response.status_code == 302, page_text(response)
    [listing] = listings_of(db, org)
    assert response.headers["Location"].endswith(f"/merchant/listings/{listing.id}")
    assert listing.state == ListingState.DRAFT
    assert listing.title == "Driver three-element verification"
    assert listing.tags == ["driver", "licence", "verification"]
    assert listing.classification_level == 3
    assert listing.data_dictionary == [
        {"name": "name", "type": "string", "description": "Driver's name",
         "sensitivity": "personal"},
        {"name": "licence_no", "type": "string", "description": "Driving licence number",
         "sensitivity": "sensitive_personal"},
    ]
    assert listing.sample_rows == [
        {"name": "Zhang, San", "licence_no": "110101199003078515"},
        {"name": "Li Si", "licence_no": "110101199003071234"},
    ]
    plans = catalog.plans_for(db, listing.id)
    assert [p.name for p in plans] == ["Pay as you go", "Monthly"]  # the empty third is ignored
    per_call, monthly = plans
    assert per_call.free_allowance == 100
    assert per_call.tiers == [{"up_to": 10000, "unit_price": 5}, {"up_to": None, "unit_price": 3}]
    assert monthly.price == 99900
    assert monthly.billing_period == "month"
    assert monthly.included_calls == 50000
    assert monthly.overage_unit_price == 2
    assert monthly.description == "For steady volumes."

    detail = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert "<strong>updated daily</strong>" in detail  # the description rendered from Markdown
    assert "Zhang, San" in detail and "licence_no" in detail
    assert "Your changes to “Driver three-element verification” are saved." in detail


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("0.05", 5), ("999", 99900), ("1,200.5", 120050), ("¥19.99", 1999), ("0.1", 10)],
)
def test_prices_in_yuan_become_exact_fen(db, client, merchant, typed, fen):
    _user, org = merchant
    data = editor_data(**{"pricing_plans-1-price": typed})
    assert client.post("/merchant/listings/new", data=data).status_code == 302
    [listing] = listings_of(db, org)
    monthly = db.exec(select(PricingPlan).where(PricingPlan.listing_id == listing.id,
                                                PricingPlan.name == "Monthly")).one()
    assert monthly.price == fen


def test_add_a_field_adds_a_row_and_keeps_what_was_typed_without_saving(db, client, merchant):
    _user, org = merchant
    response = client.post("/merchant/listings/new",
                           data=editor_data(add_field="Add a field", save=""))
    assert response.status_code == 200
    page = page_text(response)
    assert 'name="data_dictionary-3-name"' in page
    assert 'name="data_dictionary-4-name"' not in page
    assert 'value="Driver three-element verification"' in page
    assert 'value="licence_no"' in page
    assert listings_of(db, org) == []


def test_add_a_plan_adds_a_plan_up_to_four(db, client, merchant):
    _user, org = merchant
    response = client.post("/merchant/listings/new",
                           data=editor_data(add_plan="Add a plan", save=""))
    assert response.status_code == 200
    page = page_text(response)
    assert 'name="pricing_plans-3-name"' in page
    assert 'name="add_plan"' not in page  # four plans is the most the editor offers
    assert listings_of(db, org) == []


@pytest.mark.parametrize(
    ("overrides", "message", "kept"),
    [
        ({"title": ""}, "Give the product a title.", "Checks that a name, ID number"),
        ({"sample_rows": "name,plate_no\nZhang San,京A12345"},
         "The sample uses columns that the data dictionary does not describe: plate_no.",
         "京A12345"),
        ({"sample_rows": "name,licence_no\nZhang San"},
         "Line 2 has 1 values but the header row names 2 columns.", "Driver three-element"),
        ({"pricing_plans-1-price": "1.234"},
         "A price has at most two decimals (yuan and fen), such as 0.05; this one has 3.",
         'value="1.234"'),
        ({"pricing_plans-1-price": "-5"}, "A price cannot be negative.", 'value="-5"'),
        ({"pricing_plans-0-tiers": "* 0.03\n10000 0.05"},
         "Plan 1: tiers go up in calls, each with a unit price of zero or more, "
         "and the last tier has no upper bound.", "10000 0.05"),
        ({"pricing_plans-0-tiers": "ten thousand 0.05"}, "Line 1: write each tier", "ten thousand"),
        ({"pricing_plans-0-free_allowance": "lots"}, "Not a valid integer value", 'value="lots"'),
        ({"data_dictionary-1-name": "licence no"},
         "Field 2: a field name starts with a letter", 'value="licence no"'),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_keeps_what_was_typed(
    db, client, merchant, overrides, message, kept
):
    _user, org = merchant
    response = client.post("/merchant/listings/new", data=editor_data(**overrides))
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert kept in page
    assert 'class="field-error"' in page
    assert listings_of(db, org) == []


def test_content_and_plan_problems_are_reported_together(db, client, merchant):
    response = client.post("/merchant/listings/new", data=editor_data(**{
        "title": "", "pricing_plans-1-billing_period": ""}))
    assert response.status_code == 422
    page = page_text(response)
    assert "Give the product a title." in page
    assert "Plan 2: a membership is billed monthly or yearly." in page


def test_form_errors_and_content_problems_are_reported_together(db, client, merchant):
    response = client.post("/merchant/listings/new", data=editor_data(**{
        "title": "", "pricing_plans-1-price": "1.234", "sample_rows": "name\na,b"}))
    assert response.status_code == 422
    page = page_text(response)
    assert "A price has at most two decimals" in page
    assert "Line 2 has 2 values" in page
    assert "Give the product a title." in page


def test_edit_form_is_prefilled_and_saves(db, client, merchant):
    user, org = merchant
    listing = make_listing(db, user, org)
    response = client.get(f"/merchant/listings/{listing.id}/edit")
    assert response.status_code == 200
    page = page_text(response)
    assert 'value="Enterprise blacklist verification"' in page
    assert 'value="blacklist, credit"' in page
    assert "credit_code,listed\n91350100M000100Y43,false" in page  # the sample as CSV
    assert "10000 0.50\n* 0.30" in page  # tiers in yuan
    assert 'value="999"' in page  # the membership price in yuan

    response = client.post(f"/merchant/listings/{listing.id}/edit",
                           data=editor_data(title="Renamed product", version="1.2"))
    assert response.status_code == 302
    db.refresh(listing)
    assert listing.title == "Renamed product"
    assert listing.version == "1.2"
    assert listing.data_dictionary[1]["name"] == "licence_no"


def test_resaving_the_prefilled_form_changes_nothing(db, client, merchant):
    """Yuan, CSV and tiers written back into the form read back to exactly what was stored."""
    user, org = merchant
    listing = make_listing(db, user, org)
    before = (listing.model_dump(include={"title", "tags", "data_dictionary"}),
              catalog.plan_dicts(db, listing.id))
    page = client.get(f"/merchant/listings/{listing.id}/edit").get_data(as_text=True)
    data = _form_values(page)
    assert client.post(f"/merchant/listings/{listing.id}/edit", data=data).status_code == 302
    db.expire_all()
    listing = db.get(Listing, listing.id)
    assert (listing.model_dump(include={"title", "tags", "data_dictionary"}),
            catalog.plan_dicts(db, listing.id)) == before
    assert listing.sample_rows == [{"credit_code": "91350100M000100Y43", "listed": "false"}]


def _form_values(page: str) -> dict[str, str]:
    """The values a browser would send for the editor as rendered (text, selects, textareas)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.values: dict[str, str] = {}
            self._select = self._textarea = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("type") in ("text", "number", None) and a.get("name"):
                self.values[a["name"]] = a.get("value") or ""
            elif tag == "select":
                self._select = a["name"]
            elif tag == "option" and self._select and "selected" in a:
                self.values[self._select] = a["value"]
            elif tag == "textarea":
                self._textarea = a["name"]
                self.values[self._textarea] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            elif tag == "textarea":
                self._textarea = None

        def handle_data(self, data):
            if self._textarea:
                self.values[self._textarea] += data

    reader = Reader()
    reader.feed(page.split('class="editor"', 1)[1])
    # A textarea's first newline belongs to the markup, not to the value.
    return {k: v.removeprefix("\n") for k, v in reader.values.items()} | {"save": "1"}


def test_submitted_listing_cannot_be_edited(db, client, merchant):
    user, org = merchant
    listing = make_listing(db, user, org, state=ListingState.SUBMITTED)
    assert client.get(f"/merchant/listings/{listing.id}/edit").status_code == 403
    response = client.post(f"/merchant/listings/{listing.id}/edit",
                           data=editor_data(title="Sneaky change"))
    assert response.status_code == 403
    db.refresh(listing)
    assert listing.title == "Enterprise blacklist verification"


# ---------------------------------------------------------------------------- lifecycle


def test_submitting_an_incomplete_draft_says_what_is_missing(db, client, merchant):
    user, org = merchant
    listing = catalog.create_listing(db, user, org, {
        "title": "Half-written", "product_type": "raw_dataset", "delivery_form": "data_package",
        "scenario": "medical"})
    db.commit()
    response = client.post(f"/merchant/listings/{listing.id}/submit", follow_redirects=True)
    assert response.status_code == 200
    page = page_text(response)
    assert "This listing is not ready for review yet" in page
    assert "Offer at least one pricing plan." in page
    assert "flash-error" in page
    db.refresh(listing)
    assert listing.state == ListingState.DRAFT


def test_submitting_a_complete_draft_notifies_admins(db, client, merchant):
    user, org = merchant
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, user, org)
    response = client.post(f"/merchant/listings/{listing.id}/submit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/merchant/listings/{listing.id}")
    db.refresh(listing)
    assert listing.state == ListingState.SUBMITTED
    notes = db.exec(select(Notification).where(Notification.user_id == admin.id,
                                               Notification.kind == "listing.submitted")).all()
    assert [n.link for n in notes] == [f"/admin/reviews/{listing.id}"]
    page = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert "is submitted for review" in page
    assert f"/merchant/listings/{listing.id}/submit" not in page


def test_publish_is_refused_until_the_organization_is_verified(db, client):
    user, org = make_merchant(db, verified=False)
    log_in(client, user)
    listing = make_listing(db, user, org, state=ListingState.APPROVED)
    page = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert "Publishing waits until an admin verifies your organization" in page
    assert f"/merchant/listings/{listing.id}/publish" not in page

    response = client.post(f"/merchant/listings/{listing.id}/publish", follow_redirects=True)
    assert "must be verified by an admin before it can publish" in page_text(response)
    db.refresh(listing)
    assert listing.state == ListingState.APPROVED

    org.status = OrganizationStatus.VERIFIED
    db.add(org)
    db.commit()
    assert f"/merchant/listings/{listing.id}/publish" in page_text(
        client.get(f"/merchant/listings/{listing.id}"))
    assert client.post(f"/merchant/listings/{listing.id}/publish").status_code == 302
    db.refresh(listing)
    assert listing.state == ListingState.PUBLISHED


def test_retire_a_published_listing_with_a_reason(db, client, merchant):
    user, org = merchant
    listing = make_listing(db, user, org, state=ListingState.PUBLISHED)
    page = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert f"/merchant/listings/{listing.id}/retire" in page
    assert "Retire this listing" in page
    response = client.post(f"/merchant/listings/{listing.id}/retire",
                           data={"reason": "The source data is no longer updated."},
                           follow_redirects=True)
    assert "is retired and no longer on sale" in page_text(response)
    db.refresh(listing)
    assert listing.state == ListingState.RETIRED
    # Retiring twice is an error the page explains, not a crash.
    response = client.post(f"/merchant/listings/{listing.id}/retire", follow_redirects=True)
    assert "flash-error" in page_text(response)


def test_retire_is_not_offered_for_a_draft(db, client, merchant):
    user, org = merchant
    listing = make_listing(db, user, org)
    page = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert f"/merchant/listings/{listing.id}/retire" not in page
    response = client.post(f"/merchant/listings/{listing.id}/retire", follow_redirects=True)
    assert "flash-error" in page_text(response)
    db.refresh(listing)
    assert listing.state == ListingState.DRAFT


def test_new_version_of_a_published_product_is_a_draft_while_the_old_stays_on_sale(
    db, client, merchant
):
    user, org = merchant
    live = make_listing(db, user, org, state=ListingState.PUBLISHED)
    page = page_text(client.get(f"/merchant/listings/{live.id}"))
    assert f"/merchant/products/{live.product_id}/new-version" in page

    response = client.post(f"/merchant/products/{live.product_id}/new-version")
    assert response.status_code == 302
    db.expire_all()
    versions = {v.version: v for v in queries.versions_of(db, live.product_id)}
    assert versions["1.0"].state == ListingState.PUBLISHED
    assert versions["1.1"].state == ListingState.DRAFT
    assert response.headers["Location"].endswith(f"/merchant/listings/{versions['1.1'].id}")
    assert len(catalog.plans_for(db, versions["1.1"].id)) == 2

    # With 1.1 in progress, the button is gone and a second attempt is refused politely.
    page = page_text(client.get(f"/merchant/listings/{live.id}"))
    assert f"/merchant/products/{live.product_id}/new-version" not in page
    response = client.post(f"/merchant/products/{live.product_id}/new-version",
                           follow_redirects=True)
    assert "is already in progress" in page_text(response)
    assert len(queries.versions_of(db, live.product_id)) == 2


def test_merchant_sees_the_reason_an_admin_requested_changes(db, client, merchant):
    user, org = merchant
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, user, org, state=ListingState.SUBMITTED)
    catalog.decide(db, admin, listing, Transition.REQUEST_CHANGES,
                   "Mask the licence numbers in the sample, please.")
    db.commit()
    response = client.get(f"/merchant/listings/{listing.id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "An admin asked for changes" in page
    assert "Mask the licence numbers in the sample, please." in page
    assert 'class="decision-current"' in page
    # The merchant can fix it and submit again.
    assert f"/merchant/listings/{listing.id}/edit" in page
    assert f"/merchant/listings/{listing.id}/submit" in page


def test_admin_can_open_the_merchant_listing_page_but_not_edit(db, client):
    user, org = make_merchant(db)
    listing = make_listing(db, user, org)
    admin = make_user(db, Role.ADMIN)
    log_in(client, admin)
    page = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert listing.title in page
    assert f"/merchant/listings/{listing.id}/edit" not in page
    assert client.get(f"/merchant/listings/{listing.id}/edit").status_code == 403
