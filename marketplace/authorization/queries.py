"""Reading applications: the lists each side sees, one application's history, and the facts
its pages show (titles, names)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from marketplace.authorization.models import (
    ApplicationEvent,
    ApplicationState,
    AuthorizationApplication,
)
from marketplace.catalog.models import Listing

A = AuthorizationApplication


def _page(session: Session, query, page: int, per_page: int) -> tuple[list[A], int]:
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(A.created_at).desc(), col(A.id).desc())
                        .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def for_buyer(session: Session, buyer_id: int, *, state: str | None = None, page: int = 1,
              per_page: int = 20) -> tuple[list[A], int]:
    """One page of a buyer's applications, newest first, and how many in all."""
    query = select(A).where(A.buyer_id == buyer_id)
    return _page(session, query.where(A.state == state) if state else query, page, per_page)


def for_organization(session: Session, organization_id: int, *, state: str | None = None,
                     page: int = 1, per_page: int = 20) -> tuple[list[A], int]:
    """One page of the applications for an organization's products, newest first."""
    query = select(A).where(A.organization_id == organization_id)
    return _page(session, query.where(A.state == state) if state else query, page, per_page)


def for_admins(session: Session, *, state: str | None = ApplicationState.PENDING_ADMIN,
               page: int = 1, per_page: int = 20) -> tuple[list[A], int]:
    """One page of every application (by default those waiting for an admin)."""
    query = select(A)
    return _page(session, query.where(A.state == state) if state else query, page, per_page)


def history(session: Session, application_id: int) -> list[ApplicationEvent]:
    """An application's events, oldest first."""
    return list(session.exec(select(ApplicationEvent)
                             .where(ApplicationEvent.application_id == application_id)
                             .order_by(col(ApplicationEvent.created_at),
                                       col(ApplicationEvent.id))))


def titles(session: Session, applications: Iterable[A]) -> dict[int, tuple[str, str]]:
    """The title of the version each application was made against, in Chinese and (where its
    merchant gave one) English, by listing id."""
    ids = {application.listing_id for application in applications}
    if not ids:
        return {}
    return {listing_id: (title, title_en) for listing_id, title, title_en in session.exec(
        select(Listing.id, Listing.title, Listing.title_en).where(col(Listing.id).in_(ids)))}
