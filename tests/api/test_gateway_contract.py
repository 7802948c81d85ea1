"""The delivery gateway against the product's own OpenAPI document, with schemathesis and an
API key.

A product's document (``/products/<id>/openapi.json``, built from its operations' schemas)
describes its gateway routes: the input, the answer with ``X-Request-Id`` and
``X-Quota-Remaining``, and every refusal (401, 403, 404, 422, 429 with ``Retry-After``,
502/503/504) as ``application/problem+json``. Each route is called with generated requests,
valid and invalid, carrying the buyer's key and no cookie, and every check runs on every
answer; the checks' own probes (no key, a wrong key) must be refused with 401.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from marketplace.plugins import get_runtime
from tests.api.test_openapi_contract import EVERY_CHECK, MAX_EXAMPLES, isolated
from tests.gateway_support import bearer, buy, gateway_config, make_world, new_key


@pytest.fixture
def app_config(app_config):
    return gateway_config(app_config)


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    world = make_world(app, db, operations=("gw_registry.fail",))  # it always fails: a 502
    buy(db, world, world.buyer, quota=1000)
    return world


def _operations(app, world) -> list:
    document = app.test_client().get(f"/products/{world.product_id}/openapi.json").get_json()
    assert set(document["paths"]) == {world.url("lookup"), world.url("fail")}
    loaded = schemathesis.openapi.from_dict(document)
    return [result.ok() for result in loaded.get_all_operations()]


def _run(operation, mode: GenerationMode, served, headers: dict[str, str],
         answers: set[tuple[str, int]]) -> None:
    """Every check on generated cases of ``operation``; each (operation, status) seen is
    added to ``answers``."""
    name = operation.path.rsplit("/", 1)[1]
    # ``fail`` always fails in its plugin: its documented 502 problem is the answer checked,
    # so "no server error" is the one check it is spared
    checks = EVERY_CHECK if name == "lookup" else [
        check for check in EVERY_CHECK if check.__name__ != "not_a_server_error"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def calls(case):
        response = case.call_and_validate(app=served, headers=headers, checks=checks)
        answers.add((name, response.status_code))

    calls()


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_the_gateway_matches_the_products_document(app, db, world, mode):
    # The product's id is known once its world is made, so the document is loaded here and
    # each operation's cases are drawn from it, rather than by collection-time
    # parametrization.
    served = isolated(app)
    headers = bearer(new_key(db, app, world.buyer))
    answers: set[tuple[str, int]] = set()
    for operation in _operations(app, world):
        operation.schema.app = served  # the checks' probes come here too
        _run(operation, mode, served, headers, answers)
    if mode == GenerationMode.POSITIVE:  # both operations were reached, not only refused
        assert {("lookup", 200), ("fail", 502)} <= answers, answers
