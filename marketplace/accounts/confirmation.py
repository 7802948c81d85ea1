"""Confirming an e-mail address before the first purchase, and signing up without telling a
stranger whether an address has an account.

The link mailed at sign-up carries a token signed with the app's secret (itsdangerous) that
names the account and the address and expires after :data:`MAX_AGE`. Signing up with an address
that already has an account answers exactly as a new sign-up does; the owner of the address
is mailed instead, so only they learn that someone tried.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.errors import DomainError
from marketplace.notifications.services import send_mail

SALT = "datamarket.email-confirmation"
#: How long a confirmation link works, in seconds (three days).
MAX_AGE = 3 * 24 * 3600


class EmailNotConfirmed(DomainError):
    """The account's e-mail address is not confirmed yet: it may not buy."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__(_l("Confirm your e-mail address before buying: follow the link we sent "
                            "you, or ask for a new one on your account page (/account)."))


class BadConfirmationLink(DomainError):
    status_code = 400

    def __init__(self, expired: bool) -> None:
        super().__init__(
            _l("This confirmation link has expired; ask for a new one on your account page.")
            if expired else
            _l("This confirmation link is not valid; ask for a new one on your account page."))


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def token_for(secret_key: str, user: User) -> str:
    """The signed token of ``user``'s confirmation link."""
    return _serializer(secret_key).dumps({"user": user.id, "email": user.email})


def require_confirmed(user: User) -> None:
    """:raises EmailNotConfirmed: ``user`` has not confirmed its e-mail address yet."""
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()


def confirm(session: Session, secret_key: str, token: str, *, max_age: int = MAX_AGE) -> User:
    """Confirm the address a link names; confirming twice is harmless.

    :raises BadConfirmationLink: the token is forged, expired, or names an address the account
        no longer has.
    """
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadConfirmationLink(expired=True) from None
    except BadSignature:
        raise BadConfirmationLink(expired=False) from None
    user = session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("email"):
        raise BadConfirmationLink(expired=False)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.add(user)
        audit.record(session, actor_id=user.id, action="user.email_confirmed",
                     subject_type="user", subject_id=user.id)
    return user


def mail_confirmation(session: Session, user: User, link: str) -> None:
    """Mail ``user`` the link that confirms its address (in the caller's transaction)."""
    with force_locale(user.locale or "en"):
        send_mail(session, user.email,
                  str(_l("Datamarket: confirm your e-mail address")),
                  str(_l("Welcome to Datamarket, %(name)s. Follow this link to confirm your "
                         "e-mail address; you can buy once it is confirmed. The link works "
                         "for three days.\n\n%(link)s", name=user.display_name, link=link)))


def mail_existing_account(session: Session, user: User, login_link: str) -> None:
    """Tell the owner of an address that someone tried to sign up with it."""
    with force_locale(user.locale or "en"):
        send_mail(session, user.email,
                  str(_l("Datamarket: you already have an account")),
                  str(_l("Someone, maybe you, tried to create a Datamarket account with this "
                         "e-mail address. It already has an account: log in here.\n\n%(link)s"
                         "\n\nIf it was not you, you can ignore this message.",
                         link=login_link)))
