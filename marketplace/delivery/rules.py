"""Who may see what a buyer may use, use it through the gateway, and manage API keys.

An API key (:class:`~marketplace.delivery.keys.KeyActor`) is an actor of its own: it may call
the gateway on the entitlements it covers and read its buyer's usage, nothing else. Keys are
made, rotated and revoked only from a signed-in session, never with a key.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import User
from marketplace.accounts.rules import is_admin, signed_in
from marketplace.catalog.models import Listing
from marketplace.delivery.download_links import DownloadLink
from marketplace.delivery.keys import KeyActor
from marketplace.delivery.models import ApiKey, Entitlement, SandboxTrial
from marketplace.policy import register, rule


def _user(actor: Any, _resource: Any = None) -> bool:
    """Signed in with a session (a user, not an API key)."""
    return signed_in(actor) and not isinstance(actor, KeyActor)


@rule("entitlement.view")
def _own_entitlement(actor: User | None, entitlement: Entitlement) -> bool:
    """The buyer it was granted to, or an admin."""
    return _user(actor) and (is_admin(actor) or (isinstance(entitlement, Entitlement)
                                                 and entitlement.buyer_id == actor.id))


@rule("download.request")
def _own_entitlement_download(actor: Any, entitlement: Any) -> bool:
    """The buyer it was granted to, signed in (not an admin: a file is made for its buyer,
    watermarked with their entitlement)."""
    return (_user(actor) and isinstance(entitlement, Entitlement)
            and entitlement.buyer_id == actor.id)


@rule("download.fetch")
def _link_holder(actor: Any, link: Any) -> bool:
    """The buyer the signed link was made for, signed in."""
    return _user(actor) and isinstance(link, DownloadLink) and link.buyer_id == actor.id


@rule("gateway.call")
def _key_covers(actor: Any, entitlement: Any) -> bool:
    """An API key, on an entitlement of its buyer that it covers."""
    return (isinstance(actor, KeyActor) and isinstance(entitlement, Entitlement)
            and actor.covers(entitlement))


@rule("gateway.sandbox_call")
def _sandbox_key_trial(actor: Any, trial: Any) -> bool:
    """A sandbox key, on its own trial (one product's sample)."""
    return (isinstance(actor, KeyActor) and isinstance(trial, SandboxTrial)
            and actor.trial_id == trial.id and trial.buyer_id == actor.buyer_id)


@rule("sandbox_key.create")
def _may_try(actor: Any, listing: Any = None) -> bool:
    """Someone signed in with a session, on a listing that is not their organization's own
    (a merchant tries other merchants' products, not their own); without a listing, whether
    they may ask at all."""
    own = (isinstance(listing, Listing) and actor is not None
           and getattr(actor, "organization_id", None) is not None
           and listing.organization_id == actor.organization_id)
    return _user(actor) and not own


@rule("api_key.rotate")
def _own_key(actor: Any, key: Any) -> bool:
    """The key's buyer, signed in."""
    return _user(actor) and isinstance(key, ApiKey) and key.buyer_id == actor.id


@rule("api_key.revoke")
def _own_key_or_admin(actor: Any, key: Any) -> bool:
    """The key's buyer, or an admin (a leaked key can be stopped by the platform)."""
    return _own_key(actor, key) or (_user(actor) and is_admin(actor))


@rule("usage.view")
def _own_usage(actor: Any, _resource: Any = None) -> bool:
    """One's own usage: signed in, or with one of one's keys (not a sandbox key: it is for
    the gateway only)."""
    return actor is not None and getattr(actor, "trial_id", None) is None


@rule("usage.merchant")
def _merchant_usage(actor: Any, _resource: Any = None) -> bool:
    """The usage of one's organization's products: a merchant of an organization."""
    return _user(actor) and actor.is_merchant and actor.organization_id is not None


# One's own entitlements (as a buyer) and keys: anyone signed in with a session.
for _action in ("entitlement.list", "api_key.list", "api_key.create"):
    register(_action, _user)
