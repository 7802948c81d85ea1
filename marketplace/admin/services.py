"""What the platform admin's pages need to read: counts, queues and version differences.

The decisions themselves (verifying organizations, reviewing and suspending listings, changing
roles) are the business of :mod:`marketplace.accounts.services` and
:mod:`marketplace.catalog.services`; this module only gathers what an admin looks at before
deciding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, User
from marketplace.base import utcnow
from marketplace.catalog.labels import label, plan_details, plan_headline
from marketplace.catalog.models import Listing, ListingState


@dataclass(frozen=True)
class AdminCounts:
    """The numbers on the admin dashboard."""

    listings_to_review: int
    organizations_to_verify: int
    published_products: int
    users: int


def _count(session: Session, model: type, *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def dashboard_counts(session: Session) -> AdminCounts:
    """How much work waits for the admins, and how big the marketplace is."""
    return AdminCounts(
        listings_to_review=_count(session, Listing, Listing.state == ListingState.SUBMITTED),
        organizations_to_verify=_count(
            session, MerchantOrganization, MerchantOrganization.status == OrganizationStatus.PENDING
        ),
        # At most one listing of a product is published, so this counts products.
        published_products=_count(session, Listing, Listing.state == ListingState.PUBLISHED),
        users=_count(session, User),
    )


def organizations_for_review(session: Session) -> list[MerchantOrganization]:
    """Organizations waiting for verification (oldest first), then all others (newest first)."""
    pending = session.exec(
        select(MerchantOrganization)
        .where(MerchantOrganization.status == OrganizationStatus.PENDING)
        .order_by(col(MerchantOrganization.created_at), col(MerchantOrganization.id))
    ).all()
    others = session.exec(
        select(MerchantOrganization)
        .where(MerchantOrganization.status != OrganizationStatus.PENDING)
        .order_by(col(MerchantOrganization.created_at).desc(), col(MerchantOrganization.id).desc())
    ).all()
    return [*pending, *others]


def users_page(session: Session, page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """One page of users, newest first, and how many users there are in all."""
    page = max(page, 1)
    total = _count(session, User)
    rows = session.exec(
        select(User)
        .order_by(col(User.created_at).desc(), col(User.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def waiting_time(since: datetime | None, now: datetime | None = None) -> timedelta:
    """How long something submitted at ``since`` has waited (zero when unknown).

    Databases hand back naive UTC datetimes; they are read as UTC.
    """
    if since is None:
        return timedelta(0)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return max((now or utcnow()) - since, timedelta(0))


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between the version on sale and the version under review."""

    field: str
    label: str
    before: str
    after: str


def _dictionary_text(fields: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{f.get('name')} ({f.get('type')}, {label('sensitivity', f.get('sensitivity'))})"
        + (f": {f['description']}" if f.get("description") else "")
        for f in fields
    )


def _rows_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), default=str)
        for row in rows
    )


def _plans_text(plans: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{p['name']}: {plan_headline(p)}" + "".join(f"\n  · {line}" for line in plan_details(p))
        for p in plans
    )


def _operation_text(listing: Listing) -> str:
    if listing.plugin_name and listing.operation_name:
        return f"{listing.plugin_name} · {listing.operation_name}"
    return str(_l("No plugin operation"))


_COMPARED: list[tuple[str, Any, Any]] = [
    ("title", _l("Title"), str),
    ("summary", _l("Summary"), str),
    ("description_md", _l("Description"), str),
    ("product_type", _l("Product type"), lambda v: label("product_type", v)),
    ("delivery_form", _l("Delivery"), lambda v: label("delivery_form", v)),
    ("scenario", _l("Scenario"), lambda v: label("scenario", v)),
    ("tags", _l("Tags"), lambda v: ", ".join(v or [])),
    ("classification_level", _l("Classification level"), lambda v: label("level", v)),
    ("data_dictionary", _l("Data dictionary"), _dictionary_text),
    ("sample_rows", _l("Sample rows"), _rows_text),
]


def version_changes(
    previous: Listing,
    current: Listing,
    previous_plans: list[dict[str, Any]],
    current_plans: list[dict[str, Any]],
) -> list[FieldChange]:
    """The fields of ``current`` that differ from ``previous``, as text to show side by side.

    Plans are given as :func:`marketplace.catalog.services.plan_dicts` returns them.
    """
    changes = [
        FieldChange(name, str(title), show(getattr(previous, name)), show(getattr(current, name)))
        for name, title, show in _COMPARED
        if getattr(previous, name) != getattr(current, name)
    ]
    if previous_plans != current_plans:
        changes.append(FieldChange("pricing_plans", str(_l("Pricing plans")),
                                   _plans_text(previous_plans), _plans_text(current_plans)))
    if _operation_text(previous) != _operation_text(current):
        changes.append(FieldChange("operation", str(_l("Plugin operation")),
                                   _operation_text(previous), _operation_text(current)))
    return changes
