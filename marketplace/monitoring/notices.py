"""Version notices: when a new version of a product is published, the holders of active
entitlements to it are told (under the bell and by e-mail, through the notifications' outbox),
with what changed in the data dictionary.

A sweep (:func:`send_version_notices`) rather than a hook in publishing: the catalog knows
nothing of entitlements, and a sweep that records each notice (unique per holder and version)
tells each holder once, whatever runs twice or fails halfway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState
from marketplace.delivery.entitlements import is_usable
from marketplace.delivery.models import Entitlement, EntitlementState
from marketplace.monitoring.models import VersionNotice
from marketplace.notifications.services import notify

#: New versions published this long ago or less are announced (older ones were, or are news
#: no longer).
LOOKBACK = timedelta(days=7)
_COMPARED = ("type", "description", "sensitivity")


@dataclass(frozen=True)
class DictionaryChanges:
    """Fields added, removed and changed (type, description or sensitivity) between versions."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, str]:
        return {name: ", ".join(values) or "—" for name, values in
                (("added", self.added), ("removed", self.removed), ("changed", self.changed))}


def dictionary_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> DictionaryChanges:
    """What changed in a data dictionary, field by field name, in the new version's order."""
    before = {str(entry.get("name")): entry for entry in old or []}
    after = {str(entry.get("name")): entry for entry in new or []}
    return DictionaryChanges(
        added=[name for name in after if name not in before],
        removed=[name for name in before if name not in after],
        changed=[name for name in after if name in before and any(
            before[name].get(key) != after[name].get(key) for key in _COMPARED)])


def _previous(session: Session, listing: Listing) -> Listing | None:
    return session.exec(select(Listing).where(
        Listing.product_id == listing.product_id, Listing.id != listing.id,
        col(Listing.published_at).is_not(None),
        col(Listing.published_at) <= listing.published_at)
        .order_by(col(Listing.published_at).desc(), col(Listing.id).desc())).first()


def send_version_notices(session: Session, now: datetime | None = None) -> int:
    """Tell the holders of active entitlements about each product version published in the
    last :data:`LOOKBACK` that replaced an earlier one; returns how many were told. In the
    caller's transaction; each holder once per version."""
    now = now or utcnow()
    fresh = session.exec(select(Listing).where(
        Listing.state == ListingState.PUBLISHED,
        col(Listing.published_at) >= now - LOOKBACK)).all()
    told = 0
    for listing in fresh:
        previous = _previous(session, listing)
        if previous is None:
            continue  # a first version: nobody holds it from before
        holders = session.exec(select(Entitlement).where(
            Entitlement.product_id == listing.product_id,
            Entitlement.state == EntitlementState.ACTIVE)).all()
        already = set(session.exec(select(VersionNotice.user_id).where(
            VersionNotice.listing_id == listing.id)).all())
        buyer_ids = sorted({e.buyer_id for e in holders if is_usable(e, now)} - already)
        if not buyer_ids:
            continue
        params = {"title": listing.title, "title_en": listing.title_en, "version": listing.version,
                  "previous": previous.version,
                  **dictionary_changes(previous.data_dictionary,
                                       listing.data_dictionary).as_params()}
        for user in session.exec(select(User).where(col(User.id).in_(buyer_ids))).all():
            try:
                with session.begin_nested():
                    session.add(VersionNotice(user_id=user.id, product_id=listing.product_id,
                                              listing_id=listing.id))
            except IntegrityError:  # told by a sweep running at the same time
                continue
            notify(session, [user], "product.new_version", params,
                   link=f"/products/{listing.product_id}")
            told += 1
    return told
