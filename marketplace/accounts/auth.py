"""Signing in: Flask-Login wiring. Sessions end when the user's password changes."""

from __future__ import annotations

from flask import Flask, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from marketplace.accounts.models import User
from marketplace.db import get_session

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.session_protection = "basic"

#: The session key that marks a session whose admin passed the second factor (their user id).
SECOND_FACTOR_PROVEN = "second_factor"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    raw_id, _, version = user_id.partition(".")
    if not raw_id.isdigit():
        return None
    user = get_session().get(User, int(raw_id))
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    if user.is_admin and session.get(SECOND_FACTOR_PROVEN) != user.id:
        # An admin's session counts only once it passed the second factor (a user promoted
        # while signed in is anonymous until signing in again, with it).
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
