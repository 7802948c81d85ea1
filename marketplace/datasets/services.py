"""Uploading a dataset to a listing: receive the file, read it, store it, record it.

:func:`upload` is what the listing editor's upload calls. The file is copied to a work folder
in chunks (never held in memory), read into the normalized Parquet file (:mod:`.ingest`), and
both files go to the dataset store; then the :class:`Dataset` row is added, the listing points
at it, and the upload is audited, in the caller's transaction. A listing's earlier dataset is
left as it was: a published version may still sell it.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.catalog.lifecycle import EDITABLE_STATES
from marketplace.catalog.models import DeliveryForm, Listing, ListingState
from marketplace.datasets.dictionary import disagreements
from marketplace.datasets.ingest import format_of, ingest
from marketplace.datasets.models import Dataset
from marketplace.datasets.storage import CHUNK_BYTES, DatasetStore
from marketplace.errors import DomainError, InvalidTransition

MAX_NAME_LENGTH = 255


class UploadTooLarge(DomainError):
    status_code = 413


class UploadMissing(DomainError):
    """The request carried no file."""

    status_code = 422


def too_large_message(limit: int) -> str:
    """The sentence an over-size upload gets."""
    return str(_l("The file is larger than %(limit)s MB, the most a dataset upload may be. "
                  "Upload it as Parquet (much smaller than CSV), or ask the platform to raise "
                  "the limit.", limit=f"{limit / (1024 * 1024):g}"))


@dataclass(frozen=True)
class Received:
    path: Path
    size: int
    sha256: str


def receive(source: BinaryIO, folder: Path, limit: int) -> Received:
    """Copy ``source`` into a new file in ``folder`` in chunks, hashing it on the way.

    :raises UploadTooLarge: as soon as more than ``limit`` bytes arrive.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False)
    path = Path(handle.name)
    try:
        with handle:
            while chunk := source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(too_large_message(limit))
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path, size, digest.hexdigest())


def clean_name(filename: str) -> str:
    """The file's own name (no folders), without control characters, at most 255 long."""
    name = Path((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-MAX_NAME_LENGTH:] or "upload"


def check_uploadable(listing: Listing) -> None:
    """Refuse an upload to a listing that cannot take one now."""
    if listing.delivery_form != DeliveryForm.DATA_PACKAGE:
        raise InvalidTransition(_l("Only listings delivered as a data package take an uploaded "
                                   "dataset; change the delivery form first."))
    if ListingState(listing.state) not in EDITABLE_STATES:
        raise InvalidTransition(_l("A dataset can be uploaded to a draft, or to a listing sent "
                                   "back for changes; start a new version to change the data "
                                   "of a published product."))


def upload(session: Session, actor: User, listing: Listing, source: BinaryIO, filename: str,
           *, store: DatasetStore, work_dir: Path, limit: int) -> Dataset:
    """Make ``source`` the listing's dataset; returns the new :class:`Dataset` (flushed).

    :raises UploadRefused: the file cannot be read (the message names the row or column).
    :raises UploadTooLarge: more than ``limit`` bytes.
    :raises InvalidTransition: the listing takes no upload now (see :func:`check_uploadable`).
    """
    check_uploadable(listing)
    name = clean_name(filename)
    received = receive(source, work_dir, limit)
    normalized = received.path.with_suffix(".parquet")
    try:
        fmt = format_of(name, received.path)
        found = ingest(received.path, fmt, normalized)
        dataset = Dataset(
            storage_key=secrets.token_hex(16), product_id=listing.product_id,
            organization_id=listing.organization_id, listing_id=listing.id,
            row_count=found.row_count, columns=found.columns, original_name=name,
            original_format=fmt, encoding=found.encoding, size_bytes=received.size,
            sha256=received.sha256, parquet_bytes=normalized.stat().st_size,
            uploaded_by_id=actor.id)
        with received.path.open("rb") as original:
            store.put(dataset.original_path, original)
        with normalized.open("rb") as parquet:
            store.put(dataset.parquet_path, parquet)
    finally:
        received.path.unlink(missing_ok=True)
        normalized.unlink(missing_ok=True)
    session.add(dataset)
    session.flush()
    listing.dataset_id = dataset.id
    session.add(listing)
    audit.record(session, actor_id=actor.id, action="dataset.upload", subject_type="listing",
                 subject_id=listing.id,
                 details={"dataset_id": dataset.id, "product_id": listing.product_id,
                          "name": name, "format": fmt, "rows": dataset.row_count,
                          "bytes": dataset.size_bytes, "sha256": dataset.sha256})
    session.flush()
    return dataset


def dataset_of(session: Session, listing: Listing) -> Dataset | None:
    """The dataset the listing sells, if it has one."""
    return session.get(Dataset, listing.dataset_id) if listing.dataset_id else None


def dictionary_problems(listing: Listing, dataset: Dataset | None) -> list[str]:
    """Where the listing's data dictionary and its dataset disagree (none without a dataset)."""
    return disagreements(listing.data_dictionary, dataset.columns) if dataset else []

