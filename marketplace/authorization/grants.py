"""Whether a product needs an approved authorization application, and the buyer's application
that lets them buy and use it now.

The floor below delivery: :func:`marketplace.delivery.entitlements.grant` and the cart ask these
questions; nothing here imports delivery or commerce.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.authorization.models import ApplicationState, AuthorizationApplication
from marketplace.base import utcnow
from marketplace.catalog.models import Listing
from marketplace.errors import ValidationFailed

S = ApplicationState
#: Products at these classification levels always need an approved application.
AUTHORIZATION_LEVELS = frozenset({3, 4})
#: Applications still waiting for a decision.
UNDECIDED = frozenset({S.SUBMITTED, S.PENDING_ADMIN})


def required(listing: Listing) -> bool:
    """Whether buying ``listing`` needs an approved authorization application (DESIGN §2.3):
    level 3 and 4 products, and those whose merchant asks for one."""
    return listing.classification_level in AUTHORIZATION_LEVELS or listing.requires_application


def today() -> date:
    return utcnow().date()


def in_period(application: AuthorizationApplication, on: date | None = None) -> bool:
    on = on or today()
    return application.starts_on <= on <= application.ends_on


def approved_application(session: Session, buyer_id: int, product_id: int,
                         on: date | None = None) -> AuthorizationApplication | None:
    """The buyer's approved application for the product whose period includes ``on`` (today),
    the latest approved if several."""
    on = on or today()
    return session.exec(select(AuthorizationApplication).where(
        AuthorizationApplication.buyer_id == buyer_id,
        AuthorizationApplication.product_id == product_id,
        AuthorizationApplication.state == S.APPROVED,
        col(AuthorizationApplication.starts_on) <= on,
        col(AuthorizationApplication.ends_on) >= on,
    ).order_by(col(AuthorizationApplication.id).desc())).first()


def open_application(session: Session, buyer_id: int,
                     product_id: int) -> AuthorizationApplication | None:
    """The buyer's application for the product that is waiting for a decision or approved and
    not yet over (the product page's state; a buyer has at most one), or None."""
    candidates = session.exec(select(AuthorizationApplication).where(
        AuthorizationApplication.buyer_id == buyer_id,
        AuthorizationApplication.product_id == product_id,
        col(AuthorizationApplication.state).in_([*UNDECIDED, S.APPROVED]),
        col(AuthorizationApplication.ends_on) >= today(),
    ).order_by(col(AuthorizationApplication.id).desc())).all()
    return candidates[0] if candidates else None


class ApplicationRequired(ValidationFailed):
    """The buyer has no approved, in-date application for a product that needs one. Pages and
    the API link to the application form of ``product_id``."""

    status_code = 403

    def __init__(self, listing: Listing):
        self.product_id = listing.product_id
        if listing.classification_level in AUTHORIZATION_LEVELS:
            message = _l("“%(title)s” is a level %(level)d product: you can buy it only with an "
                         "approved authorization application. Apply for authorization on its "
                         "page first.", title=listing.title, level=listing.classification_level)
        else:
            message = _l("The merchant of “%(title)s” sells it only with an approved "
                         "authorization application. Apply for authorization on its page first.",
                         title=listing.title)
        super().__init__({"plan": [str(message)]})


def check_may_buy(session: Session, buyer_id: int, listing: Listing) -> None:
    """Refuse a purchase of ``listing`` by the buyer without an approved, in-date application
    when the product needs one.

    :raises ApplicationRequired:
    """
    if required(listing) and approved_application(session, buyer_id, listing.product_id) is None:
        raise ApplicationRequired(listing)
