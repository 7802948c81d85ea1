"""Discovery: every plugin is loaded on its own, and one that fails is kept with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.plugins.manager import (
    ENTRY_POINT_GROUP,
    Origin,
    build_manager,
    candidates,
    discover,
    load_plugin,
)

SAMPLES = Path(__file__).resolve().parents[2] / "plugin_samples"

GOOD_PLUGIN = '''
from datamarket_sdk import Manifest, Operation, hookimpl
from pydantic import BaseModel


class Text(BaseModel):
    text: str


@hookimpl
def datamarket_plugin_manifest():
    return Manifest(name="{name}", version="0.3.0", merchant="{merchant}", sdk=">=0.1,<0.2")


@hookimpl
def datamarket_operations():
    return [Operation(name="shout", summary="Shout.", input_model=Text, output_model=Text,
                      handler=lambda ctx, request: Text(text=request.text.upper()))]


@hookimpl
def datamarket_listing_submitted(listing):
    return None
'''


def write_plugin(folder: Path, filename: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def found():
    manager = build_manager()
    plugins = {plugin.name: plugin for plugin in discover(manager, plugins_dir=SAMPLES)}
    return manager, plugins


def test_a_good_plugin_loads_with_its_capabilities(found):
    _manager, plugins = found
    faulty = plugins["faulty"]
    assert not faulty.failed
    assert faulty.manifest.merchant == "91350100M000100Y43"
    assert {"echo", "explode", "sleepy", "bad_output"} <= set(faulty.capabilities()["operations"])
    assert faulty.origin == Origin(path=str(SAMPLES / "faulty.py"))


def test_a_plugin_that_fails_to_import_is_failed_with_the_error(found):
    _manager, plugins = found
    broken = plugins["broken_import"]
    assert broken.failed
    assert broken.error == ("It could not be imported: ModuleNotFoundError: No module named "
                            "'datamarket_module_that_does_not_exist'")


def test_check_pending_fails_the_plugin_with_a_misspelt_hook_only(found):
    manager, plugins = found
    misspelt = plugins["misspelt"]
    assert misspelt.failed
    assert "datamarket_operatoins" in misspelt.error
    assert misspelt.error.startswith("It implements a hook that does not exist")
    manager.check_pending()  # what stays registered is clean


def test_a_plugin_for_an_incompatible_sdk_is_refused_with_the_reason(found):
    _manager, plugins = found
    future = plugins["future_sdk"]
    assert future.failed
    assert "plugin needs SDK >=0.2,<0.3 but this platform provides 0.1.2" in future.error
    assert future.manifest.version == "3.0.0", "the manifest is kept for the admin page"


def test_failed_plugins_are_unregistered_and_good_ones_stay(found):
    manager, plugins = found
    names = {module.__name__.rsplit("_", 1)[-1] for module in manager.get_plugins()
             if module.__name__.startswith("datamarket_local_")}
    assert "faulty" in names
    assert not names & {"misspelt", "sdk", "import"}


def test_entry_points_are_discovered_one_by_one(found):
    _manager, plugins = found
    # The platform's own distributions are ordinary entry-point plugins.
    assert {"governance_tools", "ai_models"} <= set(plugins)
    assert plugins["governance_tools"].origin.entry_point.startswith("datamarket_governance_tools")


def test_kill_switch_loads_nothing():
    assert list(candidates(SAMPLES, autoload=False)) == []
    assert discover(build_manager(), plugins_dir=SAMPLES, autoload=False) == []


def test_every_entry_point_of_the_group_is_a_candidate():
    from importlib.metadata import entry_points

    expected = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {name for name, origin in candidates(None, True) if origin.entry_point} == expected


def test_registration_is_per_plugin_with_events_and_any_argument_subset(tmp_path):
    write_plugin(tmp_path, "one.py", GOOD_PLUGIN.format(name="one", merchant=""))
    write_plugin(tmp_path, "two.py", GOOD_PLUGIN.format(name="two", merchant="91350100M000100Y43"))
    plugins = {p.name: p for p in discover(build_manager(), plugins_dir=tmp_path)}
    assert plugins["one"].builtin and not plugins["two"].builtin
    assert plugins["one"].capabilities() == {
        "operations": ["shout"], "governance_steps": [], "models": [],
        "events": ["listing_submitted"]}
    assert plugins["two"].operations["shout"] is not plugins["one"].operations["shout"]


def test_a_second_plugin_with_a_taken_name_fails_and_keeps_its_own_name(tmp_path):
    write_plugin(tmp_path, "a_first.py", GOOD_PLUGIN.format(name="same", merchant=""))
    write_plugin(tmp_path, "b_second.py", GOOD_PLUGIN.format(name="same", merchant=""))
    loaded = [p for p in discover(build_manager(), plugins_dir=tmp_path)
              if p.origin.path.startswith(str(tmp_path))]
    assert [(p.name, p.failed) for p in loaded] == [("same", False), ("b_second", True)]
    assert "already loaded under the name same" in loaded[1].error


def test_a_package_folder_is_a_plugin_too(tmp_path):
    package = tmp_path / "packaged"
    write_plugin(package, "__init__.py", "from .hooks import *  # noqa: F403\n")
    write_plugin(package, "hooks.py", GOOD_PLUGIN.format(name="packaged", merchant=""))
    write_plugin(tmp_path, "_private.py", "raise SystemExit('never imported')\n")
    loaded = [p for p in discover(build_manager(), plugins_dir=tmp_path)
              if p.origin.path.startswith(str(tmp_path))]
    assert [(p.name, p.error) for p in loaded] == [("packaged", "")]


@pytest.mark.parametrize(("source", "error"), [
    ("raise SystemExit(3)\n", "It could not be imported: SystemExit: 3"),
    ("from datamarket_sdk import hookimpl\n", "It does not implement datamarket_plugin_manifest"),
    ("from datamarket_sdk import hookimpl\n\n@hookimpl\ndef datamarket_plugin_manifest():\n"
     "    return {'name': 'x'}\n", "returned dict, not a datamarket_sdk.Manifest"),
    ("from datamarket_sdk import hookimpl\n\n@hookimpl\ndef datamarket_plugin_manifest(nope):\n"
     "    pass\n", "It could not be registered"),
    ("from datamarket_sdk import Manifest, hookimpl\n\n@hookimpl\n"
     "def datamarket_plugin_manifest():\n"
     "    return Manifest(name='x_y', version='1', merchant='', sdk='>=0.1')\n\n@hookimpl\n"
     "def datamarket_operations():\n    raise RuntimeError('no database here')\n",
     "It failed while registering its capabilities: RuntimeError: no database here"),
    ("from datamarket_sdk import Manifest, hookimpl\n\n@hookimpl\n"
     "def datamarket_plugin_manifest():\n"
     "    return Manifest(name='x_y', version='1', merchant='', sdk='>=0.1')\n\n@hookimpl\n"
     "def datamarket_operations():\n    return ['not an operation']\n",
     "returned str where a datamarket_sdk.Operation was expected"),
])
def test_each_way_of_failing_is_named(tmp_path, source, error):
    path = write_plugin(tmp_path, "bad.py", source)
    loaded = load_plugin(build_manager(), "bad", Origin(path=str(path)))
    assert loaded.failed
    assert error in loaded.error


def test_settings_are_validated_into_the_plugin_settings_model(tmp_path):
    source = (
        "from datamarket_sdk import Manifest, hookimpl\nfrom pydantic import BaseModel\n\n"
        "class Settings(BaseModel):\n    region: str\n\n@hookimpl\n"
        "def datamarket_plugin_manifest():\n    return Manifest(name='configured', version='1', "
        "merchant='', sdk='>=0.1', settings_model=Settings)\n")
    path = write_plugin(tmp_path, "configured.py", source)
    good = load_plugin(build_manager(), "configured", Origin(path=str(path)),
                       {"configured": {"region": "350100"}})
    assert good.settings.region == "350100"
    bad = load_plugin(build_manager(), "configured", Origin(path=str(path)))
    assert bad.failed and bad.error.startswith("Its settings are invalid")
