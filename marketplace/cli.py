"""The ``datamarket`` command: database migrations, admins, demo data, audit, mail, plugins,
payments, the search index and the background jobs' worker."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from marketplace.accounts.commands import whoami
from marketplace.db import get_session
from marketplace.delivery.exports.commands import watermark_group
from marketplace.jobs.commands import worker
from marketplace.monitoring.commands import sweep_usage_command
from marketplace.search.commands import reindex
from marketplace.settings import settings


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
    app.cli.add_command(plugin_group)
    app.cli.add_command(payments_group)
    app.cli.add_command(reindex)
    app.cli.add_command(sweep_usage_command)
    app.cli.add_command(demo_code)
    app.cli.add_command(watermark_group)
    app.cli.add_command(worker)


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
    from marketplace.accounts.second_factor import current_code
    from marketplace.demo.seed import (
        DEMO_ADMIN_TOTP_SECRET,
        DEMO_API,
        DEMO_LOGINS,
        demo_curl,
        demo_product_id,
        seed,
    )
    from marketplace.notifications.services import deliver_outbox

    session = get_session()
    created = seed(session)
    if created:
        # The review decisions of the demo queued notifications; send them now, not on a
        # stranger's next request.
        deliver_outbox(session, settings().mail, limit=10_000)
    click.echo("Demo data " + ("created." if created else "already present; nothing changed."))
    for role, email, password in DEMO_LOGINS:
        click.echo(f"  {role:<16} {email:<28} {password}")
    product_id = demo_product_id(session)
    if product_id is not None:
        click.echo(f"  Demo API key ({DEMO_API['buyer']}): {DEMO_API['key']}")
        click.echo("  Try a metered call through the gateway:")
        click.echo(f"    {demo_curl(current_app.config['PUBLIC_BASE_URL'], product_id)}")
    click.echo(f"  The admin's second factor: authenticator key {DEMO_ADMIN_TOTP_SECRET} "
               f"(code now: {current_code(DEMO_ADMIN_TOTP_SECRET)}; "
               "`datamarket demo-code` prints the current one)")


@click.command("demo-code")
def demo_code() -> None:
    """Print the demo admin's current sign-in code (what an authenticator app would show)."""
    from marketplace.accounts.second_factor import current_code
    from marketplace.demo.seed import DEMO_ADMIN_TOTP_SECRET

    click.echo(current_code(DEMO_ADMIN_TOTP_SECRET))


@click.group("audit", help="The hash-chained audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the whole chain, and that it still reaches the latest checkpoint; name the first
    entry that was altered, removed or inserted."""
    from marketplace.audit.checkpoint import CheckpointError, read_checkpoints, verify_against
    from marketplace.audit.services import verify_chain
    from marketplace.delivery import usage_audit

    session = get_session()
    sealed = usage_audit.seal_all(session)  # the gateway's calls not yet in a batch
    config = settings()
    try:
        checkpoints = read_checkpoints(config.audit_checkpoint_file, config.secret_key)
    except CheckpointError as exc:
        click.echo(f"Audit checkpoints UNTRUSTED: {exc}", err=True)
        sys.exit(1)
    latest = checkpoints[-1] if checkpoints else None
    report = verify_against(session, latest) if latest else verify_chain(session)
    if not report.ok:
        click.echo(f"Audit chain BROKEN after {report.checked} good entries. {report.problem}",
                   err=True)
        sys.exit(1)
    anchor = (f" Reaches the latest {latest.describe()}." if latest
              else " No checkpoint yet: `datamarket audit checkpoint` anchors the head.")
    click.echo(f"Audit chain intact: {report.checked} entries verified.{anchor}")
    usage = usage_audit.verify(session)
    if not usage.ok:
        for problem in usage.problems:
            click.echo(f"Gateway usage records BROKEN: {problem}", err=True)
        sys.exit(1)
    click.echo(f"Gateway usage records intact: {usage.records} usage records in "
               f"{usage.batches} sealed batches ({sealed} sealed now).")


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint() -> None:
    """Verify the chain, then append a signed checkpoint of its head to AUDIT_CHECKPOINT_FILE
    (and the log), so that cutting the newest entries is caught by `audit verify`."""
    from marketplace.audit.checkpoint import CheckpointError, write_checkpoint

    config = settings()
    try:
        checkpoint = write_checkpoint(get_session(), config.audit_checkpoint_file,
                                      config.secret_key)
    except CheckpointError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"Wrote the {checkpoint.describe()} to {config.audit_checkpoint_file}.")


@click.group("mail", help="The e-mail outbox.")
def mail_group() -> None:
    pass


@mail_group.command("flush")
@with_appcontext
def mail_flush() -> None:
    """Send every committed e-mail still in the outbox."""
    from marketplace.notifications.services import deliver_outbox

    sent = deliver_outbox(get_session(), settings().mail, limit=10_000)
    click.echo(f"{sent} e-mail(s) sent.")


@click.group("payments", help="Payments through Stripe, or localstripe in development.")
def payments_group() -> None:
    pass


@payments_group.command("dev-setup")
@click.option("--webhook-url", required=True,
              help="Where localstripe posts events, e.g. http://127.0.0.1:8000/payments/webhook.")
@click.option("--wait", default=15.0, show_default=True,
              help="Seconds to wait for localstripe to start answering.")
@with_appcontext
def payments_dev_setup(webhook_url: str, wait: float) -> None:
    """Register the app's webhook endpoint with localstripe, signed with STRIPE_WEBHOOK_SECRET."""
    from marketplace.commerce.payments.localstripe_server import register_webhook

    api_base = current_app.config["STRIPE_API_BASE"]
    if not api_base:
        raise click.ClickException(
            "STRIPE_API_BASE is empty, so payments go to real Stripe: add the webhook endpoint "
            "in the Stripe dashboard instead.")
    try:
        register_webhook(api_base, webhook_url, current_app.config["STRIPE_WEBHOOK_SECRET"],
                         wait=wait)
    except (ConnectionError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"localstripe at {api_base} sends every event to {webhook_url}.")


@payments_group.command("reconcile")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 90),
              help="How far back to re-read payments.")
@with_appcontext
def payments_reconcile(days: int) -> None:
    """Re-read recent payments from Stripe and repair orders whose webhook never arrived."""
    from marketplace.commerce.payments import get_payments
    from marketplace.commerce.payments.reconcile import reconcile

    report = reconcile(get_session(), get_payments(), days=days)
    click.echo(f"Checked {report.checked_intents} payment(s), {report.checked_refunds} "
               f"refund(s) and {report.checked_subscriptions} subscription(s).")
    for line in report.repairs:
        click.echo(f"repaired: {line}")
    for line in report.problems:
        click.echo(f"problem: {line}", err=True)
    if not report.repairs and not report.problems:
        click.echo("Nothing to repair: the provider and our books agree, and every paid order "
                   "has its entitlements.")
    if report.problems:
        raise SystemExit(1)


@payments_group.command("bill-usage")
@click.option("--month", metavar="YYYY-MM", help="The month to bill (default: last month).")
@with_appcontext
def payments_bill_usage(month: str | None) -> None:
    """Bill last month's metered calls (pay-as-you-go and membership overage); safe to rerun."""
    from marketplace.commerce.ledger.billing import bill_period, month_bounds
    from marketplace.commerce.payments import get_payments

    try:
        start, end = month_bounds(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    run = bill_period(get_session(), get_payments(), start, end)
    click.echo(f"{start:%Y-%m}: {len(run.billed)} bill(s), {run.failed} failed to charge, "
               f"{run.nothing_due} with nothing due.")


@payments_group.command("expire")
@with_appcontext
def payments_expire() -> None:
    """Expire authorization applications whose period has ended (and the entitlements under
    them), then entitlements whose validity has ended."""
    from marketplace.authorization.services import expire_due as expire_applications
    from marketplace.delivery.entitlements import expire_due

    session = get_session()
    applications = expire_applications(session)
    count = expire_due(session)
    session.commit()
    click.echo(f"{applications} authorization application(s) expired.")
    click.echo(f"{count} entitlement(s) expired.")


@click.group("plugin", help="Write Datamarket plugins: generate one, then check it.")
def plugin_group() -> None:
    pass


@plugin_group.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the plugin (default: ./datamarket-NAME).")
@click.option("--merchant", "credit_code", default="", metavar="CREDIT_CODE",
              help="Your merchant organization's unified social credit code.")
@click.option("--merchant-email", default="", metavar="EMAIL",
              help="Instead of --merchant: the address you sign in with; the code of your "
                   "verified merchant organization is read from the platform's database.")
def plugin_new(name: str, directory: Path | None, credit_code: str,
               merchant_email: str) -> None:
    """Generate the plugin distribution datamarket-NAME, with one example operation and tests."""
    from marketplace.accounts.services import validate_credit_code
    from marketplace.errors import ValidationFailed
    from marketplace.plugins.scaffold import ScaffoldError, create_plugin

    merchant = ""
    if credit_code and merchant_email:
        raise click.UsageError("Give --merchant or --merchant-email, not both.")
    if merchant_email:
        from marketplace.accounts.commands import find_person, merchant_code_of, platform_session

        with platform_session() as session:
            merchant = merchant_code_of(find_person(session, merchant_email))
    elif credit_code:
        try:
            merchant = validate_credit_code(credit_code)
        except ValidationFailed as exc:
            raise click.BadParameter(str(exc), param_hint="--merchant") from None
    try:
        folder = create_plugin(name, directory, merchant)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created the plugin {name} in {folder}.")
    click.echo("Next steps:")
    click.echo(f"  cd {folder}")
    click.echo("  python -m pytest                 # its tests pass already")
    click.echo("  datamarket plugin check .        # manifest, hooks, schemas and tests")
    click.echo("  python -m pip install -e .       # install it next to the platform")
    if not merchant:
        click.echo("Set MERCHANT in the package's __init__.py to your organization's unified "
                   "social credit code before you attach it to a listing (or pass --merchant "
                   "CODE or --merchant-email EMAIL; 'datamarket whoami --email EMAIL' prints "
                   "the code).")


@plugin_group.command("check")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--skip-tests", is_flag=True, help="Do not run the plugin's own tests.")
def plugin_check(path: Path, skip_tests: bool) -> None:
    """Check the plugin distribution at PATH: manifest, hooks, schemas, then its tests."""
    from marketplace.accounts.commands import platform_merchant_lookup
    from marketplace.accounts.services import validate_credit_code
    from marketplace.plugins.check import check_plugin

    report = check_plugin(path, validate_merchant=validate_credit_code,
                          platform_merchant=platform_merchant_lookup(), run_tests=not skip_tests)
    for finding in report.findings:
        click.echo(str(finding))
    if report.ok:
        click.echo("Every check passed: install the plugin next to the platform with "
                   f"'python -m pip install -e {path}'.")
        return
    click.echo(f"{report.problems} problem(s) to fix; run the check again after fixing them.",
               err=True)
    sys.exit(1)


# Plugin authors run these without a configured platform: they need no app. Those that read
# the platform's database open it themselves (accounts/commands.py).
main.add_command(plugin_group)
main.add_command(whoami)
