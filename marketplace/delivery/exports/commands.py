"""``datamarket watermark identify FILE``: which entitlement a delivered file was issued under."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.db import get_session
from marketplace.delivery.models import Entitlement
from marketplace.settings import settings

if TYPE_CHECKING:
    from marketplace.delivery.exports.identify import Candidate


def candidates(session: Session, *, listing: int | None = None, product: int | None = None,
               entitlements: tuple[int, ...] = ()) -> list[Candidate]:
    """The entitlements to score, with their buyers: those named, else every entitlement of
    the product (of ``listing``: every version's), else every entitlement there is."""
    from marketplace.delivery.exports.identify import Candidate

    query = select(Entitlement.id, User.email).join(User, col(User.id) == Entitlement.buyer_id)
    if entitlements:
        query = query.where(col(Entitlement.id).in_(entitlements))
    elif listing is not None:
        products = select(Entitlement.product_id).where(Entitlement.listing_id == listing)
        query = query.where(col(Entitlement.product_id).in_(products.scalar_subquery()))
    elif product is not None:
        query = query.where(Entitlement.product_id == product)
    return [Candidate(int(ident), email)
            for ident, email in session.exec(query.order_by(col(Entitlement.id)))]


@click.group("watermark", help="The per-buyer watermark of delivered data files.")
def watermark_group() -> None:
    pass


@watermark_group.command("identify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--listing", type=int, help="Score the entitlements of this listing's product.")
@click.option("--product", type=int, help="Score the entitlements of this product.")
@click.option("--entitlement", "entitlements", type=int, multiple=True,
              help="Score this entitlement (repeat for several).")
@with_appcontext
def identify_command(file: Path, listing: int | None, product: int | None,
                     entitlements: tuple[int, ...]) -> None:
    """Name the entitlement (and buyer) FILE (CSV, XLSX or Parquet) was issued under, also
    after its rows were re-sorted, a column dropped or it was converted; exit 1 when the file
    names nobody."""
    # Arrow and openpyxl are loaded by this command only, not by every CLI start.
    from marketplace.delivery.exports.identify import UnreadableFile, identify

    session = get_session()
    pool = candidates(session, listing=listing, product=product, entitlements=entitlements)
    if not pool:
        raise click.ClickException("No entitlement to compare the file with.")
    try:
        verdict = identify(file, pool, settings().secret_key)
    except UnreadableFile as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(session, actor_id=None, action="watermark.identify", subject_type="file",
                 subject_id=file.name, details={
                     "candidates": len(pool), "decimals": verdict.votes,
                     "named": [finding.candidate.entitlement_id for finding in verdict.named]})
    session.commit()
    click.echo(f"{file.name}: {verdict.votes} distinct decimals read, "
               f"{len(pool)} entitlement(s) compared.")
    for finding in verdict.named:
        score = finding.score
        click.echo(f"Issued under entitlement {finding.candidate.entitlement_id} "
                   f"(buyer {finding.candidate.buyer}): {score.agreeing} of {score.votes} "
                   f"decimals carry its mark; chance by luck below {score.chance:.1e}.")
    if verdict.named:
        return
    if not verdict.enough_decimals:
        click.echo("Names nobody: the file has too few distinct decimals to carry a mark "
                   "that could be told apart from chance.", err=True)
    else:
        best = verdict.best
        share = f"{best.score.share:.1%}" if best is not None else "-"
        click.echo(f"Names nobody: no compared entitlement's mark is in the file (best "
                   f"agreement {share}, as chance gives about 50%).", err=True)
    sys.exit(1)
