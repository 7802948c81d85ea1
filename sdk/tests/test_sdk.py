import ast
import inspect
from pathlib import Path

import pluggy
import pytest

import datamarket_sdk
from datamarket_sdk import SDK_VERSION, __version__, hookimpl, hookspec, hookspecs

MANIFEST = {
    "name": "example",
    "version": "1.2.3",
    "merchant": "Example Data Co.",
    "sdk": ">=0.1,<0.2",
}


class ExamplePlugin:
    @hookimpl
    def datamarket_plugin_manifest(self) -> dict:
        return dict(MANIFEST)


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(datamarket_sdk.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def test_version_is_exported_twice_with_the_same_value():
    assert __version__ == "0.1.0"
    assert SDK_VERSION == __version__


def test_markers_belong_to_the_datamarket_project():
    assert hookimpl.project_name == "datamarket"
    assert hookspec.project_name == "datamarket"


def test_a_registered_plugin_returns_its_manifest():
    pm = make_plugin_manager()
    pm.register(ExamplePlugin(), name="example")
    pm.check_pending()

    assert pm.hook.datamarket_plugin_manifest() == [MANIFEST]


def test_every_registered_plugin_contributes_one_manifest():
    class OtherPlugin:
        @hookimpl
        def datamarket_plugin_manifest(self) -> dict:
            return {**MANIFEST, "name": "other"}

    pm = make_plugin_manager()
    pm.register(ExamplePlugin(), name="example")
    pm.register(OtherPlugin(), name="other")

    names = sorted(m["name"] for m in pm.hook.datamarket_plugin_manifest())
    assert names == ["example", "other"]


def test_a_misspelt_hook_fails_check_pending():
    class Misspelt:
        @hookimpl
        def datamarket_plugin_manifests(self) -> dict:
            return dict(MANIFEST)

    pm = make_plugin_manager()
    pm.register(Misspelt(), name="misspelt")
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_an_implementation_asking_for_an_unknown_argument_is_rejected():
    class WrongSignature:
        @hookimpl
        def datamarket_plugin_manifest(self, app) -> dict:
            return dict(MANIFEST)

    pm = make_plugin_manager()
    with pytest.raises(pluggy.PluginValidationError):
        pm.register(WrongSignature(), name="wrong")


def test_every_hookspec_is_prefixed_typed_and_documented():
    specs = [
        obj
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, "datamarket_spec")
    ]
    assert specs, "hookspecs.py declares no hook"
    for spec in specs:
        assert spec.__name__.startswith("datamarket_"), spec.__name__
        assert "return" in inspect.get_annotations(spec), spec.__name__
        doc = inspect.getdoc(spec) or ""
        assert ":return:" in doc, spec.__name__
        assert ".. versionadded::" in doc, spec.__name__


def test_the_sdk_never_imports_flask_or_the_marketplace():
    forbidden = {"flask", "marketplace"}
    package_dir = Path(datamarket_sdk.__file__).parent
    for source in package_dir.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{source.name} imports {roots & forbidden}"
