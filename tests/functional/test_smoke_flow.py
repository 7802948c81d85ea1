from marketplace.accounts.models import Role
from marketplace.audit.services import verify_chain
from marketplace.catalog.models import ListingState
from tests.factories import make_listing, make_merchant, make_user


def test_listing_reaches_published_and_audit_chain_holds(db, client):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
    assert listing.state == ListingState.PUBLISHED
    report = verify_chain(db)
    assert report.ok, report.problem
    response = client.get("/api/v1/products")
    assert response.status_code == 200
    assert [p["id"] for p in response.json] == [listing.product_id]
