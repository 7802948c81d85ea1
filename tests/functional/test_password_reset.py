"""A forgotten password: asking for a link answers the same for every address, the link sets
a new password once and ends every session; asking is throttled (issue 14)."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from marketplace.accounts import password_reset
from tests.factories import PASSWORD, forget, logged_in_client, make_user, page_text

NEW = "a brand new passphrase"


def _mails(app, to: str) -> list[str]:
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))]
    return [m.get_content() for m in messages if m["To"] == to]


def _ask(client, address: str):
    return client.post("/password/reset", data={"email": address})


def test_asking_answers_the_same_whether_or_not_the_address_has_an_account(app, client, db):
    user = make_user(db)
    known, unknown = _ask(client, user.email), _ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert len(_mails(app, user.email)) == 1
    assert _mails(app, "nobody@example.com") == []
    assert "Forgot your password?" in page_text(client.get("/login"))


def test_the_link_sets_a_new_password_once_and_ends_every_session(app, client, db):
    user = make_user(db, confirmed=False)
    elsewhere = logged_in_client(app, user)
    _ask(client, user.email)
    path = re.search(r"http://localhost(/password/reset/\S+)", _mails(app, user.email)[0]).group(1)
    assert client.get(path).status_code == 200

    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert elsewhere.get("/account").status_code == 302  # every session ended
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}
                       ).status_code == 422
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302
    forget(db)
    db.refresh(user)
    assert user.email_confirmed_at is not None  # the link reached the address

    again = client.post(path, data={"password": "yet another passphrase",
                                    "confirm": "yet another passphrase"})
    assert again.status_code == 302 and again.headers["Location"] == "/password/reset"


def test_a_forged_or_expired_link_sets_nothing(app, db):
    user = make_user(db)
    token = password_reset.token_for(app.config["SECRET_KEY"], user)
    client = app.test_client()
    assert client.post(f"/password/reset/{token}x", data={"password": NEW, "confirm": NEW}
                       ).headers["Location"] == "/password/reset"
    forged = password_reset.token_for("someone else's secret", user)
    assert client.get(f"/password/reset/{forged}").headers["Location"] == "/password/reset"
    try:
        password_reset.user_for(db, app.config["SECRET_KEY"], token, max_age=-1)
    except password_reset.BadResetLink:
        pass
    else:
        raise AssertionError("an expired link was accepted")


def test_asking_is_throttled_per_address_asked_for(app, client, db):
    user = make_user(db)
    statuses = [_ask(client, user.email).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(_mails(app, user.email)) == 3
