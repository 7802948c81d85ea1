"""Announcing, inside the transaction that made it, a change buyers can see in the catalog.

Domains announce what changed: the catalog, that a product's live version moved (publish,
supersede, suspend, reinstate, retire); accounts, that a merchant's name or verification
changed; commerce, that a product sold; reviews, that a product's rating changed. Packages that
keep a copy derived from these facts (the search index) subscribe when the app is built.

Listeners run inside the announcing transaction, with its session, so that the durable record
they write (an outbox row) commits or rolls back with the change itself. They must not commit,
call out of the process or fail for reasons of their own. The announcing domains import only
this module, never the packages that listen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session


@dataclass(frozen=True)
class Change:
    """What changed: one product, or every product of one merchant organization.

    :param reason: a short name of the cause (``listing.suspend``, ``organization.renamed``).
    """

    reason: str
    product_id: int | None = None
    organization_id: int | None = None


Listener = Callable[[Session, Change], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener`` for every change announced from now on (once, however often asked)."""
    if listener not in _listeners:
        _listeners.append(listener)


def product_changed(session: Session, product_id: int, reason: str) -> None:
    """Announce that what buyers see of one product changed, in ``session``'s transaction."""
    _announce(session, Change(reason=reason, product_id=product_id))


def organization_changed(session: Session, organization_id: int, reason: str) -> None:
    """Announce that a merchant organization's name or standing changed (all its products)."""
    _announce(session, Change(reason=reason, organization_id=organization_id))


def _announce(session: Session, change: Change) -> None:
    for listener in _listeners:
        listener(session, change)
