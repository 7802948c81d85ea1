"""The second factor of admins: a TOTP authenticator (RFC 6238, through pyotp) and one-time
recovery codes.

Enrolment gives the user a new secret (as an ``otpauth://`` URI, a QR code and text) and is
confirmed by a first code from it; confirming makes ten recovery codes, shown once and kept only
as SHA-256 hashes (they are random, 50 bits each, so a slow hash adds nothing). A code is
accepted once: the time step of the last accepted one is kept, and a recovery code is marked
used. Every enrolment, success and failure is audited.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from marketplace.accounts.models import RecoveryCode, SecondFactor, User
from marketplace.audit.services import record
from marketplace.base import utcnow
from marketplace.errors import Conflict, ValidationFailed

ISSUER = "Datamarket"
RECOVERY_CODES = 10
#: Codes from the previous and the next 30-second step are accepted too (clock drift).
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def factor_of(session: Session, user: User) -> SecondFactor | None:
    return session.get(SecondFactor, user.id)


def is_enrolled(session: Session, user: User) -> bool:
    factor = factor_of(session, user)
    return factor is not None and factor.confirmed_at is not None


def start_enrolment(session: Session, user: User) -> SecondFactor:
    """A new, unconfirmed secret for ``user`` (replacing an unconfirmed one).

    :raises Conflict: the user already has a confirmed authenticator.
    """
    factor = factor_of(session, user)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict(str(_l("Your authenticator is already set up.")))
    if factor is None:
        factor = SecondFactor(user_id=user.id, totp_secret=pyotp.random_base32())
        session.add(factor)
        session.flush()
    return factor


def provisioning_uri(factor: SecondFactor, user: User) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from the QR code or typed in)."""
    return pyotp.TOTP(factor.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Confirm the authenticator with a first code from it; returns the new recovery codes.

    :raises ValidationFailed: (field ``code``) the code is wrong, or there is nothing to confirm.
    """
    factor = factor_of(session, user)
    if factor is None or factor.confirmed_at is not None or not _accept_totp(factor, code):
        record(session, actor_id=user.id, action="account.second_factor_failed",
               subject_type="user", subject_id=user.id, details={"step": "enrolment"})
        raise ValidationFailed({"code": [str(_l(
            "That code is not right: enter the 6 digits your authenticator shows now."))]})
    factor.confirmed_at = utcnow()
    session.add(factor)
    codes = _new_recovery_codes(session, user)
    record(session, actor_id=user.id, action="account.second_factor_enrolled",
           subject_type="user", subject_id=user.id, details={"recovery_codes": len(codes)})
    return codes


def enrol_with_secret(session: Session, user: User, secret: str) -> SecondFactor:
    """Enrol ``user`` with a known secret, confirmed (the demo admin; never for real users)."""
    factor = factor_of(session, user) or SecondFactor(user_id=user.id, totp_secret=secret)
    factor.totp_secret, factor.confirmed_at = secret, utcnow()
    session.add(factor)
    session.flush()
    return factor


def verify(session: Session, user: User, code: str) -> bool:
    """Whether ``code`` (from the authenticator, or an unused recovery code) proves the second
    factor of ``user``; it cannot be used again. Audited either way."""
    factor = factor_of(session, user)
    method = None
    if factor is not None and factor.confirmed_at is not None:
        if _accept_totp(factor, code):
            method = "authenticator"
        elif _use_recovery_code(session, user, code):
            method = "recovery code"
    record(session, actor_id=user.id,
           action="account.second_factor_passed" if method else "account.second_factor_failed",
           subject_type="user", subject_id=user.id,
           details={"method": method} if method else {"step": "sign-in"})
    return method is not None


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.exec(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))).all())


def current_code(secret: str) -> str:
    """The code the authenticator shows now (the demo banner, the tests' sign-in helper)."""
    return pyotp.TOTP(secret).now()


def _accept_totp(factor: SecondFactor, code: str, now: float | None = None) -> bool:
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return False
    totp = pyotp.TOTP(factor.totp_secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > factor.last_step and secrets.compare_digest(totp.generate_otp(step), digits):
            factor.last_step = step
            return True
    return False


def _hash(code: str) -> str:
    normalized = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all():
        session.delete(old)
    session.flush()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    found = session.exec(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
        col(RecoveryCode.used_at).is_(None)).with_for_update()).first()
    if found is None:
        return False
    found.used_at = utcnow()
    session.add(found)
    return True
