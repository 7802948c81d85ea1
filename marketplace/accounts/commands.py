"""``datamarket whoami``, and the merchant's unified social credit code for ``datamarket plugin
new --merchant-email``: who a person is on the platform, read from its database.

These commands serve plugin authors, who work beside the platform rather than inside it, so they
open the platform's database directly instead of building the app: ``DATABASE_URL`` when set,
else the SQLite file in the instance folder (``DATAMARKET_INSTANCE_PATH``, by default
``instance/`` in the checkout), exactly where :func:`marketplace.create_app` looks. A database
that does not exist is never created.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, User
from marketplace.accounts.services import find_user_by_email
from marketplace.db import make_engine

#: The checkout's root, where ``create_app`` puts the default instance folder (importing it from
#: the ``marketplace`` package would import the whole app).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def platform_database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The database the platform on this machine uses, or None when there is none to read."""
    env = os.environ if environ is None else environ
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    instance = Path(env.get("DATAMARKET_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    database = instance / "datamarket.db"
    return f"sqlite:///{database}" if database.is_file() else None


class PlatformUnavailable(click.ClickException):
    """No platform database to read here, or it cannot be read."""


@contextmanager
def platform_session() -> Iterator[Session]:
    """A read-only look at the platform's database.

    :raises PlatformUnavailable: when there is no database here or it cannot be read.
    """
    url = platform_database_url()
    if url is None:
        raise PlatformUnavailable(
            "There is no platform database here: set DATABASE_URL to the database your "
            "Datamarket platform uses (as for every datamarket command), or start the platform "
            "once (make run), which creates its database in the instance folder.")
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise PlatformUnavailable(
            f"The platform database cannot be read ({type(exc).__name__}); check DATABASE_URL, "
            "and run 'datamarket db upgrade' if the database is new.") from None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Person:
    """A user and the merchant organization they belong to, if any."""

    user: User
    organization: MerchantOrganization | None


def find_person(session: Session, email: str) -> Person:
    """:raises click.ClickException: when nobody has that e-mail address."""
    user = find_user_by_email(session, email)
    if user is None:
        raise click.ClickException(f"Nobody on this platform signs in as {email}.")
    organization = (session.get(MerchantOrganization, user.organization_id)
                    if user.organization_id else None)
    return Person(user, organization)


def find_organization(session: Session, credit_code: str) -> MerchantOrganization | None:
    return session.exec(select(MerchantOrganization)
                        .where(MerchantOrganization.credit_code == credit_code)).first()


def plugin_new_line(credit_code: str, name: str = "NAME") -> str:
    """The command that generates a plugin owned by the organization with ``credit_code``."""
    return f"datamarket plugin new {name} --merchant {credit_code}"


def verification_text(organization: MerchantOrganization) -> str:
    if organization.status == OrganizationStatus.VERIFIED:
        when = f" on {organization.verified_at:%Y-%m-%d}" if organization.verified_at else ""
        return f"verified{when}"
    if organization.status == OrganizationStatus.REJECTED:
        return "verification refused" + (f": {organization.status_reason}"
                                         if organization.status_reason else "")
    return "not verified yet (an admin verifies new organizations)"


def merchant_code_of(person: Person) -> str:
    """The credit code a plugin of ``person`` names in its manifest.

    :raises click.ClickException: when they are not a member of a verified merchant, saying
        what to do.
    """
    organization = person.organization
    if organization is None:
        raise click.ClickException(
            f"{person.user.email} is not a member of a merchant organization, so a plugin "
            "cannot be theirs: register the organization on the platform (Account → "
            "Register a merchant organization) and try again once an admin has verified it.")
    if organization.status != OrganizationStatus.VERIFIED:
        raise click.ClickException(
            f"{organization.name} ({organization.credit_code}), the organization of "
            f"{person.user.email}, is {verification_text(organization)}: only a verified "
            "merchant's operations can be sold. To start now anyway, pass "
            f"--merchant {organization.credit_code}.")
    return organization.credit_code


def platform_merchant_lookup() -> Callable[[str], tuple[str, bool] | None] | None:
    """How ``plugin check`` looks a credit code up on this machine's platform: (organization
    name, verified?), or None when no organization has it; None when there is no platform."""
    if platform_database_url() is None:
        return None

    def look_up(credit_code: str) -> tuple[str, bool] | None:
        try:
            with platform_session() as session:
                organization = find_organization(session, credit_code)
                return None if organization is None else (organization.name,
                                                          organization.is_verified)
        except PlatformUnavailable:
            raise LookupError("its database cannot be read") from None

    return look_up


@click.command("whoami")
@click.option("--email", required=True, help="The address you sign in to the platform with.")
def whoami(email: str) -> None:
    """Print your merchant organization, its verification and its unified social credit code,
    with the 'datamarket plugin new' line that makes a plugin yours."""
    with platform_session() as session:
        person = find_person(session, email)
        user, organization = person.user, person.organization
        click.echo(f"{user.email} ({user.display_name}), {user.role}")
        if organization is None:
            click.echo("Not a member of a merchant organization: register one on the platform "
                       "(Account → Register a merchant organization) to sell products.")
            return
        click.echo(f"Merchant organization: {organization.name}")
        click.echo(f"  verification: {verification_text(organization)}")
        click.echo(f"  unified social credit code: {organization.credit_code}")
        click.echo("Generate a plugin of this organization with:")
        click.echo(f"  {plugin_new_line(organization.credit_code)}")
