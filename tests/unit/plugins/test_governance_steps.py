"""Governance steps run through the runtime: the real governance plugin's detectors and masking
strategies, trusted (a pool thread) and untrusted (its worker process)."""

from __future__ import annotations

import pytest

from marketplace.db import get_engine, new_session
from marketplace.plugins import get_runtime, services
from marketplace.plugins.errors import GovernanceStepFailed, GovernanceStepUnavailable
from marketplace.plugins.models import PluginState

PLUGIN = "governance_tools"
VALUES = ["13800138000", "hello", None]


@pytest.fixture
def runtime(app):
    runtime = get_runtime(app)
    runtime.sync()
    yield runtime
    runtime.close()


def change(app, **values) -> None:
    session = new_session(get_engine(app))
    try:
        row = services.find(session, PLUGIN)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.commit()
    finally:
        session.close()


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "worker"])
def test_a_detector_and_a_strategy_with_parameters_run_where_the_plugins_trust_says(
        app, runtime, trusted):
    change(app, trusted=trusted)
    assert runtime.run_governance(PLUGIN, "detector", "mobile", ["13800138000", "hello"]) == [
        True, False]
    assert runtime.run_governance(PLUGIN, "masking", "partial_mask", VALUES,
                                  params={"keep_first": 1, "keep_last": 2}) == [
        "1********00", "h**lo", None]
    assert (runtime.worker_pid(PLUGIN) is not None) is not trusted


def test_the_provider_of_a_step_is_the_enabled_plugin_that_describes_it(app, runtime):
    assert runtime.governance_provider("masking", "full_mask") == PLUGIN
    assert runtime.governance_provider("masking", "rot13") is None
    change(app, state=PluginState.DISABLED)
    assert runtime.governance_provider("masking", "full_mask") is None
    with pytest.raises(GovernanceStepUnavailable):
        runtime.run_governance(PLUGIN, "masking", "full_mask", VALUES)


def test_bad_parameters_fail_with_an_incident_and_return_nothing(runtime):
    with pytest.raises(GovernanceStepFailed) as failed:
        runtime.run_governance(PLUGIN, "masking", "partial_mask", VALUES,
                               params={"keep_first": -3})
    assert failed.value.incident
    with pytest.raises(GovernanceStepUnavailable):
        runtime.run_governance(PLUGIN, "quality_rule", "no_such_rule", VALUES)
