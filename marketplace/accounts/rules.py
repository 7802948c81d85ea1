"""Who may do what with accounts and merchant organizations, and the questions about an actor
that the other domains' rules build on (signed in, admin, merchant, member of an organization).

``actor`` is the signed-in :class:`User`, or ``None`` when anonymous; :func:`marketplace.policy.can`
has already refused deactivated users before any rule runs.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.policy import register, rule


def is_admin(actor: User | None, _resource: Any = None) -> bool:
    """A platform admin."""
    return actor is not None and actor.role == Role.ADMIN


def signed_in(actor: User | None, _resource: Any = None) -> bool:
    """Anyone signed in."""
    return actor is not None


def is_merchant(actor: User | None, _resource: Any = None) -> bool:
    """A user with the merchant role."""
    return actor is not None and actor.is_merchant


def member_of(actor: User | None, organization_id: int | None) -> bool:
    """A merchant of the organization ``organization_id`` (never a buyer, whatever its
    ``organization_id`` says)."""
    return (actor is not None and actor.is_merchant and actor.organization_id is not None
            and actor.organization_id == organization_id)


def owns_organization(actor: User | None, organization: Any) -> bool:
    """A merchant of ``organization`` (a :class:`MerchantOrganization`)."""
    return isinstance(organization, MerchantOrganization) and member_of(actor, organization.id)


def organization_member_or_admin(actor: User | None, organization: Any) -> bool:
    """A merchant of ``organization``, or an admin."""
    return owns_organization(actor, organization) or is_admin(actor)


@rule("organization.create")
def _create_organization(actor: User | None, _resource: Any = None) -> bool:
    """A buyer who belongs to no organization yet."""
    return actor is not None and actor.organization_id is None and actor.role == Role.BUYER


for _action in ("account.view", "account.change_password", "account.edit_privacy"):
    register(_action, signed_in)
register("organization.view", organization_member_or_admin)
register("organization.edit", owns_organization)
for _action in ("organization.verify", "user.list", "user.change_role", "user.end_sessions"):
    register(_action, is_admin)
