"""Sign-up, passwords, roles and merchant organizations."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from datamarket_sdk import identifiers
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from marketplace import changes
from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, Role, User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.notifications.services import notify

# Argon2id with the library's defaults (RFC 9106 low-memory profile): memory-hard.
_hasher = PasswordHasher()

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [
            str(_l("Use at least %(n)d characters for the password.", n=MIN_PASSWORD_LENGTH))
        ]
    return []


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or ``None``; upgrades an outdated hash."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        # Spend the same time as a real check so e-mail addresses cannot be probed by timing.
        _hasher.hash(password)
        return None
    if not check_password(user, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


class AccountExists(Conflict):
    """Sign-up with an e-mail address that already has an account."""


def sign_up(
    session: Session, *, email: str, password: str, display_name: str, locale: str = "en",
    confirmed: bool = False,
) -> User:
    """Create a buyer account.

    The account's address is unconfirmed (:mod:`marketplace.accounts.confirmation`) unless
    ``confirmed`` (accounts an operator creates: the demo's, the CLI's admins).

    :raises ValidationFailed: for a malformed e-mail, a short password or a missing name.
    :raises AccountExists: the e-mail address already has an account; checked after the
        rest, so that the sign-up page can answer as it does for a new account.
    """
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = [str(_l("Enter an e-mail address such as name@example.com."))]
    if pw_errors := password_errors(password):
        errors["password"] = pw_errors
    if not display_name.strip():
        errors["display_name"] = [str(_l("Tell us your name."))]
    if errors:
        raise ValidationFailed(errors)
    password_hash = hash_password(password)  # spent either way: the answer takes as long
    if find_user_by_email(session, email) is not None:
        raise AccountExists(_l("An account with this e-mail address already exists."))
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=password_hash,
        role=Role.BUYER,
        locale=locale,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor_id=user.id, action="user.sign_up", subject_type="user", subject_id=user.id
    )
    return user


def end_sessions(session: Session, actor: User | None, user: User, *, reason: str) -> None:
    """End every session of ``user``, on every device, remember-me cookies included.

    Each session carries the user's session generation (``User.get_id``); bumping it makes
    the sign-in loader refuse every cookie issued before. ``reason`` is what the audit log
    says: ``logout`` or ``admin`` (an admin's "sign out everywhere").
    """
    user.session_version += 1
    session.add(user)
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="user.sessions_ended",
        subject_type="user",
        subject_id=user.id,
        details={"reason": reason},
    )


def set_email_sharing(session: Session, user: User, share: bool) -> bool:
    """Whether the sellers of ``user``'s orders may see its e-mail address; audited. Returns
    whether anything changed."""
    if user.share_email_with_sellers == share:
        return False
    user.share_email_with_sellers = share
    session.add(user)
    audit.record(session, actor_id=user.id, action="user.email_sharing", subject_type="user",
                 subject_id=user.id, details={"share_email_with_sellers": share})
    return True


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change the password and end every other session of this user."""
    if not check_password(user, current):
        raise ValidationFailed({"current_password": [str(_l("The current password is wrong."))]})
    if pw_errors := password_errors(new):
        raise ValidationFailed({"new_password": pw_errors})
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.add(user)
    audit.record(
        session,
        actor_id=user.id,
        action="user.password_change",
        subject_type="user",
        subject_id=user.id,
    )


def set_role(session: Session, actor: User | None, user: User, role: Role) -> None:
    """Give ``user`` a new role; audited and notified. ``actor`` is ``None`` for the CLI."""
    role = Role(role)
    if user.role == role:
        return
    if role == Role.MERCHANT and user.organization_id is None:
        raise ValidationFailed(
            {"role": [str(_l("A merchant must belong to a merchant organization first."))]}
        )
    if user.role == Role.ADMIN and role != Role.ADMIN and _admin_count(session) <= 1:
        raise Conflict(_l("The last admin cannot lose the admin role."))
    old = user.role
    user.role = role
    session.add(user)
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="user.role_change",
        subject_type="user",
        subject_id=user.id,
        details={"from": old, "to": role.value},
    )
    notify(session, [user], "role.changed", {"role": role.value}, link="/account")


def _admin_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.role == Role.ADMIN)).one()


def create_admin(session: Session, *, email: str, password: str, display_name: str) -> User:
    """Create an admin account, or promote an existing account to admin."""
    user = find_user_by_email(session, email)
    if user is None:
        user = sign_up(session, email=email, password=password, display_name=display_name,
                       confirmed=True)
    set_role(session, None, user, Role.ADMIN)
    return user


def validate_credit_code(code: str) -> str:
    """The unified social credit code in its compact form (the SDK's rule, which the
    governance tools apply too).

    :raises ValidationFailed: with a message that says what is wrong with it.
    """
    compact = re.sub(r"[\s-]", "", identifiers.normalise(code or ""))
    try:
        return identifiers.validate_uscc(compact)
    except identifiers.InvalidIdentifier as exc:
        if len(compact) != 18:
            message = _l("A unified social credit code has 18 characters; this one has %(n)d.",
                         n=len(compact))
        elif exc.reason == "check_character":
            message = _l("This unified social credit code fails its check digit; "
                         "check it for a mistyped character.")
        elif exc.reason == "organisation_code":
            message = _l("Characters 9 to 17 of this unified social credit code are not a valid "
                         "organisation code; check them for a mistyped character.")
        elif exc.reason == "authority":
            message = _l("A unified social credit code starts with its registration authority "
                         "and entity type (such as 91 for an enterprise); %(start)s is not one.",
                         start=compact[:2].upper())
        else:
            message = _l("This is not a valid unified social credit code (digits and capital "
                         "letters, excluding I, O, S, V and Z).")
        raise ValidationFailed({"credit_code": [str(message)]}) from None


def create_organization(
    session: Session,
    user: User,
    *,
    name: str,
    credit_code: str,
    contact_email: str,
    description: str = "",
) -> MerchantOrganization:
    """Register a merchant organization with ``user`` as its first member, pending verification."""
    if user.organization_id is not None:
        raise Conflict(_l("You already belong to a merchant organization."))
    errors: dict[str, list[str]] = {}
    code = ""
    try:
        code = validate_credit_code(credit_code)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if code and session.exec(
        select(MerchantOrganization).where(MerchantOrganization.credit_code == code)
    ).first():
        errors["credit_code"] = [
            str(_l("An organization with this unified social credit code is already registered."))
        ]
    if not name.strip():
        errors["name"] = [str(_l("Give the organization's registered name."))]
    if not EMAIL_RE.match(normalize_email(contact_email)):
        errors["contact_email"] = [str(_l("Enter an e-mail address such as name@example.com."))]
    if errors:
        raise ValidationFailed(errors)
    org = MerchantOrganization(
        name=name.strip(),
        credit_code=code,
        contact_email=normalize_email(contact_email),
        description=description.strip(),
    )
    session.add(org)
    session.flush()
    user.organization_id = org.id
    session.add(user)
    audit.record(
        session,
        actor_id=user.id,
        action="organization.create",
        subject_type="organization",
        subject_id=org.id,
        details={"name": org.name, "credit_code": org.credit_code},
    )
    set_role(session, user, user, Role.MERCHANT)
    notify(session, admins(session), "organization.submitted", {"name": org.name},
           link="/admin/organizations")
    return org


def update_organization(session: Session, actor: User, org: MerchantOrganization, *,
                        name: str, contact_email: str, description: str) -> list[str]:
    """Change an organization's profile; returns the names of the fields that changed.

    A renamed organization keeps its verification (companies do change their registered names)
    but admins are told, to check the new name against the credit code; the change is audited
    and its products' search documents follow.
    """
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [str(_l("Give the organization's registered name."))]
    if not EMAIL_RE.match(normalize_email(contact_email)):
        errors["contact_email"] = [str(_l("Enter an e-mail address such as name@example.com."))]
    if errors:
        raise ValidationFailed(errors)
    wanted = {"name": name.strip(), "contact_email": normalize_email(contact_email),
              "description": description.strip()}
    changed = {field: {"from": getattr(org, field), "to": value}
               for field, value in wanted.items() if getattr(org, field) != value}
    if not changed:
        return []
    for field, values in changed.items():
        setattr(org, field, values["to"])
    session.add(org)
    audit.record(session, actor_id=actor.id, action="organization.update",
                 subject_type="organization", subject_id=org.id, details=changed)
    if "name" in changed:
        changes.organization_changed(session, org.id, "organization.rename")
        if org.is_verified:
            notify(session, admins(session), "organization.renamed",
                   {"old": changed["name"]["from"], "name": org.name},
                   link="/admin/organizations")
    return list(changed)


def members(session: Session, organization_id: int) -> list[User]:
    return list(session.exec(select(User).where(User.organization_id == organization_id)))


def organizations_by_id(
    session: Session, ids: Iterable[int | None]
) -> dict[int, MerchantOrganization]:
    """Several organizations in one query, keyed by id; ``None`` ids and ids that match nothing
    are left out."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(MerchantOrganization).where(col(MerchantOrganization.id).in_(wanted))
    )
    return {org.id: org for org in rows}


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    """Several users in one query, keyed by id; ``None`` ids and ids that match nothing are
    left out."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {user.id: user for user in session.exec(select(User).where(col(User.id).in_(wanted)))}


def admins(session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.role == Role.ADMIN).order_by(col(User.id))))


def verify_organization(session: Session, actor: User, org: MerchantOrganization) -> None:
    if org.status == OrganizationStatus.VERIFIED:
        raise InvalidTransition(_l("This organization is already verified."))
    old = org.status
    org.status = OrganizationStatus.VERIFIED
    org.status_reason = ""
    org.verified_at = utcnow()
    session.add(org)
    audit.record(
        session,
        actor_id=actor.id,
        action="organization.verify",
        subject_type="organization",
        subject_id=org.id,
        details={"from": old, "to": org.status},
    )
    changes.organization_changed(session, org.id, "organization.verify")
    notify(session, members(session, org.id), "organization.verified", {"name": org.name},
           link="/merchant")


def reject_organization(
    session: Session, actor: User, org: MerchantOrganization, reason: str
) -> None:
    if not reason.strip():
        raise ValidationFailed({"reason": [str(_l("Write the reason the merchant will read."))]})
    old = org.status
    org.status = OrganizationStatus.REJECTED
    org.status_reason = reason.strip()
    org.verified_at = None
    session.add(org)
    audit.record(
        session,
        actor_id=actor.id,
        action="organization.reject",
        subject_type="organization",
        subject_id=org.id,
        details={"from": old, "to": org.status, "reason": org.status_reason},
    )
    changes.organization_changed(session, org.id, "organization.reject")
    notify(session, members(session, org.id), "organization.rejected",
           {"name": org.name, "reason": org.status_reason}, link="/merchant")
