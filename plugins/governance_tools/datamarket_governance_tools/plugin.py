"""The hook implementations that the `datamarket` entry point registers."""

from __future__ import annotations

from datamarket_sdk import Manifest, Operation, hookimpl

from datamarket_governance_tools import __version__
from datamarket_governance_tools.operations import PII_SCAN

PLUGIN_NAME = "governance_tools"
#: The SDK versions this plugin is written against.
SDK_RANGE = ">=0.1,<0.2"


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    """Identify this plugin to the platform; an empty merchant marks the platform's own."""
    return Manifest(
        name=PLUGIN_NAME,
        version=__version__,
        merchant="",
        sdk=SDK_RANGE,
        title="Governance tools",
        description="Sensitive-data detection, masking and quality rules for data products.",
    )


@hookimpl
def datamarket_operations() -> list[Operation]:
    """The operations merchants and buyers can call."""
    return [PII_SCAN]
