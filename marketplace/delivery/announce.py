"""Telling plugins that an entitlement was granted or revoked, once it is committed.

Plugins see buyers only as pseudonyms, stable per buyer and merchant (so two merchants cannot
link their buyers), and hear only about products they serve plus what the platform's own
plugins need. Commerce announces a paid order through the same :func:`later`.
"""

from __future__ import annotations

import hashlib
import hmac

from datamarket_sdk import EntitlementEvent
from sqlmodel import Session

from marketplace.catalog.models import Listing
from marketplace.db import after_commit
from marketplace.delivery.models import Entitlement
from marketplace.delivery.scope import GrantedScope
from marketplace.plugins import events, get_runtime
from marketplace.settings import settings


def buyer_pseudonym(buyer_id: int, organization_id: int) -> str:
    """The buyer as one merchant's plugins see them: an HMAC of both ids under the app key."""
    key = settings().secret_key.encode()
    digest = hmac.new(key, f"buyer:{buyer_id}:org:{organization_id}".encode(), hashlib.sha256)
    return f"b_{digest.hexdigest()[:24]}"


def later(session: Session, event: str, payload, plugin: str | None) -> None:
    """Dispatch ``event`` to the plugins once the session's transaction commits (only to
    ``plugin``, the product's own, beside the platform's plugins; never on rollback)."""
    runtime = get_runtime()

    def announce() -> None:
        with runtime.app.app_context():
            events.dispatch(runtime, event, payload, only={plugin} if plugin else set())

    after_commit(session, announce)


def entitlement_changed(session: Session, entitlement: Entitlement, *, granted: bool) -> None:
    """Queue ``entitlement_granted`` or ``entitlement_revoked``."""
    listing = session.get(Listing, entitlement.listing_id)
    payload = EntitlementEvent(
        entitlement_id=entitlement.id,
        buyer=buyer_pseudonym(entitlement.buyer_id, listing.organization_id),
        product_id=entitlement.product_id,
        scope=GrantedScope.from_json(entitlement.scope).sdk_scope())
    later(session, "entitlement_granted" if granted else "entitlement_revoked", payload,
           listing.plugin_name)
