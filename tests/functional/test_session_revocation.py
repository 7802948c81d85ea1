"""Sessions the server can end: a kept copy of the cookie stops working after logout, and an
admin's "sign out everywhere" ends every session of a user (issue 14)."""

from __future__ import annotations

from flask_login import login_user
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEntry
from tests.factories import forget, logged_in_client, make_user


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _copy_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_kept_session_cookie_no_longer_works_after_logout(app, db):
    user = make_user(db)
    client = logged_in_client(app, user)
    kept = app.test_client()
    _copy_cookies(client, kept)
    assert _signed_in(kept)

    assert client.post("/logout").status_code == 302

    stale = kept.get("/account")
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/login")
    # Signing in again works, with a new cookie.
    assert _signed_in(logged_in_client(app, user))


def test_logout_ends_a_remember_me_cookie_too(app, db):
    user = make_user(db)
    with app.test_request_context("/"):
        login_user(user, remember=True)
        response = app.make_response("")
        app.process_response(response)
    remember = response.headers.getlist("Set-Cookie")
    token = next(c for c in remember if c.startswith("remember_token="))
    value = token.split(";", 1)[0].split("=", 1)[1]
    kept = app.test_client()
    kept.set_cookie("remember_token", value)
    assert _signed_in(kept)

    client = logged_in_client(app, user)
    client.post("/logout")

    again = app.test_client()
    again.set_cookie("remember_token", value)
    assert not _signed_in(again)


def test_an_admin_signs_a_user_out_everywhere(app, db):
    admin = make_user(db, Role.ADMIN)
    user = make_user(db)
    phone, laptop = logged_in_client(app, user), logged_in_client(app, user)
    admin_client = logged_in_client(app, admin)
    assert "Sign out everywhere" in admin_client.get("/admin/users").get_data(as_text=True)

    response = admin_client.post(f"/admin/users/{user.id}/sessions/end")

    assert response.status_code == 302
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    assert _signed_in(admin_client)
    forget(db)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "user.sessions_ended")).one()
    assert (entry.actor_id, entry.subject_id) == (admin.id, str(user.id))


def test_a_user_cannot_sign_another_user_out(app, db):
    victim, other = make_user(db), make_user(db)
    victim_client = logged_in_client(app, victim)
    response = logged_in_client(app, other).post(f"/admin/users/{victim.id}/sessions/end")
    assert response.status_code == 403
    assert _signed_in(victim_client)
