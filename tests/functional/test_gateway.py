"""The delivery gateway, refused and served: every refusal of the matrix has its own status and
sentence and leaves no usage record and no quota counted; a served call is metered once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.base import utcnow
from marketplace.delivery import entitlements, keys
from marketplace.delivery.models import EntitlementState, UsageRecord
from marketplace.delivery.scope import GrantedScope, OperationGrant
from marketplace.plugins import get_runtime
from tests.factories import logged_in_client, make_user
from tests.gateway_support import (
    BODY,
    LOOKUP,
    bearer,
    buy,
    gateway_config,
    make_world,
    metered,
    new_key,
)

RATE = 5


@pytest.fixture
def app_config(app_config):
    return {**gateway_config(app_config), "GATEWAY_RATE_LIMIT": f"{RATE}/minute"}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    return make_world(app, db)


def _call(client, world, token=None, *, operation="lookup", query="", headers=None):
    return client.post(world.url(operation) + query, json=BODY,
                       headers={**(bearer(token) if token else {}), **(headers or {})})


# Each case sets up one way to be refused and makes the refused call.
def case_no_key(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    return _call(client, world)


def case_bad_key(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    return _call(client, world, token[:-4] + "abcd")


def case_revoked_key(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    key = keys.for_buyer(db, world.buyer.id)[0]
    keys.revoke(db, key, actor_id=world.buyer.id)
    db.commit()
    return _call(client, world, token)


def case_another_buyers_key(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    stranger = make_user(db)
    return _call(client, world, new_key(db, app, stranger))


def case_expired_entitlement(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=10)
    entitlement.valid_to = utcnow() - timedelta(minutes=1)
    entitlements.expire_due(db)
    db.commit()
    return _call(client, world, new_key(db, app, world.buyer))


def case_suspended_entitlement(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=10)
    entitlements.change_state(db, entitlement, EntitlementState.SUSPENDED,
                              reason="usage bill unpaid")
    db.commit()
    return _call(client, world, new_key(db, app, world.buyer))


def case_operation_outside_scope(app, db, client, world):
    buy(db, world, world.buyer, quota=10)
    return _call(client, world, new_key(db, app, world.buyer), operation="fail")


def case_field_outside_scope(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=10)
    entitlement.scope = GrantedScope.of(
        [OperationGrant(LOOKUP, frozenset({"name", "listed"}))]).to_json()
    db.add(entitlement)
    db.commit()
    return _call(client, world, new_key(db, app, world.buyer), query="?fields=name,score")


def case_quota_spent(app, db, client, world):
    buy(db, world, world.buyer, quota=2)
    token = new_key(db, app, world.buyer)
    for _ in range(2):
        assert _call(client, world, token).status_code == 200
    return _call(client, world, token)


def case_rate_limited(app, db, client, world):
    buy(db, world, world.buyer, quota=100)
    token = new_key(db, app, world.buyer)
    for _ in range(RATE):
        assert _call(client, world, token).status_code == 200
    return _call(client, world, token)


def case_plugin_failing(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=10)
    entitlement.scope = GrantedScope.of([OperationGrant(LOOKUP),
                                         OperationGrant("gw_registry.fail")]).to_json()
    db.add(entitlement)
    db.commit()
    return _call(client, world, new_key(db, app, world.buyer), operation="fail")


MATRIX = [
    (case_no_key, 401, "Authorization: Bearer"),
    (case_bad_key, 401, "is not valid"),
    (case_revoked_key, 401, "was revoked"),
    (case_another_buyers_key, 404, "You hold no entitlement to product"),
    (case_expired_entitlement, 403, "is expired"),
    (case_suspended_entitlement, 403, "is suspended (usage bill unpaid)"),
    (case_operation_outside_scope, 403,
     "does not cover the operation “gw_registry.fail”; it covers: gw_registry.lookup"),
    (case_field_outside_scope, 403, "does not cover the field(s) score"),
    (case_quota_spent, 429, "quota of entitlement"),
    (case_rate_limited, 429, f"more than {RATE}/minute calls"),
    (case_plugin_failing, 502, "failed inside its plugin"),
]


@pytest.mark.parametrize(("case", "status", "sentence"), MATRIX,
                         ids=[case.__name__[5:] for case, _s, _t in MATRIX])
def test_each_refusal_has_its_status_and_sentence_and_meters_nothing(
        app, db, client, world, case, status, sentence):
    before = metered(db)
    response = case(app, db, client, world)
    # the setup's own successful calls are metered; the refused one is not
    successes = {"case_quota_spent": 2, "case_rate_limited": RATE}.get(case.__name__, 0)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert sentence in response.get_json()["detail"]
    assert metered(db) == (before[0] + successes, before[1] + successes)
    assert "X-Request-Id" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_the_refusals_are_told_apart():
    sentences = [sentence for _c, _s, sentence in MATRIX]
    assert len(set(sentences)) == len(sentences)


def test_rate_limited_call_says_when_to_retry(app, db, client, world):
    response = case_rate_limited(app, db, client, world)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_a_served_call_is_metered_once_with_its_request_id(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer)
    response = _call(client, world, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"name": "Company 0Y43", "listed": False, "score": 0.82}
    assert response.headers["X-Quota-Remaining"] == "2"
    assert "Set-Cookie" not in response.headers
    db.rollback()
    record = db.exec(UsageRecord.__table__.select()).one()
    assert record.request_id == response.headers["X-Request-Id"]
    assert record.entitlement_id == entitlement.id
    assert record.operation == LOOKUP and record.kind == "call"
    assert record.api_key_id == keys.for_buyer(db, world.buyer.id)[0].id
    assert metered(db) == (1, 1)


def test_fields_outside_the_scope_are_dropped_and_asked_fields_kept(app, db, client, world):
    entitlement = buy(db, world, world.buyer, quota=3)
    entitlement.scope = GrantedScope.of(
        [OperationGrant(LOOKUP, frozenset({"name", "listed"}))]).to_json()
    db.add(entitlement)
    db.commit()
    token = new_key(db, app, world.buyer)
    assert _call(client, world, token).get_json() == {"name": "Company 0Y43", "listed": False}
    assert _call(client, world, token, query="?fields=listed").get_json() == {"listed": False}
    unknown = _call(client, world, token, query="?fields=nope")
    assert unknown.status_code == 422 and "no field nope" in unknown.get_json()["detail"]


def test_bad_input_is_a_422_and_not_counted(app, db, client, world):
    buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer)
    before = metered(db)
    response = client.post(world.url(), json={"credit_code": "short"}, headers=bearer(token))
    assert response.status_code == 422
    not_json = client.post(world.url(), data="[1, 2]", headers={
        **bearer(token), "Content-Type": "application/json"})
    assert not_json.status_code == 422 and "JSON object" in not_json.get_json()["detail"]
    assert metered(db) == before


def test_the_key_may_be_sent_as_x_api_key_and_a_session_is_not_a_key(app, db, client, world):
    buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer)
    assert _call(client, world, headers={"X-API-Key": token}).status_code == 200
    signed_in = logged_in_client(app, world.buyer)
    refused = _call(signed_in, world)
    assert refused.status_code == 403 and "not a signed-in session" in refused.get_json()["detail"]


def test_a_key_scoped_to_other_entitlements_does_not_cover_this_one(app, db, client, world):
    first = buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer, entitlement_ids=[first.id])
    assert _call(client, world, token).status_code == 200
    entitlements.change_state(db, first, EntitlementState.REVOKED, reason="refunded")
    second = buy(db, world, world.buyer, quota=3)
    response = _call(client, world, token)
    assert response.status_code == 403
    assert "does not cover your entitlement" in response.get_json()["detail"]
    assert _call(client, world, new_key(db, app, world.buyer,
                                        entitlement_ids=[second.id])).status_code == 200


def test_allowed_networks_refuse_other_addresses(app, db, client, world):
    buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer, networks=["10.1.0.0/16"])
    refused = _call(client, world, token)  # the test client comes from 127.0.0.1
    assert refused.status_code == 403 and "127.0.0.1" in refused.get_json()["detail"]
    allowed = client.post(world.url(), json=BODY, headers=bearer(token),
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert allowed.status_code == 200


def test_ids_too_large_for_the_database_are_a_404_not_a_500(app, db, client, world):
    buy(db, world, world.buyer, quota=3)
    token = new_key(db, app, world.buyer)
    huge = 2**63
    response = client.post(f"/api/v1/gateway/{huge}/gw_registry/lookup", json=BODY,
                            headers=bearer(token))
    assert response.status_code == 404
    signed_in = logged_in_client(app, world.buyer)
    assert signed_in.delete(f"/api/v1/keys/{huge}").status_code == 404
    assert signed_in.get(f"/account/entitlements/{huge}/console").status_code == 404
    assert signed_in.post(f"/account/keys/{huge}/revoke").status_code == 404
