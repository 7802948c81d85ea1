"""Sign-in, sign-up and password change are throttled per account and per address, with a
clear message and Retry-After (issue 14)."""

from __future__ import annotations

from tests.factories import PASSWORD, logged_in_client, make_user, page_text

WRONG = "not the password at all"


def _login(client, email: str, password: str, **headers):
    return client.post("/login", data={"email": email, "password": password}, headers=headers)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, db):
    user = make_user(db)
    statuses = [_login(client, user.email, WRONG).status_code for _ in range(30)]
    assert statuses[:5] == [422] * 5
    assert set(statuses[5:]) == {429}

    right = _login(client, user.email.upper(), PASSWORD)  # the same account, spelt otherwise
    assert right.status_code == 429
    assert 0 < int(right.headers["Retry-After"]) <= 60
    page = page_text(right)
    assert "Too many attempts. Wait 1 minute(s) and try again." in page
    assert 'name="email"' in page  # the form again, with the error on it
    assert client.get("/account").status_code == 302  # not signed in


def test_signing_in_correctly_does_not_count(client, db):
    user = make_user(db)
    for _ in range(8):
        assert _login(client, user.email, PASSWORD).status_code == 302
        client.post("/logout")


def test_one_address_trying_many_accounts_is_refused(client, db):
    statuses = [_login(client, f"nobody{n}@example.com", WRONG).status_code for n in range(21)]
    assert statuses[:20] == [422] * 20
    assert statuses[20] == 429
    user = make_user(db)
    # A forged X-Forwarded-For does not make a new address...
    forged = _login(client, user.email, PASSWORD, **{"X-Forwarded-For": "203.0.113.9"})
    assert forged.status_code == 429
    # ...and a user at another address is not held back by this one.
    elsewhere = client.post("/login", data={"email": user.email, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 302


def test_the_refusal_is_problem_json_for_an_api_client(client, db):
    user = make_user(db)
    for _ in range(5):
        _login(client, user.email, WRONG)
    refused = _login(client, user.email, WRONG, Accept="application/json")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert "Too many attempts" in refused.get_json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0


def test_password_change_is_throttled_per_account(app, db):
    user = make_user(db)
    client = logged_in_client(app, user)
    wrong = {"current_password": WRONG, "new_password": "a new passphrase",
             "confirm": "a new passphrase"}
    statuses = [client.post("/account", data=wrong).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    right = client.post("/account", data={**wrong, "current_password": PASSWORD})
    assert right.status_code == 429
    assert "Retry-After" in right.headers
    assert "Too many attempts" in page_text(right)


def test_sign_up_is_throttled_per_address(client):
    def sign_up(n: int):
        return client.post("/signup", data={
            "display_name": "Ada", "email": f"ada{n}@example.com",
            "password": "correct horse battery", "confirm": "correct horse battery"})
    statuses = [sign_up(n).status_code for n in range(21)]
    assert 429 not in statuses[:20]
    assert statuses[20] == 429


def test_two_processes_on_one_redis_share_the_count(app_config, db, redis_url, make_app):
    user = make_user(db)
    first = make_app({**app_config, "REDIS_URL": redis_url}).test_client()
    second = make_app({**app_config, "REDIS_URL": redis_url}).test_client()
    for client in (first, second, first, second, first):
        assert _login(client, user.email, WRONG).status_code == 422
    assert _login(second, user.email, PASSWORD).status_code == 429

