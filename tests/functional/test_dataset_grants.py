"""A listing grants its operations datasets of its own organization, and a buyer's call reads
them through a lookup store: the guide's ``ctx.dataset("business_registry").lookup(...)``
answering from an uploaded CSV, through the real gateway with an API key, for a trusted plugin
(on a thread) and an untrusted one (in its worker process, given the store's path)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from marketplace import policy
from marketplace.audit.models import AuditEntry
from marketplace.catalog import dataset_grants
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import ListingDatasetGrant, Product
from marketplace.datasets import lookup_stores
from marketplace.db import get_engine
from marketplace.errors import ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from tests.dataset_support import attach_dataset, csv_bytes
from tests.factories import (
    forget,
    logged_in_client,
    make_listing,
    make_merchant,
    page_text,
    plans,
)
from tests.gateway_support import BODY, bearer, buy, gateway_config, make_world, new_key

REGISTRY = "gw_registry.registry"
REGISTRY_ROWS = [["credit_code", "name", "active"],
                 ["91350100M000100Y43", "福州甲科技有限公司", "true"],
                 ["91110000100000000X", "北京乙贸易有限公司", "false"],
                 ["91440300MA5FXXXX1Q", "深圳丙物流有限公司", "true"]]
DICTIONARY = [{"name": name, "type": kind, "description": name, "sensitivity": "none"}
              for name, kind in [("credit_code", "string"), ("name", "string"),
                                 ("active", "boolean")]]


@pytest.fixture
def store_kind(request) -> str:
    return getattr(request, "param", "local")


@pytest.fixture
def app_config(app_config, store_kind, request):
    config = gateway_config(app_config)
    if store_kind == "s3":
        config.update(request.getfixturevalue("moto_server").new_bucket_settings())
    return config


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    return make_world(app, db, operations=(REGISTRY,))


def upload_registry(db, merchant, org, rows=REGISTRY_ROWS):
    """The organization's registry, uploaded to a draft data package of its own."""
    package = make_listing(db, merchant, org, product_type="raw_dataset",
                           delivery_form="data_package", data_dictionary=DICTIONARY,
                           sample_rows=[], plans=plans("one_time"), title="Business registry")
    return attach_dataset(db, merchant, package, csv_bytes(rows), "business_registry.csv")


def grant_in_new_version(db, world, dataset, name="business_registry", trial_calls=0):
    """A new version of the world's product granting ``dataset``, reviewed and on sale."""
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    draft.trial_calls = trial_calls
    dataset_grants.grant(db, world.merchant, draft, name, dataset.id)
    catalog.submit(db, world.merchant, draft)
    catalog.decide(db, world.admin, draft, Transition.APPROVE, "")
    db.commit()
    assert draft.state == "published"
    world.listing = draft
    return draft


def trust(app, db, world, trusted: bool):
    plugin_services.set_trusted(db, world.admin, plugin_services.find(db, "gw_registry"),
                                trusted)
    db.commit()


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-thread", "untrusted-worker"])
def test_a_buyers_call_looks_up_the_granted_dataset(app, db, client, world, trusted):
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset)
    trust(app, db, world, trusted)
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)

    response = client.post(world.url("registry"), json=BODY, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"found": True, "name": "福州甲科技有限公司", "active": True,
                                   "registry_rows": 3}
    unknown = client.post(world.url("registry"), json={"credit_code": "91350100M000100Y44"},
                          headers=bearer(token))
    assert unknown.get_json() == {"found": False, "name": None, "active": None,
                                  "registry_rows": 3}
    assert (get_runtime(app).execution.worker_pid("gw_registry") is None) == trusted


def test_a_listing_granting_nothing_gets_the_plugins_not_found(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    response = client.post(world.url("registry"), json=BODY, headers=bearer(token))
    assert response.status_code == 404
    assert "no dataset named 'business_registry'" in response.get_json()["detail"]


def test_a_missing_lookup_store_is_built_again(app, db, client, world):
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset)
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    path = lookup_stores(app).path_of(dataset)
    assert client.post(world.url("registry"), json=BODY, headers=bearer(token)).status_code == 200
    assert path.is_file()
    path.unlink()  # a new server, or a cleared instance folder
    response = client.post(world.url("registry"), json=BODY, headers=bearer(token))
    assert response.get_json()["found"] is True
    assert path.is_file()


def test_the_sandbox_still_gets_only_the_sample(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset, trial_calls=3)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = world.buyer.get_id()
        session["_fresh"] = True
    csrf = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    made = client.post("/api/v1/keys/sandbox", json={"product_id": world.product_id},
                       headers={"X-CSRFToken": csrf})
    assert made.status_code == 201, made.get_data(as_text=True)
    response = app.test_client().post(world.url("registry"), json=BODY,
                                      headers=bearer(made.get_json()["key"]))
    assert response.status_code == 404
    assert "no dataset named 'business_registry'" in response.get_json()["detail"]


def test_the_owners_console_runs_the_operation_with_the_grants(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset)
    client = logged_in_client(app, world.merchant)
    response = client.post("/merchant/operations", data={"operation": REGISTRY,
                                                          "payload": '{"credit_code": '
                                                                     '"91110000100000000X"}'},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["output"]["name"] == "北京乙贸易有限公司"


# ---------------------------------------------------------------------------- the grants page


def test_the_merchant_grants_a_dataset_from_the_listings_page(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    db.commit()
    client = logged_in_client(app, world.merchant)
    url = f"/merchant/listings/{draft.id}/dataset-grants"

    page = page_text(client.get(url))
    assert "business_registry.csv — 3 rows, uploaded" in page

    bad = client.post(url, data={"name": "business registry", "dataset": dataset.id})
    assert bad.status_code == 422
    assert "“business registry” cannot be a dataset's name" in page_text(bad)
    for unknown in (str(2**40), "-1", "x", str(dataset.id + 1000)):
        refused = client.post(url, data={"name": "business_registry", "dataset": unknown})
        assert refused.status_code == 422, unknown
    assert dataset_grants.grants_of(db, draft.id) == []

    response = client.post(url, data={"name": "business_registry", "dataset": dataset.id})
    assert response.status_code == 302
    forget(db)
    assert [(g.name, g.dataset.id) for g in dataset_grants.grants_of(db, draft.id)] == \
        [("business_registry", dataset.id)]
    assert lookup_stores(app).path_of(dataset).is_file()
    detail = page_text(client.get(f"/merchant/listings/{draft.id}"))
    assert "Datasets for your operations" in detail and "business_registry" in detail
    assert db.exec(select(AuditEntry).where(
        AuditEntry.action == "listing.dataset_granted")).first() is not None

    revoked = client.post(url + "/revoke", data={"name": "business_registry"})
    assert revoked.status_code == 302
    forget(db)
    assert dataset_grants.grants_of(db, draft.id) == []


def test_another_organizations_dataset_can_never_be_granted(app, db, world):
    other_merchant, other_org = make_merchant(db)
    theirs = upload_registry(db, other_merchant, other_org)
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    db.commit()

    offer = dataset_grants.GrantOffer(draft, theirs)
    assert not policy.can(world.merchant, "dataset.grant", offer)
    assert not policy.can(other_merchant, "dataset.grant", offer)
    client = logged_in_client(app, world.merchant)
    response = client.post(f"/merchant/listings/{draft.id}/dataset-grants",
                           data={"name": "business_registry", "dataset": theirs.id})
    assert response.status_code == 403
    with pytest.raises(ValidationFailed):
        dataset_grants.grant(db, world.merchant, draft, "business_registry", theirs.id)
    db.rollback()
    assert db.exec(select(ListingDatasetGrant)).all() == []
    assert "business_registry.csv" not in page_text(
        client.get(f"/merchant/listings/{draft.id}/dataset-grants"))


def test_grants_are_kept_by_a_new_version_and_shown_to_the_reviewer(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    granted = grant_in_new_version(db, world, dataset, name="registry")
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    catalog.submit(db, world.merchant, draft)
    db.commit()
    assert [(g.name, g.dataset.id) for g in dataset_grants.grants_of(db, draft.id)] == \
        [("registry", dataset.id)]
    assert dataset_grants.grants_of(db, granted.id) != []
    review = page_text(logged_in_client(app, world.admin).get(f"/admin/reviews/{draft.id}"))
    assert "Datasets the operations read" in review and "business_registry.csv" in review


def test_a_published_listings_grants_cannot_change(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    with pytest.raises(Exception, match="start a new version"):
        dataset_grants.grant(db, world.merchant, world.listing, "business_registry", dataset.id)


# ---------------------------------------------------------------------------- S3


@pytest.mark.parametrize("store_kind", ["s3"], indirect=True)
def test_a_lookup_store_is_built_from_s3_storage(app, db, client, world):
    from marketplace.datasets import get_store
    from marketplace.datasets.s3 import S3Store

    assert isinstance(get_store(app), S3Store)
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset)
    path = lookup_stores(app).path_of(dataset)
    assert not path.exists()  # no lookup store yet: only S3 has the dataset
    trust(app, db, world, False)
    buy(db, world, world.buyer, quota=10)
    response = client.post(world.url("registry"), json={"credit_code": "91110000100000000X"},
                           headers=bearer(new_key(db, app, world.buyer)))
    assert response.get_json() == {"found": True, "name": "北京乙贸易有限公司", "active": False,
                                   "registry_rows": 3}
    assert path.is_file()


def test_a_published_versions_grants_are_read_once_per_process(app, db, client, world):
    dataset = upload_registry(db, world.merchant, world.org)
    grant_in_new_version(db, world, dataset)
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(get_engine(app), "before_cursor_execute", count)
    try:
        for _ in range(3):
            response = client.post(world.url("registry"), json=BODY, headers=bearer(token))
            assert response.get_json()["found"] is True
    finally:
        event.remove(get_engine(app), "before_cursor_execute", count)
    assert sum("listing_dataset_grant" in statement for statement in statements) == 1


def test_an_editable_versions_grants_are_read_afresh(app, db, world):
    dataset = upload_registry(db, world.merchant, world.org)
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    settled = dataset_grants.settled_grants(app)
    assert settled.of(db, draft.id, draft.state) == {}
    dataset_grants.grant(db, world.merchant, draft, "business_registry", dataset.id)
    db.commit()
    assert list(settled.of(db, draft.id, draft.state)) == ["business_registry"]
