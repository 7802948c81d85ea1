from importlib.metadata import entry_points

import pluggy
from datamarket_sdk import PROJECT_NAME, hookspecs

import datamarket_governance_tools.plugin


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def test_manifest_through_the_sdk_hookspecs():
    pm = make_plugin_manager()
    pm.register(datamarket_governance_tools.plugin)
    pm.check_pending()

    assert pm.hook.datamarket_plugin_manifest() == [
        {
            "name": "governance_tools",
            "version": "0.1.0",
            "merchant": "Datamarket Governance Tools",
            "sdk": ">=0.1,<0.2",
        }
    ]


def test_the_entry_point_registers_the_plugin_module():
    (entry_point,) = entry_points(group=PROJECT_NAME, name="governance_tools")
    assert entry_point.value == "datamarket_governance_tools.plugin"

    pm = make_plugin_manager()
    pm.load_setuptools_entrypoints(PROJECT_NAME, name="governance_tools")
    pm.check_pending()

    assert pm.get_plugin("governance_tools") is datamarket_governance_tools.plugin
    (manifest,) = pm.hook.datamarket_plugin_manifest()
    assert manifest["name"] == "governance_tools"
