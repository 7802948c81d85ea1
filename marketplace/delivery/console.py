"""The try-it console: a merchant (or an admin) runs an operation once on sample input, as a
buyer's call would run it, unbilled and unmetered, under a pseudonymous console buyer.

The delivery gateway's calls will take the same way into the plugin runtime, with the buyer's
key, entitlement, scope and quota in front.
"""

from __future__ import annotations

from typing import Any

from datamarket_sdk import Scope
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.catalog.dataset_grants import console_listing, granted_datasets
from marketplace.catalog.operations import OperationOwner, belongs_to, owner_of
from marketplace.datasets import lookup_stores
from marketplace.db import get_session
from marketplace.plugins import get_runtime
from marketplace.plugins.runtime import OperationInfo, Snapshot


def console_operations(session: Session, actor: User, snapshot: Snapshot | None = None
                       ) -> list[tuple[OperationInfo, OperationOwner]]:
    """The operations ``actor`` may run in the try-it console, with their owners: a merchant's
    own organization's first, then the platform's; admins see every enabled operation.

    :param snapshot: the plugins' records as read once for this request (read now if not given).
    """
    organization = session.get(MerchantOrganization, actor.organization_id) \
        if actor.organization_id else None
    found = []
    for info in get_runtime().operations(snapshot):
        if actor.is_admin or (organization is not None and belongs_to(info, organization)):
            found.append((info, owner_of(session, info)))
    return sorted(found, key=lambda pair: (pair[0].merchant == "", pair[0].plugin, pair[0].name))


def console_buyer(actor: User) -> str:
    """The pseudonymous buyer id a console call runs under: the merchant's organization (an
    admin without one is named by user id)."""
    if actor.organization_id:
        return f"merchant-console:{actor.organization_id}"
    return f"merchant-console:admin-{actor.id}"


def try_operation(actor: User, info: OperationInfo, payload: dict[str, Any],
                  snapshot: Snapshot | None = None) -> dict[str, Any]:
    """Run ``info`` once for the try-it console, with a scope covering only that operation.

    The caller has asked the policy (``operation.try``). Nothing is billed or metered. The
    call gets the datasets granted by the newest listing of the actor's organization (any, for
    an admin) that sells the operation and grants some.
    ``snapshot``: the plugins' records as read once for this request (read now if not given).

    :raises marketplace.plugins.errors.InvocationError: as
        :meth:`~marketplace.plugins.runtime.PluginRuntime.invoke` does (bad input, not found,
        fault or timeout with an incident id, paused with a retry-after).
    """
    session = get_session()
    listing_id = console_listing(session, info.plugin, info.name,
                                 None if actor.is_admin else actor.organization_id)
    return get_runtime().invoke(info.plugin, info.name, payload, buyer=console_buyer(actor),
                                scope=Scope(operations=frozenset({info.name})),
                                datasets=granted_datasets(session, listing_id, lookup_stores()),
                                snapshot=snapshot)
