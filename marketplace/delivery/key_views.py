"""Pages: a buyer's API keys (``/account/keys``: create, rotate, revoke, last used), a sandbox
key to a product's trial (``POST /products/<id>/sandbox-key``) and the usage of a merchant's
products (``/merchant/usage``)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.base import utcnow
from marketplace.catalog.queries import live_listing
from marketplace.db import get_session
from marketplace.delivery import entitlements, keys, trials, usage
from marketplace.delivery import holder_console as holder_console_ops
from marketplace.delivery.gateway import MAX_ID
from marketplace.delivery.key_forms import NewKeyForm, RotateKeyForm
from marketplace.delivery.models import ApiKey, Entitlement
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, current_actor
from marketplace.settings import settings

blp = Blueprint("api_keys", __name__, template_folder="templates")


def _page(form: NewKeyForm, new: keys.NewKey | None = None, status: int = 200):
    db = get_session()
    actor = current_actor()
    held = entitlements.for_buyer(db, actor.id)
    today = utcnow().date()
    key_list = keys.for_buyer(db, actor.id)
    page = render_template(
        "delivery/keys.html", form=form, new=new, keys=key_list,
        sandbox_products=trials.products_of_keys(db, key_list),
        held={e.id: e for e in held}, rotate_form=RotateKeyForm(), now=utcnow(),
        usable=keys.usable,
        usage=usage.for_buyer(db, actor.id, today - timedelta(days=29), today))
    return page, status


def _form() -> NewKeyForm:
    form = NewKeyForm()
    form.entitlements.choices = [
        (e.id, f"#{e.id} · {e.pricing_model}")
        for e in entitlements.for_buyer(get_session(), current_actor().id)]
    return form


@blp.route("/account/keys", methods=["GET", "POST"])
def key_list():
    """The buyer's API keys; POST makes one and shows it once."""
    authorize("api_key.list")
    form = _form()
    if not form.is_submitted():
        return _page(form)
    authorize("api_key.create")
    if not form.validate():
        return _page(form, status=422)
    db = get_session()
    expires = (utcnow() + timedelta(days=form.expires_in_days.data)
               if form.expires_in_days.data else None)
    try:
        new = keys.create(db, settings().secret_key, current_actor().id, name=form.name.data,
                          entitlement_ids=form.entitlements.data or [],
                          networks=(form.networks.data or "").splitlines(),
                          expires_at=expires)
    except ValidationFailed as exc:
        db.rollback()
        for name, messages in exc.field_errors.items():
            target = {"entitlement_ids": form.entitlements}.get(name) or getattr(
                form, name, form.name)
            target.errors = [*target.errors, *messages]
        return _page(form, status=422)
    db.commit()
    return _page(_form(), new=new, status=201)


@blp.route("/products/<int:product_id>/sandbox-key", methods=["POST"])
def sandbox_key(product_id: int):
    """The buyer's sandbox key to the product's trial, shown once on the keys page."""
    db = get_session()
    listing = live_listing(db, product_id) if product_id <= MAX_ID else None
    if listing is None:
        abort(404)
    authorize("sandbox_key.create", listing)
    try:
        new = trials.issue_key(db, settings().secret_key, current_actor().id, listing)
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("storefront.product", product_id=product_id))
    db.commit()
    return _page(_form(), new=new, status=201)


def _key(key_id: int) -> ApiKey:
    key = get_session().get(ApiKey, key_id) if key_id <= MAX_ID else None
    if key is None:
        abort(404)
    return key


@blp.route("/account/keys/<int:key_id>/rotate", methods=["POST"])
def rotate_key(key_id: int):
    """A new key with the same limits; the old one works for the overlap chosen."""
    key = _key(key_id)
    authorize("api_key.rotate", key)
    form = RotateKeyForm()
    if not form.validate():
        flash(_("The old key may keep working for 0 to %(hours)d hours.", hours=168), "error")
        return redirect(url_for("api_keys.key_list"))
    db = get_session()
    try:
        new = keys.rotate(db, settings().secret_key, key,
                          overlap=timedelta(hours=form.overlap_hours.data),
                          actor_id=current_actor().id)
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("api_keys.key_list"))
    db.commit()
    return _page(_form(), new=new, status=201)


@blp.route("/account/keys/<int:key_id>/revoke", methods=["POST"])
def revoke_key(key_id: int):
    """Refuse the key from the next call on."""
    key = _key(key_id)
    authorize("api_key.revoke", key)
    db = get_session()
    if keys.revoke(db, key, actor_id=current_actor().id):
        flash(_("The key %(prefix)s is revoked.", prefix=key.prefix), "success")
    db.commit()
    return redirect(url_for("api_keys.key_list"))


@blp.route("/account/entitlements/<int:entitlement_id>/console")
def holder_console(entitlement_id: int):
    """Try the operations of an entitlement with one of the buyer's keys: real, metered calls
    sent by the browser to the gateway."""
    entitlement = (get_session().get(Entitlement, entitlement_id)
                   if entitlement_id <= MAX_ID else None)
    if entitlement is None:
        abort(404)
    authorize("entitlement.view", entitlement)
    operations = holder_console_ops.operations_for(entitlement)
    return render_template("delivery/holder_console.html", entitlement=entitlement,
                           operations=operations,
                           data=holder_console_ops.as_data(operations))


@blp.route("/merchant/usage")
def merchant_usage():
    """Gateway calls to the merchant's products over the last 30 days."""
    authorize("usage.merchant")
    today = utcnow().date()
    rows = usage.for_organization(get_session(), current_actor().organization_id,
                                  today - timedelta(days=29), today)
    return render_template("delivery/merchant_usage.html", rows=rows)
