"""``datamarket reindex``: rebuild the search index from the database."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.db import get_engine
from marketplace.search import get_index
from marketplace.search.index import IndexBusy
from marketplace.search.outbox import rebuild


@click.command("reindex")
@click.option("--wait", default=60.0, show_default=True,
              help="Seconds to wait for a server process that is updating the index.")
@with_appcontext
def reindex(wait: float) -> None:
    """Rebuild the search index from scratch; servers keep searching the old one until done."""
    started = time.monotonic()
    try:
        count = rebuild(get_engine(current_app), get_index(), wait=wait)
    except IndexBusy:
        raise click.ClickException(
            f"Another process kept the search index busy for {wait:g} seconds; try again."
        ) from None
    click.echo(f"Search index rebuilt: {count} product(s) on sale, "
               f"{time.monotonic() - started:.1f} s.")
