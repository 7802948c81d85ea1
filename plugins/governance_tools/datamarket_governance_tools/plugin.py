"""The hook implementations that the `datamarket` entry point registers."""

from __future__ import annotations

from datamarket_sdk import Finding, GovernanceStep, ListingSnapshot, Manifest, Operation, hookimpl

from datamarket_governance_tools import (
    __version__,
    columnar,
    compliance,
    operations,
    transform_operations,
)
from datamarket_governance_tools.transform_operations import GovernanceSettings

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
        settings_model=GovernanceSettings,
    )


@hookimpl
def datamarket_operations() -> list[Operation]:
    """The operations merchants and buyers can call."""
    return [*operations.OPERATIONS, *transform_operations.OPERATIONS]


@hookimpl
def datamarket_governance_steps() -> list[GovernanceStep]:
    """Detectors, classification and field mapping; masking strategies and quality rules; the
    columnar masking of record batches.

    The platform's output policy applies the masking strategies per field from here, so it
    never keeps a copy of its own; files and batch outputs go through ``mask_record_batches``.
    """
    return [*operations.STEPS, *transform_operations.STEPS, *columnar.STEPS]


@hookimpl
def datamarket_listing_submitted(listing: ListingSnapshot) -> list[Finding]:
    """The compliance scan of a submitted listing's sample rows and data dictionary."""
    return compliance.review_listing(listing)
