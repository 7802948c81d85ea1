"""The datasets a listing grants its operations (the ``listing_dataset_grant`` table).

A plugin reads a platform-held table with ``ctx.dataset("business_registry")``; the listing
that sells its operation says which of the merchant organization's own datasets (any uploaded
to one of its listings) answers to that name. Grants belong to one listing version: they are
changed while it is editable, copied to a new version, and shown to the reviewer. A merchant
can only grant its own organization's datasets (the ``dataset.grant`` rule, checked again
here).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from datamarket_sdk.stored import StoredDataset
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, delete, select

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.catalog.lifecycle import EDITABLE_STATES
from marketplace.catalog.models import (
    Listing,
    ListingDatasetGrant,
    ListingOperation,
    ListingState,
)
from marketplace.datasets import lookup_stores
from marketplace.datasets.lookup import LookupStores
from marketplace.datasets.models import Dataset
from marketplace.errors import InvalidTransition, ValidationFailed

#: A name a plugin can ask for: a letter, then letters, digits or underscores.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: How many datasets one listing may grant.
MAX_GRANTS = 12


@dataclass(frozen=True)
class GrantOffer:
    """A dataset offered to a listing's operations: what the ``dataset.grant`` rule decides on."""

    listing: Listing
    dataset: Dataset


@dataclass(frozen=True)
class Granted:
    name: str
    dataset: Dataset


def grants_of(session: Session, listing_id: int) -> list[Granted]:
    """The datasets ``listing_id`` grants, by name (one statement)."""
    rows = session.exec(select(ListingDatasetGrant.name, Dataset)
                        .join(Dataset, col(Dataset.id) == ListingDatasetGrant.dataset_id)
                        .where(ListingDatasetGrant.listing_id == listing_id)
                        .order_by(col(ListingDatasetGrant.name))).all()
    return [Granted(name, dataset) for name, dataset in rows]


def granted_datasets(session: Session, listing_id: int | None,
                     stores: LookupStores) -> dict[str, StoredDataset]:
    """What a call of the listing's operations gets as ``ctx.datasets``: each granted dataset
    under its name, read from its lookup store (built first if missing)."""
    if listing_id is None:
        return {}
    return _opened(grants_of(session, listing_id), stores)


def _opened(grants: Iterable[Granted], stores: LookupStores) -> dict[str, StoredDataset]:
    """Each grant's dataset under its name, opened through the lookup stores (which build a
    store again when its file is missing)."""
    return {granted.name: stores.open(granted.dataset, granted.name) for granted in grants}


class SettledGrants:
    """What listing versions that can no longer change grant, read once per process.

    A version's grants change only while it is editable (draft, changes requested), and a
    dataset is never changed or deleted, so what a published, suspended or retired version
    grants stays true for good: the gateway asks this instead of the database on every call.
    An editable version is always read afresh. Each call still opens the datasets through the
    lookup stores, which build a store again when its file went missing.
    """

    def __init__(self, stores: LookupStores, size: int = 4096):
        self._stores = stores
        self._size = size
        self._kept: dict[int, tuple[Granted, ...]] = {}
        self._lock = threading.Lock()

    def of(self, session: Session, listing_id: int, state: str) -> dict[str, StoredDataset]:
        """``granted_datasets`` of the listing in ``state`` (its state as read with it)."""
        if ListingState(state) in EDITABLE_STATES:
            return granted_datasets(session, listing_id, self._stores)
        kept = self._kept.get(listing_id)
        if kept is None:
            # copies outside the session, so that its commits never expire what is kept
            kept = tuple(Granted(granted.name, Dataset.model_validate(granted.dataset))
                         for granted in grants_of(session, listing_id))
            with self._lock:
                if len(self._kept) >= self._size:
                    self._kept.clear()  # rare: more versions called than kept
                self._kept[listing_id] = kept
        return _opened(kept, self._stores)


def settled_grants(app: Flask | None = None) -> SettledGrants:
    """The application's :class:`SettledGrants` (over its lookup stores)."""
    app = app or current_app
    kept = app.extensions.get("datamarket.settled_grants")
    if kept is None:
        kept = app.extensions.setdefault("datamarket.settled_grants",
                                         SettledGrants(lookup_stores(app)))
    return kept


def console_listing(session: Session, plugin: str, operation: str,
                    organization_id: int | None) -> int | None:
    """The listing whose grants a try-it console call of the operation gets: the newest one of
    ``organization_id`` (of any organization for an admin: None) that sells the operation and
    grants a dataset."""
    query = (select(Listing.id)
             .join(ListingOperation, ListingOperation.listing_id == Listing.id)
             .join(ListingDatasetGrant, ListingDatasetGrant.listing_id == Listing.id)
             .where(ListingOperation.plugin_name == plugin,
                    ListingOperation.operation_name == operation)
             .order_by(col(Listing.id).desc()))
    if organization_id is not None:
        query = query.where(Listing.organization_id == organization_id)
    return session.exec(query).first()


def grantable(session: Session, organization_id: int) -> list[Dataset]:
    """The organization's own datasets, newest first: what its listings may grant."""
    return list(session.exec(select(Dataset).where(Dataset.organization_id == organization_id)
                             .order_by(col(Dataset.id).desc())))


def check_name(name: str) -> str:
    """``name`` stripped, when a plugin can ask for it.

    :raises ValidationFailed: on the ``name`` field, saying what a name may hold.
    """
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ValidationFailed({"name": [str(_l(
            "“%(name)s” cannot be a dataset's name: use the name the plugin asks for with "
            "ctx.dataset(...), a letter followed by letters, digits or underscores (at most 64), "
            "such as business_registry.", name=name[:80]))]})
    return name


def _check_editable(listing: Listing) -> None:
    if ListingState(listing.state) not in EDITABLE_STATES:
        raise InvalidTransition(_l("Datasets can be granted to a draft, or to a listing sent "
                                   "back for changes; start a new version to change them."))


def grant(session: Session, actor: User, listing: Listing, name: str, dataset_id: int) -> Dataset:
    """Grant the listing's operations dataset ``dataset_id`` under ``name`` (replacing what
    that name granted before), audited.

    :raises ValidationFailed: a bad name, an unknown dataset, or one of another organization.
    :raises InvalidTransition: the listing is not editable now.
    """
    _check_editable(listing)
    name = check_name(name)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or dataset.organization_id != listing.organization_id:
        raise ValidationFailed({"dataset": [str(_l(
            "Choose one of your organization's datasets: upload it to one of your data "
            "package listings first."))]})
    existing = session.exec(select(ListingDatasetGrant).where(
        ListingDatasetGrant.listing_id == listing.id, ListingDatasetGrant.name == name)).first()
    if existing is None:
        count = len(session.exec(select(ListingDatasetGrant.id).where(
            ListingDatasetGrant.listing_id == listing.id)).all())
        if count >= MAX_GRANTS:
            raise ValidationFailed({"name": [str(_l(
                "A listing grants at most %(count)d datasets.", count=MAX_GRANTS))]})
        existing = ListingDatasetGrant(listing_id=listing.id, name=name, dataset_id=dataset.id)
    existing.dataset_id = dataset.id
    session.add(existing)
    audit.record(session, actor_id=actor.id, action="listing.dataset_granted",
                 subject_type="listing", subject_id=listing.id,
                 details={"name": name, "dataset_id": dataset.id,
                          "product_id": listing.product_id})
    session.flush()
    return dataset


def revoke(session: Session, actor: User, listing: Listing, name: str) -> None:
    """Stop granting what ``name`` granted, audited.

    :raises ValidationFailed: the listing grants nothing under that name.
    :raises InvalidTransition: the listing is not editable now.
    """
    _check_editable(listing)
    existing = session.exec(select(ListingDatasetGrant).where(
        ListingDatasetGrant.listing_id == listing.id,
        ListingDatasetGrant.name == (name or "").strip())).first()
    if existing is None:
        raise ValidationFailed({"name": [str(_l(
            "This listing grants no dataset named “%(name)s”.", name=(name or "")[:80]))]})
    session.delete(existing)
    audit.record(session, actor_id=actor.id, action="listing.dataset_revoked",
                 subject_type="listing", subject_id=listing.id,
                 details={"name": existing.name, "dataset_id": existing.dataset_id,
                          "product_id": listing.product_id})
    session.flush()


def copy(session: Session, source: Listing, target: Listing) -> None:
    """Give ``target`` (a new version) the grants of ``source``."""
    _replace(session, target, [(g.name, g.dataset.id) for g in grants_of(session, source.id)])


def _replace(session: Session, listing: Listing, pairs: Iterable[tuple[str, int]]) -> None:
    session.exec(delete(ListingDatasetGrant).where(ListingDatasetGrant.listing_id == listing.id))
    for name, dataset_id in pairs:
        session.add(ListingDatasetGrant(listing_id=listing.id, name=name, dataset_id=dataset_id))
    session.flush()
