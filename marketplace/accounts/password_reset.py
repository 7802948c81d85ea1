"""Choosing a new password through a link mailed to the account's address.

Asking for a link answers the same whether or not the address has an account (the view says
"if an account has this address..."), so the form cannot be used to find out who has one.
The link's token (itsdangerous, signed with the app's secret) names the account and a piece of
its current password hash and expires after :data:`MAX_AGE`: once the password changes, every
earlier link is dead. Setting the new password ends every session of the account.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from marketplace.accounts import services
from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.errors import DomainError, ValidationFailed
from marketplace.notifications.services import send_mail

SALT = "datamarket.password-reset"
#: How long a reset link works, in seconds (one hour).
MAX_AGE = 3600


class BadResetLink(DomainError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(_l("This link to choose a new password has expired or was already "
                            "used; ask for a new one."))


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    return user.password_hash[-16:]


def token_for(secret_key: str, user: User) -> str:
    return _serializer(secret_key).dumps({"user": user.id, "p": _fingerprint(user)})


def user_for(session: Session, secret_key: str, token: str, *, max_age: int = MAX_AGE) -> User:
    """The account a reset link is for.

    :raises BadResetLink: forged, expired, or made before the password last changed.
    """
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature
        raise BadResetLink() from None
    user = session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("p") != _fingerprint(user):
        raise BadResetLink()
    return user


def mail_reset_link(session: Session, email: str, link_for) -> None:
    """Mail a reset link to the account with this address, if there is one; ``link_for(user)``
    makes the link. Nothing happens (and nothing tells) when there is none."""
    user = services.find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    with force_locale(user.locale or "en"):
        send_mail(session, user.email, str(_l("Datamarket: choose a new password")),
                  str(_l("Follow this link within an hour to choose a new password for your "
                         "Datamarket account:\n\n%(link)s\n\nIf you did not ask for it, ignore "
                         "this message: your password stays as it is.",
                         link=link_for(user))))


def reset_password(session: Session, user: User, new_password: str) -> None:
    """Set the new password, end every session, and count the address as confirmed (the link
    reached it).

    :raises ValidationFailed: the new password is too short.
    """
    if errors := services.password_errors(new_password):
        raise ValidationFailed({"password": errors})
    user.password_hash = services.hash_password(new_password)
    user.session_version += 1
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    session.add(user)
    audit.record(session, actor_id=user.id, action="user.password_reset", subject_type="user",
                 subject_id=user.id)
