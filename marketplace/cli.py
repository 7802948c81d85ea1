"""The ``datamarket`` command: database migrations, admins, demo data, audit and mail."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from marketplace.db import get_session


def _create_app():
    from marketplace import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Datamarket: a marketplace for authorized public data products."""


def register_commands(app) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit_group)
    app.cli.add_command(mail_group)


@click.group("db", help="Database schema migrations.")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from marketplace import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at {migrate.current_revision(current_app.config['DATABASE_URL'])}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from marketplace import migrate

    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.password_option()
@with_appcontext
def create_admin(email: str, display_name: str, password: str) -> None:
    """Create a platform admin (or promote an existing account)."""
    from marketplace.accounts.services import create_admin as make_admin
    from marketplace.errors import DomainError

    session = get_session()
    try:
        user = make_admin(session, email=email, password=password, display_name=display_name)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.email} is an admin.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo accounts and catalog (running it again changes nothing)."""
    from marketplace.demo.seed import DEMO_LOGINS, seed

    from marketplace.notifications.services import deliver_outbox

    session = get_session()
    created = seed(session)
    if created:
        # The review decisions of the demo queued notifications; send them now, not on a
        # stranger's next request.
        deliver_outbox(session, current_app.config, limit=10_000)
    click.echo("Demo data " + ("created." if created else "already present; nothing changed."))
    for role, email, password in DEMO_LOGINS:
        click.echo(f"  {role:<16} {email:<28} {password}")


@click.group("audit", help="The hash-chained audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the whole chain; name the first entry that was altered, removed or inserted."""
    from marketplace.audit.services import verify_chain

    report = verify_chain(get_session())
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} entries verified.")
        return
    click.echo(f"Audit chain BROKEN after {report.checked} good entries. {report.problem}",
               err=True)
    sys.exit(1)


@click.group("mail", help="The e-mail outbox.")
def mail_group() -> None:
    pass


@mail_group.command("flush")
@with_appcontext
def mail_flush() -> None:
    """Send every committed e-mail still in the outbox."""
    from marketplace.notifications.services import deliver_outbox

    sent = deliver_outbox(get_session(), current_app.config, limit=10_000)
    click.echo(f"{sent} e-mail(s) sent.")
