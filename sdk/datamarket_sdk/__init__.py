"""The Datamarket plugin SDK: what a plugin imports to extend the marketplace.

A plugin marks hook implementations with :data:`hookimpl`, returns a :class:`Manifest` and the
capabilities it offers (:class:`Operation`, :class:`GovernanceStep`, :class:`ModelSpec`), and
gets a :class:`Context` on every call. The hooks are specified in :mod:`datamarket_sdk.hookspecs`;
the pytest fixtures for plugin authors are in :mod:`datamarket_sdk.testing`.
"""

from datamarket_sdk import hookspecs
from datamarket_sdk.compat import SDK_VERSION, check_sdk_compatibility
from datamarket_sdk.context import Context, Dataset, Scope
from datamarket_sdk.errors import (
    BadInput,
    DeadlineExceeded,
    NotFound,
    PluginError,
    SchemaViolation,
)
from datamarket_sdk.events import EntitlementEvent, ListingSnapshot, OrderPaid
from datamarket_sdk.markers import PROJECT_NAME, hookimpl, hookspec
from datamarket_sdk.types import (
    Finding,
    GovernanceStep,
    Manifest,
    ModelCard,
    ModelSpec,
    Operation,
    PricingHint,
)

__version__ = SDK_VERSION

__all__ = [
    "PROJECT_NAME",
    "SDK_VERSION",
    "BadInput",
    "Context",
    "Dataset",
    "DeadlineExceeded",
    "EntitlementEvent",
    "Finding",
    "GovernanceStep",
    "ListingSnapshot",
    "Manifest",
    "ModelCard",
    "ModelSpec",
    "NotFound",
    "Operation",
    "OrderPaid",
    "PluginError",
    "PricingHint",
    "SchemaViolation",
    "Scope",
    "__version__",
    "check_sdk_compatibility",
    "hookimpl",
    "hookspec",
    "hookspecs",
]
