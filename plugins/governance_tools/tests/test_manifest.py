from importlib.metadata import entry_points

import pluggy
from datamarket_sdk import PROJECT_NAME, Manifest, check_sdk_compatibility, hookspecs

import datamarket_governance_tools.plugin
from datamarket_governance_tools.transform_operations import GovernanceSettings


def test_the_manifest_marks_the_platforms_own_plugin(plugin_operations):
    manifest = datamarket_governance_tools.plugin.datamarket_plugin_manifest()

    assert manifest == Manifest(
        name="governance_tools",
        version="0.1.0",
        merchant="",
        sdk=">=0.1,<0.2",
        title="Governance tools",
        description="Sensitive-data detection, masking and quality rules for data products.",
        settings_model=GovernanceSettings,
    )
    assert check_sdk_compatibility(manifest.sdk) is None
    assert set(plugin_operations(datamarket_governance_tools.plugin)) == {
        "pii_scan", "classify_dataset", "map_fields", "desensitize", "quality_report"}


def test_every_governance_step_kind_is_registered():
    steps = datamarket_governance_tools.plugin.datamarket_governance_steps()
    kinds = {step.kind for step in steps}
    assert kinds == {"detector", "masking", "batch_masking", "quality_rule",
                     "classification_rule", "field_mapping"}
    names = [(step.kind, step.name) for step in steps]
    assert len(names) == len(set(names)), "a step is registered twice"
    masking = {step.name: step for step in steps if step.kind == "masking"}
    assert {"partial_mask", "full_mask", "pseudonymize", "generalize_date", "generalize_age",
            "generalize_address", "truncate", "nullify", "shift_date"} <= set(masking)
    assert all(step.keeps and step.destroys for step in masking.values())


def test_the_entry_point_registers_the_plugin_module():
    (entry_point,) = entry_points(group=PROJECT_NAME, name="governance_tools")
    assert entry_point.value == "datamarket_governance_tools.plugin"

    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(PROJECT_NAME, name="governance_tools")
    pm.check_pending()

    assert pm.get_plugin("governance_tools") is datamarket_governance_tools.plugin
    (manifest,) = pm.hook.datamarket_plugin_manifest()
    assert manifest.name == "governance_tools"
