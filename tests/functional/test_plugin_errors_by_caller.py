"""Who reads the real error of a failed plugin call: the plugin's owner in its try-it console,
never a buyer calling through the gateway with a key, for the same operation and error."""

from __future__ import annotations

import json

import pytest

from marketplace.delivery.scope import GrantedScope, OperationGrant
from marketplace.plugins import get_runtime
from tests.factories import logged_in_client, page_text
from tests.gateway_support import BODY, LOOKUP, bearer, buy, gateway_config, make_world, new_key

SECRET = "internal failure"  # what gw_registry.fail raises


@pytest.fixture
def app_config(app_config):
    return gateway_config(app_config)


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def test_the_owner_reads_the_error_a_buyer_never_sees(app, db):
    world = make_world(app, db)
    entitlement = buy(db, world, world.buyer)
    entitlement.scope = GrantedScope.of([OperationGrant(LOOKUP),
                                         OperationGrant("gw_registry.fail")]).to_json()
    db.add(entitlement)
    db.commit()

    bought = app.test_client().post(world.url("fail"), json=BODY,
                                    headers=bearer(new_key(db, app, world.buyer)))
    assert bought.status_code == 502
    assert bought.mimetype == "application/problem+json"
    problem = bought.get_json()
    assert problem["incident"] and SECRET not in json.dumps(problem)
    assert "failed inside its plugin" in problem["detail"]

    console = logged_in_client(app, world.merchant).post(
        "/merchant/operations", data={"operation": "gw_registry.fail",
                                      "payload": json.dumps(BODY)})
    assert console.status_code == 502
    details = page_text(console).split('data-testid="incident-details"')[1].split("</div>")[0]
    assert f"RuntimeError: {SECRET}" in details

    # the buyer's incident, too, is its owner's to read on the plugins page
    page = page_text(logged_in_client(app, world.merchant).get("/merchant/plugins"))
    assert f'id="incident-{problem["incident"]}"' in page
