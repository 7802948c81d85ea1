"""Downloads of a data package under an entitlement (DESIGN.md §2, flow 5; docs/decisions.md,
"Signed download links").

The buyer asks for a download in a format (CSV, XLSX or Parquet) and gets a signed link
(:mod:`.download_links`). Following it, everything is checked again at that moment
(:func:`check_fetch`): the signed-in user is the buyer the link names, the entitlement is
usable, its scope covers the package, and the download limit is not reached. The file goes
through the gateway's output policy (columns in scope, masking) and the per-entitlement
watermark (:mod:`.exports`), then :func:`claim` counts it: a conditional ``UPDATE`` of the
entitlement's ``downloads_used``, the usage record (kind ``download``, its request id the
download id) and the audit entry, in one transaction. A dataset above ``DOWNLOAD_JOB_ROWS``
rows is prepared by a background job instead (:mod:`.download_jobs`).

The scope of a data package is the pseudo-operation :data:`DATASET_REF`: its ``fields`` are
the columns delivered and its ``masking`` the columns masked, as an approved authorization
application decided. An entitlement bought without an application and whose scope names no
operation at all (granted before packages had a ref) gets every column unmasked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.catalog.models import DeliveryForm, Listing
from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import read_batches, schema
from marketplace.delivery import announce
from marketplace.delivery.entitlements import STATE_LABELS, is_usable
from marketplace.delivery.exports.engine import ExportReport, export
from marketplace.delivery.exports.policy import ExportPolicy
from marketplace.delivery.exports.watermark import entitlement_key
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.models import Entitlement, EntitlementState, UsageKind, UsageRecord
from marketplace.delivery.scope import DATASET_REF, GrantedScope, OperationGrant
from marketplace.errors import DomainError
from marketplace.plugins import get_runtime

#: Rows read from the dataset at a time.
BATCH_ROWS = 65_536
FORMAT_LABELS = {ExportFormat.CSV: "CSV", ExportFormat.XLSX: "XLSX (Excel)",
                 ExportFormat.PARQUET: "Parquet"}


class DownloadRefused(DomainError):
    """A download that may not happen now, with its status and a sentence the buyer can act
    on."""

    def __init__(self, status: int, message: object) -> None:
        super().__init__(str(message))
        self.status_code = status


@dataclass(frozen=True)
class Package:
    """What an entitlement lets its holder download: the listing bought, and its dataset."""

    entitlement: Entitlement
    listing: Listing
    dataset: Dataset


def package_of(session: Session, entitlement: Entitlement) -> Package | None:
    """The data package ``entitlement`` was bought under, when the listing is a data package
    with a dataset (the version bought: what was sold stays what it was)."""
    listing = session.get(Listing, entitlement.listing_id)
    if listing is None or listing.delivery_form != DeliveryForm.DATA_PACKAGE \
            or listing.dataset_id is None:
        return None
    dataset = session.get(Dataset, listing.dataset_id)
    return None if dataset is None else Package(entitlement, listing, dataset)


def downloadable_ids(session: Session, entitlements: Iterable[Entitlement]) -> set[int]:
    """Which of ``entitlements`` are to a data package with a dataset (one query)."""
    entitlements = list(entitlements)
    listing_ids = sorted({e.listing_id for e in entitlements})
    if not listing_ids:
        return set()
    packages = set(session.exec(select(Listing.id).where(
        col(Listing.id).in_(listing_ids), Listing.delivery_form == DeliveryForm.DATA_PACKAGE,
        col(Listing.dataset_id).is_not(None))).all())
    return {e.id for e in entitlements if e.listing_id in packages}


def grant_of(entitlement: Entitlement) -> OperationGrant | None:
    """The columns and masking the entitlement's scope gives of its data package, or None."""
    scope = GrantedScope.from_json(entitlement.scope)
    if DATASET_REF in scope.operations:
        return scope.operations[DATASET_REF]
    if not scope.operations and entitlement.application_id is None:
        return OperationGrant(DATASET_REF)
    return None


def parse_format(value: str | None) -> ExportFormat:
    """:raises DownloadRefused: not one of the formats offered (400)."""
    try:
        return ExportFormat(str(value or "").lower())
    except ValueError:
        raise DownloadRefused(400, _l("Choose CSV, XLSX or Parquet.")) from None


def check_usable(entitlement: Entitlement) -> None:
    """:raises DownloadRefused: the entitlement is suspended, revoked or out of date (403)."""
    if is_usable(entitlement):
        return
    state = EntitlementState(entitlement.state)
    if state == EntitlementState.ACTIVE:
        state = EntitlementState.EXPIRED
    if state == EntitlementState.SUSPENDED and entitlement.state_reason:
        raise DownloadRefused(403, _l(
            "Your entitlement #%(id)d is suspended (%(reason)s): nothing can be downloaded "
            "under it until it is reinstated.", id=entitlement.id,
            reason=entitlement.state_reason))
    raise DownloadRefused(403, _l(
        "Your entitlement #%(id)d is %(state)s: nothing can be downloaded under it.",
        id=entitlement.id, state=str(STATE_LABELS[state]).lower()))


def check_limit(entitlement: Entitlement, limit: int) -> None:
    """:raises DownloadRefused: the entitlement's downloads are used up (429). A quick look
    before the work; :func:`claim` is what counts."""
    if entitlement.downloads_used >= limit:
        raise _limit_reached(entitlement, limit)


def _limit_reached(entitlement: Entitlement, limit: int) -> DownloadRefused:
    return DownloadRefused(429, _l(
        "Entitlement #%(id)d has used all its %(limit)d downloads; ask the merchant or the "
        "platform if you need more.", id=entitlement.id, limit=limit))


def check_request(session: Session, entitlement: Entitlement, limit: int) -> Package:
    """What a download under ``entitlement`` would deliver, if one may be made now.

    :raises DownloadRefused: no data package behind it (409), not usable (403), the scope
        covers no column of it (403), or the limit is reached (429).
    """
    package = package_of(session, entitlement)
    if package is None:
        raise DownloadRefused(409, _l(
            "Entitlement #%(id)d is not to a data package with a dataset, so there is nothing "
            "to download.", id=entitlement.id))
    check_usable(entitlement)
    if grant_of(entitlement) is None:
        raise DownloadRefused(403, _l(
            "The scope of entitlement #%(id)d does not cover downloading the data package; "
            "apply for it with an authorization application.", id=entitlement.id))
    check_limit(entitlement, limit)
    return package


def already_counted(session: Session, download_id: str) -> bool:
    """Whether the download ``download_id`` was made (its usage record exists)."""
    return session.exec(select(UsageRecord.id).where(
        UsageRecord.request_id == download_id)).first() is not None


def claim(session: Session, entitlement: Entitlement, download_id: str, fmt: ExportFormat,
          limit: int, *, actor_id: int | None, rows: int) -> None:
    """Count one download in the caller's transaction: the entitlement's counter goes up only
    while below ``limit`` (a conditional ``UPDATE``, so two clicks at once cannot both pass the
    last one), with its usage record and audit entry. Nothing is written when it raises.

    :raises DownloadRefused: the limit is reached (429), or this download id was already
        counted (409: a link is one download).
    """
    savepoint = session.begin_nested()
    try:
        counted = session.execute(
            update(Entitlement)
            .where(col(Entitlement.id) == entitlement.id, col(Entitlement.downloads_used) < limit)
            .values(downloads_used=Entitlement.downloads_used + 1))
        if counted.rowcount != 1:
            savepoint.rollback()
            raise _limit_reached(entitlement, limit)
        session.add(UsageRecord(entitlement_id=entitlement.id, operation=DATASET_REF,
                                units=1, request_id=download_id, kind=UsageKind.DOWNLOAD))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        raise DownloadRefused(409, _l(
            "This download link was already used; ask for a new one from your account "
            "page.")) from None
    savepoint.commit()
    audit.record(session, actor_id=actor_id, action="download.delivered",
                 subject_type="entitlement", subject_id=entitlement.id,
                 details={"download": download_id, "format": str(fmt), "rows": rows})


def write(package: Package, fmt: ExportFormat, out: BinaryIO, secret_key: str, *,
          progress: Callable[[int], None] | None = None) -> ExportReport:
    """Export the package to ``out`` as its holder may see it: columns in scope, masking
    (the buyer's pseudonym keys keyed strategies, as on the API), and the entitlement's
    watermark.

    :raises ExportRefused, MaskingUnavailable, GovernanceStepFailed: see :func:`export`.
    """
    entitlement = package.entitlement
    grant = grant_of(entitlement) or OperationGrant(DATASET_REF, frozenset())
    buyer = announce.buyer_pseudonym(entitlement.buyer_id, package.listing.organization_id)
    policy = ExportPolicy.of(grant, get_runtime(), buyer=buyer)
    return export(read_batches(package.dataset, BATCH_ROWS), schema(package.dataset),
                  policy=policy, watermark_key=entitlement_key(secret_key, entitlement.id),
                  fmt=fmt, out=out, progress=progress)


def file_name(package: Package, fmt: ExportFormat) -> str:
    """The name the browser saves the file under: the listing and the entitlement."""
    return f"datamarket-{package.listing.product_id}-e{package.entitlement.id}.{fmt.value}"


def prepared_key(download_id: str, fmt: ExportFormat) -> str:
    """Where a file prepared by a job is kept in the dataset store."""
    return f"downloads/{download_id}.{ExportFormat(fmt).value}"
