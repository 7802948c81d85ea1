"""Telling plugins that an entitlement was granted or revoked, once it is committed.

Plugins see buyers only as pseudonyms, stable per buyer and merchant (so two merchants cannot
link their buyers), and hear only about products they serve plus what the platform's own
plugins need. Commerce announces a paid order through the same :func:`later`.

The telling is a background job (``plugins.announce``) asked for in the committing
transaction, so the buyer's request never waits for plugins and a worker that dies halfway is
followed by another. A plugin may hear of an event more than once then: every event carries
the id of what it is about (order, entitlement) for a plugin to recognise a repeat.
"""

from __future__ import annotations

import hashlib
import hmac

from datamarket_sdk import EntitlementEvent
from sqlmodel import Session

from marketplace import jobs
from marketplace.catalog.models import Listing
from marketplace.delivery.models import Entitlement
from marketplace.delivery.scope import GrantedScope
from marketplace.plugins import events, get_runtime
from marketplace.plugins.manager import EVENT_HOOKS
from marketplace.settings import settings


def buyer_pseudonym(buyer_id: int, organization_id: int) -> str:
    """The buyer as one merchant's plugins see them: an HMAC of both ids under the app key."""
    key = settings().secret_key.encode()
    digest = hmac.new(key, f"buyer:{buyer_id}:org:{organization_id}".encode(), hashlib.sha256)
    return f"b_{digest.hexdigest()[:24]}"


def later(session: Session, event: str, payload, plugin: str | None) -> None:
    """Dispatch ``event`` to the plugins once the session's transaction commits (only to
    ``plugin``, the product's own, beside the platform's plugins; never on rollback), as the
    job ``plugins.announce``."""
    if event not in EVENT_HOOKS:
        raise ValueError(f"{event!r} is not a plugin event")
    jobs.enqueue(session, "plugins.announce", event=event, payload=payload.to_wire(),
                 plugin=plugin)


@jobs.job("plugins.announce")
def announce_to_plugins(job: jobs.RunningJob, event: str, payload: dict,
                        plugin: str | None) -> None:
    """The job: tell the plugins. A plugin's fault is its incident, never the job's failure."""
    runtime = get_runtime(job.app)
    events.dispatch(runtime, event, EVENT_HOOKS[event].event_type.from_wire(payload),
                    only={plugin} if plugin else set())


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
