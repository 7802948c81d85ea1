"""Who sees what of a merchant's own plugins: the "Your plugins" page, and the real error of an
incident that its callers only know by id.

The runtime stays free of accounts; these rules ask ``accounts.rules`` who is a member of which
organization (an import-linter contract allows this module that one import).
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.rules import is_admin, member_of, owns_organization
from marketplace.plugins.owners import PluginOwner
from marketplace.policy import rule


@rule("plugin.view_own")
def _own_plugins(actor: Any, organization: Any) -> bool:
    """The "Your plugins" page of ``organization`` (a merchant organization): its members, once
    the organization is verified. Admins see every plugin on their own page."""
    return owns_organization(actor, organization) and bool(organization.is_verified)


@rule("plugin.incident_details")
def _incident_details(actor: Any, owner: Any) -> bool:
    """The real error behind an incident of ``owner``'s plugin (a :class:`PluginOwner`):
    members of the organization whose plugin it is, and admins. Nobody else, so a buyer, and
    a merchant calling the platform's own plugins, only ever see the incident id."""
    if is_admin(actor):
        return True
    return (isinstance(owner, PluginOwner) and not owner.is_platform
            and member_of(actor, owner.organization_id))
