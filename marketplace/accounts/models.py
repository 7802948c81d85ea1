"""Users, their roles, and the merchant organizations they belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from marketplace.base import utcnow


class Role(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    ADMIN = "admin"


class OrganizationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class MerchantOrganization(SQLModel, table=True):
    """A data merchant (数商): a legal entity identified by its unified social credit code."""

    __tablename__ = "merchant_organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True, index=True)
    contact_email: str = Field(max_length=254)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default=OrganizationStatus.PENDING, max_length=20, index=True)
    status_reason: str = Field(default="", max_length=2000)
    verified_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_verified(self) -> bool:
        return self.status == OrganizationStatus.VERIFIED


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.BUYER, max_length=20, index=True)
    organization_id: int | None = Field(
        default=None, foreign_key="merchant_organization.id", index=True
    )
    locale: str = Field(default="en", max_length=10)
    is_active: bool = Field(default=True)
    # The session generation: bumped on logout, password change and an admin's "sign out
    # everywhere", so that every session and remember-me cookie issued before ends.
    session_version: int = Field(default=0)
    # None until the owner follows the link mailed at sign-up; buying needs a confirmed address.
    email_confirmed_at: datetime | None = None
    # Whether the sellers of this buyer's orders may see its e-mail address (off by default:
    # they see its organization or name only).
    share_email_with_sellers: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_merchant(self) -> bool:
        return self.role == Role.MERCHANT and self.organization_id is not None


class SecondFactor(SQLModel, table=True):
    """A user's TOTP authenticator (admins must have one): the shared secret and the time step
    of the last code accepted, so that a code is never accepted twice."""

    __tablename__ = "second_factor"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    totp_secret: str = Field(max_length=64)
    # None while enrolling: the secret was shown but no code from it was entered yet.
    confirmed_at: datetime | None = None
    last_step: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """A one-time code for signing in without the authenticator; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
