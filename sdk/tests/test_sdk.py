"""The package as a whole: its version, its markers, what it exports and what it never imports."""

import ast
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import datamarket_sdk
from datamarket_sdk import SDK_VERSION, __version__, hookimpl, hookspec

PUBLIC_TYPES = {
    "Manifest", "PricingHint", "Operation", "GovernanceStep", "ModelCard", "ModelSpec", "Finding",
    "OrderPaid", "EntitlementEvent", "ListingSnapshot", "Scope", "Dataset", "Context",
    "PluginError", "BadInput", "NotFound", "DeadlineExceeded", "SchemaViolation",
}


def test_version_is_exported_twice_and_matches_the_distribution():
    assert __version__ == SDK_VERSION == "0.1.2"
    assert version("datamarket-sdk") == SDK_VERSION


def test_markers_belong_to_the_datamarket_project():
    assert hookimpl.project_name == "datamarket"
    assert hookspec.project_name == "datamarket"


def test_every_public_type_is_exported_from_the_package():
    assert PUBLIC_TYPES <= set(datamarket_sdk.__all__)
    for name in datamarket_sdk.__all__:
        assert getattr(datamarket_sdk, name) is not None, name


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


def test_importing_the_sdk_loads_neither_flask_nor_the_marketplace_nor_pytest():
    probe = ("import sys, datamarket_sdk; "
             "print(sorted({'flask', 'marketplace', 'pytest'} & set(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"
