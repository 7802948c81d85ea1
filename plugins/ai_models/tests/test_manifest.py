from importlib.metadata import entry_points

import pluggy
from datamarket_sdk import PROJECT_NAME, Manifest, check_sdk_compatibility, hookspecs

import datamarket_ai_models.plugin


def test_the_manifest_marks_the_platforms_own_plugin(plugin_operations):
    manifest = datamarket_ai_models.plugin.datamarket_plugin_manifest()

    assert manifest == Manifest(
        name="ai_models",
        version="0.1.0",
        merchant="",
        sdk=">=0.1,<0.2",
        title="AI models",
        description="Risk and credit models served as APIs, each with a model card.",
    )
    assert check_sdk_compatibility(manifest.sdk) is None
    assert set(plugin_operations(datamarket_ai_models.plugin)) == {"credit_risk_score"}


def test_the_entry_point_registers_the_plugin_module():
    (entry_point,) = entry_points(group=PROJECT_NAME, name="ai_models")
    assert entry_point.value == "datamarket_ai_models.plugin"

    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(PROJECT_NAME, name="ai_models")
    pm.check_pending()

    assert pm.get_plugin("ai_models") is datamarket_ai_models.plugin
    (manifest,) = pm.hook.datamarket_plugin_manifest()
    assert manifest.name == "ai_models"
    ((model,),) = pm.hook.datamarket_models()
    assert model.name == "credit_risk"
