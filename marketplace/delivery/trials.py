"""Sandbox trials: a few free calls on a product's sample, with a sandbox key.

A merchant offers a trial per listing (``Listing.trial_calls``, 0 for none). A signed-in buyer
asks for a sandbox key to a product that offers one: no purchase, no entitlement and no
authorization application are needed, because a sandbox call runs on the listing's sample rows
only (:mod:`.sandbox_gateway`). The buyer's trial of a product (:class:`SandboxTrial`) counts
the calls made, whatever keys come and go, so the number of free calls is per buyer and product.

One sandbox key per buyer and product at a time: asking again while it is usable is refused
(409, naming the key); after the buyer revokes it, a new key is issued and the count goes on.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.catalog.localized import title_for_page
from marketplace.catalog.models import Listing, ListingState
from marketplace.delivery import keys
from marketplace.delivery.models import ApiKey, SandboxTrial
from marketplace.errors import Conflict, DomainError

#: The most free calls a merchant may offer per buyer.
MAX_TRIAL_CALLS = 50


class NoTrial(DomainError):
    """The product offers no trial (now)."""

    status_code = 403


def offered(listing: Listing | None) -> int:
    """The free calls a listing offers each buyer: 0 unless it is on sale with a trial."""
    if listing is None or listing.state != ListingState.PUBLISHED:
        return 0
    return max(0, listing.trial_calls or 0)


def trial_of(session: Session, buyer_id: int, product_id: int) -> SandboxTrial | None:
    return session.exec(select(SandboxTrial).where(
        SandboxTrial.buyer_id == buyer_id, SandboxTrial.product_id == product_id)).first()


def _trial_locked(session: Session, buyer_id: int, product_id: int) -> SandboxTrial:
    """The buyer's trial of the product, made if missing, locked for this transaction (two
    requests at once cannot both issue a key)."""
    if trial_of(session, buyer_id, product_id) is None:
        try:
            with session.begin_nested():
                session.add(SandboxTrial(buyer_id=buyer_id, product_id=product_id))
        except IntegrityError:
            pass  # another request made it first
    return session.exec(select(SandboxTrial).where(
        SandboxTrial.buyer_id == buyer_id, SandboxTrial.product_id == product_id)
        .with_for_update()).one()


def current_key(session: Session, trial: SandboxTrial) -> ApiKey | None:
    """The trial's usable sandbox key (not revoked, expired or rotated away), if any."""
    found = session.exec(select(ApiKey).where(
        ApiKey.trial_id == trial.id, col(ApiKey.revoked_at).is_(None),
        col(ApiKey.replaced_by_id).is_(None)).order_by(col(ApiKey.id).desc())).first()
    return found if found is not None and keys.usable(found) else None


def remaining(trial: SandboxTrial | None, listing: Listing | None) -> int:
    """Free calls the buyer has left on the listing's trial."""
    return max(0, offered(listing) - (trial.used if trial else 0))


def issue_key(session: Session, secret_key: str, buyer_id: int, listing: Listing) -> keys.NewKey:
    """Issue the buyer's sandbox key to the listing's product (the caller asked the policy),
    audited; the secret is in the answer once.

    :raises NoTrial: the listing is not on sale with a trial (403).
    :raises Conflict: the buyer holds a usable sandbox key to it, or the trial is used up (409).
    """
    allowed = offered(listing)
    if allowed == 0:
        raise NoTrial(_l("“%(title)s” offers no trial: buy it on its page to call it.",
                         title=title_for_page(listing)))
    trial = _trial_locked(session, buyer_id, listing.product_id)
    if (existing := current_key(session, trial)) is not None:
        raise Conflict(_l("You already have the sandbox key %(prefix)s… for this product; "
                          "revoke it under Account → API keys to get a new one.",
                          prefix=f"{keys.TOKEN_PREFIX}_{existing.prefix}"))
    if trial.used >= allowed:
        raise Conflict(_l("Your %(count)d free calls of “%(title)s” are used up: buy it on its "
                          "page to go on.", count=allowed, title=title_for_page(listing)))
    name = str(_l("Sandbox: %(title)s", title=title_for_page(listing)))[:100]
    new = keys.issue(session, secret_key, buyer_id=buyer_id, name=name, trial_id=trial.id)
    audit.record(session, actor_id=buyer_id, action="api_key.create_sandbox",
                 subject_type="api_key", subject_id=new.key.id,
                 details={"prefix": new.key.prefix, "product_id": listing.product_id,
                          "trial_calls": allowed, "used": trial.used})
    return new


def products_of_keys(session: Session, key_list: list[ApiKey]) -> dict[int, int]:
    """The product of each sandbox key among ``key_list``: ``{key id: product id}``."""
    trial_ids = {key.trial_id for key in key_list if key.trial_id is not None}
    if not trial_ids:
        return {}
    products = dict(session.exec(select(SandboxTrial.id, SandboxTrial.product_id).where(
        col(SandboxTrial.id).in_(sorted(trial_ids)))).all())
    return {key.id: products[key.trial_id] for key in key_list if key.trial_id in products}
