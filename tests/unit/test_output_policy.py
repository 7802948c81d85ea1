"""The output policy on a real app with the real governance plugin: dropping fields outside
the scope, masking through the runtime (trusted and in the plugin's worker) and failing closed."""

from __future__ import annotations

import pytest

from marketplace.db import get_engine, new_session
from marketplace.delivery import output_policy
from marketplace.delivery.scope import OperationGrant
from marketplace.plugins import get_runtime, services
from marketplace.plugins.errors import GovernanceStepFailed, InvocationError
from marketplace.plugins.models import PluginIncident, PluginState

ANSWER = {
    "matched": True,
    "company": "北京示例科技有限公司",
    "records": [
        {"name": "张三", "id_number": "110101199003074514", "city": "北京"},
        {"name": "李四", "id_number": "110101198512123456", "city": "上海"},
    ],
    "tags": ["a", "b"],
}


@pytest.fixture
def runtime(app):
    runtime = get_runtime(app)
    runtime.sync()
    yield runtime
    runtime.close()


def change(app, name: str, **values) -> None:
    session = new_session(get_engine(app))
    try:
        row = services.find(session, name)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.commit()
    finally:
        session.close()


def test_every_field_is_kept_when_the_grant_names_none(runtime):
    answer = output_policy.apply(ANSWER, OperationGrant("p.op"), runtime)
    assert answer == ANSWER
    answer["records"][0]["name"] = "changed"
    assert ANSWER["records"][0]["name"] == "张三", "the plugin's answer is not changed in place"


def test_fields_outside_the_grant_are_dropped_at_the_top_and_in_records(runtime):
    grant = OperationGrant("p.op", fields=frozenset({"matched", "name", "city"}))
    answer = output_policy.apply(ANSWER, grant, runtime)
    assert answer == {"matched": True,
                      "records": [{"name": "张三", "city": "北京"},
                                  {"name": "李四", "city": "上海"}]}


def test_a_list_of_records_named_in_the_grant_is_kept_whole(runtime):
    grant = OperationGrant("p.op", fields=frozenset({"records"}))
    assert output_policy.apply(ANSWER, grant, runtime) == {"records": ANSWER["records"]}


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "worker"])
def test_masking_runs_the_governance_plugins_strategy(app, runtime, trusted):
    change(app, "governance_tools", trusted=trusted)
    grant = OperationGrant("p.op", fields=frozenset({"company", "name", "id_number"}),
                           masking={"id_number": "partial_mask", "company": "full_mask"})
    answer = output_policy.apply(ANSWER, grant, runtime)
    assert answer == {"company": "**********",
                      "records": [{"name": "张三", "id_number": "110***********4514"},
                                  {"name": "李四", "id_number": "110***********3456"}]}
    assert (runtime.worker_pid("governance_tools") is None) is trusted


def test_keyed_masking_gives_each_buyer_tokens_of_their_own(runtime):
    grant = OperationGrant("p.op", fields=frozenset({"name"}), masking={"name": "pseudonymize"})
    first = output_policy.apply(ANSWER, grant, runtime, buyer="buyer-a")["records"]
    again = output_policy.apply(ANSWER, grant, runtime, buyer="buyer-a")["records"]
    other = output_policy.apply(ANSWER, grant, runtime, buyer="buyer-b")["records"]
    assert first == again
    assert first[0]["name"] not in ("张三", other[0]["name"])


def test_keyed_masking_without_a_buyer_fails_closed(runtime):
    grant = OperationGrant("p.op", masking={"name": "pseudonymize"})
    with pytest.raises(GovernanceStepFailed):
        output_policy.apply(ANSWER, grant, runtime)


def test_an_unknown_strategy_fails_closed_naming_it(runtime):
    grant = OperationGrant("p.op", masking={"name": "rot13"})
    with pytest.raises(output_policy.MaskingUnavailable) as refused:
        output_policy.apply(ANSWER, grant, runtime)
    assert refused.value.status_code == 503
    assert "rot13" in str(refused.value)


def test_a_disabled_governance_plugin_fails_closed_even_for_a_field_not_in_the_answer(
        app, runtime):
    grant = OperationGrant("p.op", masking={"name": "partial_mask", "phone": "full_mask"})
    assert output_policy.apply(ANSWER, grant, runtime)["records"][0]["name"] == "**"
    change(app, "governance_tools", state=PluginState.DISABLED)
    with pytest.raises(output_policy.MaskingUnavailable, match="partial_mask|full_mask"):
        output_policy.apply(ANSWER, grant, runtime)
    no_name = {"matched": True}
    with pytest.raises(InvocationError):
        output_policy.apply(no_name, grant, runtime)


def test_a_value_the_strategy_cannot_read_fails_closed_with_an_incident(app, db, runtime):
    grant = OperationGrant("p.op", masking={"company": "generalize_date"})
    with pytest.raises(GovernanceStepFailed) as failed:
        output_policy.apply(ANSWER, grant, runtime)
    assert failed.value.status_code == 502
    incident = db.get(PluginIncident, 1)
    assert incident.incident == failed.value.incident
    assert incident.operation == "masking:generalize_date"
