"""``datamarket sweep-usage``: one sweep of watching use (see :mod:`.sweeps`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.db import get_session
from marketplace.monitoring.sweeps import sweep_usage
from marketplace.notifications.services import deliver_outbox
from marketplace.settings import settings


@click.command("sweep-usage")
@with_appcontext
def sweep_usage_command() -> None:
    """Look for abnormal use (alerts, suspended keys) and send version notices."""
    session = get_session()
    report = sweep_usage(session, settings().usage_watch)
    deliver_outbox(session, settings().mail, limit=10_000)
    click.echo(f"Usage sweep: {report.alerts} alert(s) raised, {report.suspended_keys} key(s) "
               f"suspended, {report.notices} version notice(s) sent, "
               f"{report.input_keys_cleared} old input key(s) cleared.")
