"""Users and their roles."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role, User
from marketplace.admin import services
from marketplace.admin.forms import (
    ROLE_CHOICES,
    RoleForm,
)
from marketplace.admin.views import blp, get_or_404
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, current_actor
from marketplace.web.bounds import page_arg
from marketplace.web.forms import errors_text

USERS_PER_PAGE = 50


@blp.route("/users")
def users():
    authorize("user.list")
    db = get_session()
    page = page_arg()
    rows, total = services.users_page(db, page, USERS_PER_PAGE)
    return render_template(
        "admin/users.html",
        users=rows,
        total=total,
        page=max(page, 1),
        pages=max((total + USERS_PER_PAGE - 1) // USERS_PER_PAGE, 1),
        organizations=accounts.organizations_by_id(db, (u.organization_id for u in rows)),
        roles=ROLE_CHOICES,
    )


def _role_name(role: str) -> str:
    return next(str(choice.label) for choice in ROLE_CHOICES if choice.value == role)


@blp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user = get_or_404(User, user_id)
    authorize("user.change_role", user)
    form = RoleForm()
    back = url_for("admin.users", page=page_arg(values=request.form))
    if not form.validate_on_submit():
        flash(errors_text(form.role) or _("Choose a role from the list."), "error")
        return redirect(back)
    db = get_session()
    try:
        accounts.set_role(db, current_actor(), user, Role(form.role.data))
        db.commit()
    except DomainError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("%(name)s is now: %(role)s.", name=user.display_name,
                role=_role_name(form.role.data)), "success")
    return redirect(back)


@blp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
def end_sessions(user_id: int):
    """Sign the user out everywhere: every session and remember-me cookie ends now."""
    user = get_or_404(User, user_id)
    authorize("user.end_sessions", user)
    db = get_session()
    accounts.end_sessions(db, current_actor(), user, reason="admin")
    db.commit()
    flash(_("%(name)s is signed out everywhere.", name=user.display_name), "success")
    return redirect(url_for("admin.users", page=page_arg(values=request.form)))
