"""Forgotten passwords: asking for a link (the same answer for every address) and choosing a
new password through it. Throttled per address asked for and per client address."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.accounts import password_reset, services, throttle
from marketplace.accounts.forms import PasswordResetForm, PasswordResetRequestForm
from marketplace.db import get_session
from marketplace.errors import ValidationFailed
from marketplace.policy import public
from marketplace.web.forms import apply_field_errors

blp = Blueprint("passwords", __name__, template_folder="templates")


def _reset_link(user) -> str:
    token = password_reset.token_for(current_app.config["SECRET_KEY"], user)
    return url_for("passwords.reset_password", token=token, _external=True)


@blp.route("/password/reset", methods=["GET", "POST"])
@public
def request_password_reset():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        if wait := throttle.PASSWORD_RESET.wait(email):
            form.form_errors.append(throttle.too_many_attempts(wait))
            return throttle.refused(wait, render_template("accounts/password_reset_request.html",
                                                          form=form))
        throttle.PASSWORD_RESET.hit(email)
        db = get_session()
        password_reset.mail_reset_link(db, email, _reset_link)
        db.commit()
        flash(_("If an account has the address %(email)s, we sent it a link to choose a new "
                "password. It works for an hour.", email=email), "success")
        return redirect(url_for("accounts.login"))
    return (render_template("accounts/password_reset_request.html", form=form),
            422 if form.errors else 200)


@blp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    db = get_session()
    try:
        user = password_reset.user_for(db, current_app.config["SECRET_KEY"], token)
    except password_reset.BadResetLink as exc:
        flash(str(exc), "error")
        return redirect(url_for("passwords.request_password_reset"))
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(db, user, form.password.data)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        else:
            flash(_("Your new password is set and every session was logged out: log in with "
                    "it."), "success")
            return redirect(url_for("accounts.login"))
    return (render_template("accounts/password_reset.html", form=form, token=token),
            422 if form.errors else 200)
