"""Admins' second sign-in step: the code from their authenticator (or a recovery code), and
setting the authenticator up on the first sign-in.

An admin's password alone never signs in: :func:`ask_for_second_factor` keeps who passed the
password step in the session (not signed in) and sends them here. An admin's session without
this step (a user promoted while signed in) is not loaded at all (``auth.load_user``): they sign
in again. Both steps are throttled per account and per address.
"""

from __future__ import annotations

import time

import segno
from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from marketplace.accounts import second_factor as factors
from marketplace.accounts.auth import SECOND_FACTOR_PROVEN
from marketplace.accounts.forms import SecondFactorForm
from marketplace.accounts.models import User
from marketplace.accounts.views import blp
from marketplace.db import get_session
from marketplace.errors import Conflict, ValidationFailed
from marketplace.policy import public
from marketplace.web.forms import apply_field_errors
from marketplace.web.limits import limiter

PENDING = "second_factor_pending"
PROVEN = SECOND_FACTOR_PROVEN
#: How long the password step stays good for the second one.
PENDING_SECONDS = 300
# Tries of the second step: per account (whoever asks) and per address.
PER_ACCOUNT = "5 per minute;20 per hour"
PER_ADDRESS = "20 per minute"


def ask_for_second_factor(user: User, next_url: str) -> Response:
    """After a correct password: remember the half-signed-in admin and ask for the code."""
    session[PENDING] = {"user": user.id, "version": user.session_version, "next": next_url,
                        "at": int(time.time())}
    return redirect(url_for("accounts.second_factor"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_session().get(User, pending.get("user"))
    if user is None or not user.is_active or user.session_version != pending.get("version"):
        return None
    return user


def _pending_account_key() -> str:
    pending = session.get(PENDING)
    return f"second-factor:{pending.get('user') if isinstance(pending, dict) else 'none'}"


def _sign_in(user: User) -> Response:
    next_url = session.pop(PENDING, {}).get("next") or url_for("storefront.home")
    login_user(user)
    session[PROVEN] = user.id
    session["lang"] = user.locale
    return redirect(next_url)


def _start_again() -> Response:
    session.pop(PENDING, None)
    if current_user.is_authenticated:  # nothing to do here: already signed in
        return redirect(url_for("storefront.home"))
    flash(_("Please sign in again: the sign-in took too long or was not started."), "info")
    return redirect(url_for("accounts.login"))


@blp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(PER_ACCOUNT, key_func=_pending_account_key, methods=["POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@public  # only someone who passed the password step gets further than a redirect
def second_factor():
    user = _pending_user()
    if user is None:
        return _start_again()
    db = get_session()
    if not factors.is_enrolled(db, user):
        return redirect(url_for("accounts.enrol_second_factor"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        passed = factors.verify(db, user, form.code.data)
        db.commit()
        if passed:
            left = factors.recovery_codes_left(db, user)
            if left < 3:
                flash(_("Only %(count)d recovery codes are left.", count=left), "warning")
            return _sign_in(user)
        form.code.errors.append(_("That code is not right, or was already used."))
    status = 422 if form.errors else 200
    return render_template("accounts/second_factor.html", form=form), status


def _qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG, made here (no image service)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", omitsize=False)
    return Markup(svg)  # noqa: S704  (segno's own markup, from our URI)


@blp.route("/login/second-factor/enrol", methods=["GET", "POST"])
@limiter.limit(PER_ACCOUNT, key_func=_pending_account_key, methods=["POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@public  # only someone who passed the password step gets further than a redirect
def enrol_second_factor():
    user = _pending_user()
    if user is None:
        return _start_again()
    db = get_session()
    form = SecondFactorForm()
    try:
        factor = factors.start_enrolment(db, user)
        db.commit()
    except Conflict:
        db.rollback()
        return redirect(url_for("accounts.second_factor"))
    if form.validate_on_submit():
        try:
            codes = factors.confirm_enrolment(db, user, form.code.data)
            db.commit()
        except ValidationFailed as exc:
            db.commit()  # the failed try is audited
            apply_field_errors(form, exc.field_errors)
        else:
            # Shown once, on this page; the link goes where the sign-in was going.
            next_url = _sign_in(user).location
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=next_url)
    uri = factors.provisioning_uri(factor, user)
    return render_template("accounts/enrol_second_factor.html", form=form, uri=uri,
                           secret=factor.totp_secret, qr=_qr_svg(uri)), \
        422 if form.errors else 200
