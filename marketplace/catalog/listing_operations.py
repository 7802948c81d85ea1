"""The plugin operations a listing sells (the ``listing_operation`` table), in order.

The first one is mirrored in ``Listing.plugin_name`` / ``operation_name``, which pages, events
and model cards read as the listing's main operation; this module keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, delete, select

from marketplace.catalog.models import Listing, ListingOperation

#: How many operations one listing may sell.
MAX_OPERATIONS = 12


def operations_of(session: Session, listing: Listing) -> list[tuple[str, str]]:
    """``(plugin, operation)`` pairs ``listing`` sells, first the main one. A listing saved
    before the table existed (or built without the catalog services) has its columns' one."""
    rows = operations_by_listing(session, [listing.id]).get(listing.id)
    if rows:
        return rows
    if listing.plugin_name and listing.operation_name:
        return [(listing.plugin_name, listing.operation_name)]
    return []


def operations_by_listing(session: Session,
                          listing_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """The rows of several listings in one query, by listing id (listings without rows are
    missing)."""
    ids = list(listing_ids)
    found: dict[int, list[tuple[str, str]]] = {}
    if ids:
        for row in session.exec(select(ListingOperation)
                                .where(col(ListingOperation.listing_id).in_(ids))
                                .order_by(col(ListingOperation.listing_id),
                                          col(ListingOperation.position))):
            found.setdefault(row.listing_id, []).append((row.plugin_name, row.operation_name))
    return found


def replace(session: Session, listing: Listing, pairs: Sequence[tuple[str, str]]) -> None:
    """Make ``pairs`` (duplicates dropped, order kept) the operations ``listing`` sells, and its
    columns name the first."""
    pairs = list(dict.fromkeys(pairs))
    session.exec(delete(ListingOperation).where(ListingOperation.listing_id == listing.id))
    for position, (plugin, operation) in enumerate(pairs):
        session.add(ListingOperation(listing_id=listing.id, plugin_name=plugin,
                                     operation_name=operation, position=position))
    listing.plugin_name, listing.operation_name = pairs[0] if pairs else (None, None)
    session.add(listing)
    session.flush()


def copy(session: Session, source: Listing, target: Listing) -> None:
    """Give ``target`` (a new version) the operations ``source`` sells."""
    replace(session, target, operations_of(session, source))
