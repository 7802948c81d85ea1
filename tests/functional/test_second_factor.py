"""Admins sign in with a second factor: a TOTP code or a one-time recovery code.

Written as the attacker's requests: the admin's password alone, a wrong code, a replayed code,
a used recovery code, a brute force of codes, and a session promoted to admin without the step.
"""

from __future__ import annotations

import re

import pyotp
from sqlmodel import select

from marketplace.accounts import second_factor
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role, SecondFactor
from marketplace.audit.models import AuditEntry
from tests.factories import (
    ADMIN_TOTP_SECRET,
    PASSWORD,
    forget,
    log_in,
    logged_in_client,
    make_user,
    page_text,
)


def password_step(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def actions(db, action: str) -> list[AuditEntry]:
    forget(db)
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_admins_password_alone_does_not_sign_in(app, db):
    admin = make_user(db, Role.ADMIN)
    client = app.test_client()
    response = password_step(client, admin)
    assert response.headers["Location"] == "/login/second-factor"
    admin_page = client.get("/admin")
    assert admin_page.status_code == 302 and admin_page.headers["Location"].startswith("/login")
    assert client.get("/api/v1/orders").status_code == 401


def test_a_wrong_code_is_refused_and_audited(app, db):
    admin = make_user(db, Role.ADMIN)
    client = app.test_client()
    password_step(client, admin)
    wrong = pyotp.TOTP(pyotp.random_base32()).now()
    response = client.post("/login/second-factor", data={"code": wrong})
    assert response.status_code == 422
    assert "not right" in page_text(response)
    assert client.get("/admin").status_code == 302
    assert [e.actor_id for e in actions(db, "account.second_factor_failed")] == [admin.id]


def test_the_right_code_signs_in_once(app, db):
    admin = make_user(db, Role.ADMIN)
    client = app.test_client()
    password_step(client, admin)
    code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    response = client.post("/login/second-factor", data={"code": code})
    assert response.status_code == 302
    assert client.get("/admin").status_code == 200
    (passed,) = actions(db, "account.second_factor_passed")
    assert passed.details == {"method": "authenticator"}
    # The same code, seen over a shoulder, does not sign in a second time.
    thief = app.test_client()
    password_step(thief, admin)
    assert thief.post("/login/second-factor", data={"code": code}).status_code == 422
    assert thief.get("/admin").status_code == 302


def test_the_second_step_is_throttled_per_account(app, db):
    admin = make_user(db, Role.ADMIN)
    client = app.test_client()
    password_step(client, admin)
    statuses = [client.post("/login/second-factor", data={"code": "000000"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429
    last = client.post("/login/second-factor", data={"code": "000000"})
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
    # Even the right code waits: guessing cannot go on in the meantime.
    right = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    assert client.post("/login/second-factor", data={"code": right}).status_code == 429


def test_a_new_admin_enrols_on_first_sign_in_and_gets_recovery_codes_once(app, db):
    user = make_user(db)
    admin = accounts.create_admin(db, email=user.email, password=PASSWORD, display_name="Ops")
    db.commit()
    client = app.test_client()
    password_step(client, admin)
    assert client.get("/login/second-factor").headers["Location"] == "/login/second-factor/enrol"
    page = client.get("/login/second-factor/enrol")
    html = page_text(page)
    assert page.status_code == 200 and "<svg" in html  # the QR code, drawn here
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert f"otpauth://totp/Datamarket:{admin.email.replace('@', '%40')}" in html
    assert f"secret={secret}" in html
    assert client.get("/admin").status_code == 302  # not signed in while enrolling

    assert client.post("/login/second-factor/enrol",
                       data={"code": "123456"}).status_code == 422
    confirmed = client.post("/login/second-factor/enrol",
                            data={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>",
                       page_text(confirmed))
    assert len(codes) == 10
    assert client.get("/admin").status_code == 200
    (enrolled,) = actions(db, "account.second_factor_enrolled")
    assert enrolled.actor_id == admin.id
    # Stored hashed: no code appears in the database.
    factor = db.get(SecondFactor, admin.id)
    assert factor.confirmed_at is not None and factor.totp_secret == secret
    assert second_factor.recovery_codes_left(db, admin) == 10
    # The enrolment page is not there any more for this admin.
    again = app.test_client()
    password_step(again, admin)
    assert again.get("/login/second-factor/enrol").headers["Location"] == "/login/second-factor"

    # A recovery code signs in once.
    assert again.post("/login/second-factor", data={"code": codes[3].upper()}).status_code == 302
    assert again.get("/admin").status_code == 200
    third = app.test_client()
    password_step(third, admin)
    assert third.post("/login/second-factor", data={"code": codes[3]}).status_code == 422
    forget(db)
    assert second_factor.recovery_codes_left(db, admin) == 9


def test_the_second_step_needs_the_password_step_first(app, db):
    client = app.test_client()
    response = client.post("/login/second-factor", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/login/second-factor/enrol").headers["Location"] == "/login"


def test_a_user_promoted_while_signed_in_must_pass_the_second_factor(app, db):
    user = make_user(db)
    client = logged_in_client(app, user)
    admin = make_user(db, Role.ADMIN)
    accounts.set_role(db, admin, user, Role.ADMIN)
    second_factor.enrol_with_secret(db, user, ADMIN_TOTP_SECRET)
    db.commit()
    # Not signed in as an admin without the second factor: sent to log in again, where the
    # password leads to the second step.
    response = client.get("/admin")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin")
    assert client.get("/api/v1/orders").status_code == 401
    assert password_step(client, user).headers["Location"] == "/login/second-factor"


def test_the_shared_helper_signs_admins_in_with_a_computed_code(app, db):
    admin = make_user(db, Role.ADMIN)
    clients = [app.test_client() for _ in range(4)]
    for client in clients:  # more sign-ins than one 30-second step has codes
        log_in(client, admin)
        assert client.get("/admin").status_code == 200
