from importlib.metadata import entry_points

import pluggy
from datamarket_sdk import PROJECT_NAME, Manifest, check_sdk_compatibility, hookspecs

import datamarket_governance_tools.plugin


def test_the_manifest_marks_the_platforms_own_plugin(plugin_operations):
    manifest = datamarket_governance_tools.plugin.datamarket_plugin_manifest()

    assert manifest == Manifest(
        name="governance_tools",
        version="0.1.0",
        merchant="",
        sdk=">=0.1,<0.2",
        title="Governance tools",
        description="Sensitive-data detection, masking and quality rules for data products.",
    )
    assert check_sdk_compatibility(manifest.sdk) is None
    assert set(plugin_operations(datamarket_governance_tools.plugin)) == {"pii_scan"}


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
