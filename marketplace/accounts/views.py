"""Sign up, log in and out, the account page, password change, and becoming a merchant."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from marketplace.accounts import confirmation, services, throttle
from marketplace.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    OrganizationForm,
    OrganizationProfileForm,
    PrivacyForm,
    SignUpForm,
)
from marketplace.accounts.models import MerchantOrganization
from marketplace.commerce.pages import purchases
from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.policy import authorize, check, current_actor, public
from marketplace.web.forms import apply_field_errors

blp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(default: str) -> str:
    """Only follow ``next`` to a path on this site, never to another host."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@blp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        if wait := throttle.SIGN_UP.wait(email):
            form.form_errors.append(throttle.too_many_attempts(wait))
            return throttle.refused(wait, render_template("accounts/signup.html", form=form))
        throttle.SIGN_UP.hit(email)
        db = get_session()
        try:
            user = services.sign_up(db, email=email, password=form.password.data,
                                    display_name=form.display_name.data,
                                    locale=session.get("lang", "en"))
            confirmation.mail_confirmation(db, user, _confirmation_link(user))
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except services.AccountExists:
            db.rollback()
            confirmation.mail_existing_account(
                db, services.find_user_by_email(db, email),
                url_for("accounts.login", _external=True))
            db.commit()
            return _signed_up(email)
        else:
            db.commit()
            return _signed_up(email)
    return render_template("accounts/signup.html", form=form), 200 if not form.errors else 422


def _signed_up(email: str):
    """The one answer to a valid sign-up, whether the address was new or had an account."""
    flash(_("We sent a message to %(email)s. Follow its link to confirm the address, then "
            "log in.", email=email), "success")
    return redirect(url_for("accounts.login"))


def _confirmation_link(user) -> str:
    token = confirmation.token_for(current_app.config["SECRET_KEY"], user)
    return url_for("accounts.confirm_email", token=token, _external=True)


@blp.route("/confirm/<token>")
@public
def confirm_email(token: str):
    db = get_session()
    try:
        confirmation.confirm(db, current_app.config["SECRET_KEY"], token)
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Your e-mail address is confirmed: you can buy now."), "success")
    return redirect(url_for("accounts.account" if current_actor() else "accounts.login"))


@blp.route("/account/confirmation", methods=["POST"])
def resend_confirmation():
    authorize("account.view")
    user = current_actor()
    if user.email_confirmed_at is None:
        db = get_session()
        confirmation.mail_confirmation(db, user, _confirmation_link(user))
        db.commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.account"))


@blp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        if wait := throttle.SIGN_IN.wait(email):
            form.form_errors.append(throttle.too_many_attempts(wait))
            return throttle.refused(wait, render_template("accounts/login.html", form=form))
        db = get_session()
        user = services.authenticate(db, email, form.password.data)
        db.commit()
        if user is not None:
            if user.is_admin:
                return second_factor_views.ask_for_second_factor(
                    user, _safe_next(url_for("storefront.home")))
            login_user(user)
            session["lang"] = user.locale
            return redirect(_safe_next(url_for("storefront.home")))
        throttle.SIGN_IN.hit(email)
        form.form_errors.append(_("The e-mail address or password is wrong."))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form), status


@blp.route("/logout", methods=["POST"])
@public
def logout():
    user = current_actor()
    if user is not None:
        # The session is a signed cookie: forgetting it here would leave every copy of it
        # valid, so the user's session generation moves on instead (ending them all).
        db = get_session()
        services.end_sessions(db, user, user, reason="logout")
        db.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("storefront.home"))


@blp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        user = current_actor()
        if user is not None:
            user.locale = lang
            db = get_session()
            db.add(user)
            db.commit()
    return redirect(_safe_next(url_for("storefront.home")))


@blp.route("/account", methods=["GET", "POST"])
def account():
    authorize("account.view")
    user = current_actor()
    form = ChangePasswordForm()
    wait = None
    if form.validate_on_submit():
        authorize("account.change_password")
        if wait := throttle.PASSWORD_CHANGE.wait(f"user-{user.id}"):
            form.form_errors.append(throttle.too_many_attempts(wait))
        elif _change_password(form, user):
            flash(_("Your password is changed; other sessions were logged out."), "success")
            return redirect(url_for("accounts.account"))
    organization = (
        get_session().get(MerchantOrganization, user.organization_id)
        if user.organization_id
        else None
    )
    bought = purchases(get_session(), user) if check("entitlement.list") else {}
    page = render_template("accounts/account.html", form=form, user=user,
                           organization=organization, **bought)
    if wait:
        return throttle.refused(wait, page)
    return page, 422 if form.errors else 200


def _change_password(form: ChangePasswordForm, user) -> bool:
    """Change the password as the form says; a wrong current password counts against the
    throttle. The session id changes with the password, so this session signs in again."""
    db = get_session()
    try:
        services.change_password(db, user, form.current_password.data, form.new_password.data)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        throttle.PASSWORD_CHANGE.hit(f"user-{user.id}")
        apply_field_errors(form, exc.field_errors)
        return False
    login_user(user)
    return True


@blp.route("/account/privacy", methods=["POST"])
def privacy():
    authorize("account.edit_privacy")
    form = PrivacyForm()
    if form.validate_on_submit():
        db = get_session()
        changed = services.set_email_sharing(db, current_actor(),
                                             bool(form.share_email_with_sellers.data))
        db.commit()
        flash(_("Your privacy choice is saved.") if changed else _("Nothing changed."),
              "success")
    return redirect(url_for("accounts.account"))


@blp.route("/account/organization/new", methods=["GET", "POST"])
def new_organization():
    authorize("organization.create")
    form = OrganizationForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            services.create_organization(
                db,
                current_actor(),
                name=form.name.data,
                credit_code=form.credit_code.data,
                contact_email=form.contact_email.data,
                description=form.description.data or "",
            )
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            form.form_errors.append(str(exc))
        else:
            flash(
                _("Your organization is registered. An admin will verify it; until then you "
                  "can prepare listings but not publish them."),
                "success",
            )
            return redirect(url_for("merchant.dashboard"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/organization_new.html", form=form), status


@blp.route("/account/organization", methods=["GET", "POST"])
def edit_organization():
    user = current_actor()
    db = get_session()
    organization = db.get(MerchantOrganization, user.organization_id) \
        if user is not None and user.organization_id else None
    authorize("organization.edit", organization)
    form = OrganizationProfileForm(obj=organization)
    if form.validate_on_submit():
        try:
            changed = services.update_organization(
                db, user, organization, name=form.name.data,
                contact_email=form.contact_email.data, description=form.description.data or "")
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        else:
            flash(_("The organization's profile is saved.") if changed
                  else _("Nothing changed."), "success")
            return redirect(url_for("accounts.account"))
    status = 422 if form.errors else 200
    return render_template("accounts/organization_edit.html", form=form,
                           organization=organization), status


# The admins' second sign-in step registers its routes on this blueprint.
from marketplace.accounts import second_factor_views  # noqa: E402
