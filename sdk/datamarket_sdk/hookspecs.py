"""Every hook a Datamarket plugin can implement.

All hooks are prefixed ``datamarket_``. The platform adds this module to its plugin manager with
``PluginManager.add_hookspecs``, so pluggy checks each implementation against the specification
here: an implementation may take any subset of a hook's arguments, but an unknown argument or a
misspelt hook name makes the plugin fail to load.

The first four hooks register capabilities; the platform calls them once per plugin when it loads
the plugin. The last four are events; the platform calls them whenever the event happens.

Every docstring has the same shape: a one-line summary, what the return value means, a
``:param:`` line per argument, and the version that added the hook.
"""

from __future__ import annotations

from datamarket_sdk.events import EntitlementEvent, ListingSnapshot, OrderPaid
from datamarket_sdk.markers import hookspec
from datamarket_sdk.types import Finding, GovernanceStep, Manifest, ModelSpec, Operation


@hookspec
def datamarket_plugin_manifest() -> Manifest:
    """Identify the plugin: its name, version, owning merchant and supported SDK range.

    Every plugin implements this hook; a plugin without it, or whose ``sdk`` range excludes the
    platform's SDK version, is shown to admins as failed, with the reason.

    :return: the plugin's :class:`~datamarket_sdk.Manifest`.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_operations() -> list[Operation]:
    """Register the operations a merchant can attach to listings and buyers can call.

    :return: the plugin's operations, each with a name unique within the plugin; an empty list
        registers none.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_governance_steps() -> list[GovernanceStep]:
    """Register governance steps, which the platform and the product builder compose.

    A step is a detector, a masking strategy, a quality rule, a classification rule or a field
    mapping (see :class:`~datamarket_sdk.GovernanceStep`).

    :return: the plugin's governance steps; an empty list registers none.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_models() -> list[ModelSpec]:
    """Register models that predict on rows, each with its model card.

    :return: the plugin's models; an empty list registers none.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_order_paid(event: OrderPaid) -> None:
    """React to an order being paid, after the payment is recorded.

    An exception raised here is a fault of the plugin: it is recorded, and the payment stands.

    :param event: the paid order.
    :return: nothing; a returned value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_entitlement_granted(event: EntitlementEvent) -> None:
    """React to a buyer being granted an entitlement, e.g. to provision access.

    An exception raised here is a fault of the plugin: it is recorded, and the grant stands.

    :param event: the granted entitlement and its scope.
    :return: nothing; a returned value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_entitlement_revoked(event: EntitlementEvent) -> None:
    """React to an entitlement being revoked (refund, failed renewal, or an admin's decision).

    An exception raised here is a fault of the plugin: it is recorded, and the revocation stands.

    :param event: the revoked entitlement and the scope it covered.
    :return: nothing; a returned value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def datamarket_listing_submitted(listing: ListingSnapshot) -> list[Finding] | None:
    """Inspect a listing submitted for review and add findings to its compliance report.

    :param listing: the listing as submitted, with its data dictionary and sample rows.
    :return: findings to add to the report (a ``"blocking"`` one means the listing cannot be
        approved as it is); ``None`` or an empty list when the plugin has nothing to report.

    .. versionadded:: 0.1
    """
