"""``datamarket worker``: run the background jobs' worker alone."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.jobs.worker import Worker


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run the background jobs' worker until Ctrl-C (or SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = current_app._get_current_object()
    running = Worker(app)
    click.echo(f"Datamarket worker: {running.queue.settings.workers} thread(s) on the "
               f"{running.queue.backend} queue; Ctrl-C stops it.", err=True)
    running.run()
