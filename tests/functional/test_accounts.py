"""Signing up, logging in and out, passwords, becoming a merchant, and notifications."""

from __future__ import annotations

import email
import email.policy
import random
import re
from pathlib import Path

import pytest
from sqlmodel import select

from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, Role, User
from marketplace.demo.synthetic import unified_social_credit_code
from marketplace.notifications.models import Notification
from tests.factories import (
    PASSWORD,
    forget,
    logged_in_client,
    make_merchant,
    make_user,
    page_text,
)

NEW_PASSWORD = "a longer new passphrase"


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def signup(client, email: str = "ada@example.com", password: str = "correct horse battery",
           name: str = "Ada Lovelace", confirm: str | None = None):
    return client.post("/signup", data={
        "display_name": name,
        "email": email,
        "password": password,
        "confirm": password if confirm is None else confirm,
    })



def fresh_user(db, email: str) -> User:
    forget(db)
    return db.exec(select(User).where(User.email == email)).one()


def test_login_and_signup_pages_link_to_each_other(client):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'class="card form-narrow"' in login_page
    assert 'href="/signup"' in login_page
    signup_page = client.get("/signup").get_data(as_text=True)
    assert 'href="/login"' in signup_page
    assert "At least 10 characters" in signup_page


def _mails(app, to: str) -> list[str]:
    """The bodies of the mails sent to ``to`` (the mail folder of development and tests)."""
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))]
    return [m.get_content() for m in messages if m["To"] == to]


def _link(mail: str) -> str:
    return re.search(r"http://localhost(/confirm/\S+)", mail).group(1)


def test_sign_up_mails_a_confirmation_link_that_lets_the_buyer_buy(app, client, db):
    response = signup(client, email="Ada@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    user = fresh_user(db, "ada@example.com")
    assert user.role == Role.BUYER and user.email_confirmed_at is None
    assert client.get("/account").status_code == 302  # not signed in by signing up

    (mail,) = _mails(app, "ada@example.com")
    assert login(client, "ada@example.com", "correct horse battery").status_code == 302
    page = page_text(client.get("/account"))
    assert "ada@example.com" in page and "not confirmed" in page
    assert "Become a data merchant" in page
    assert 'href="/account/organization/new"' in page

    confirmed = client.get(_link(mail))
    assert confirmed.status_code == 302
    assert fresh_user(db, "ada@example.com").email_confirmed_at is not None
    assert "not confirmed" not in page_text(client.get("/account"))


def test_sign_up_with_a_taken_email_answers_the_same_and_mails_the_owner(app, client, db):
    existing = make_user(db)
    fresh = signup(app.test_client(), email="brand-new@example.com")
    taken = signup(client, email=existing.email.upper())
    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code,
                                                               fresh.headers["Location"])
    assert "already" not in page_text(client.get("/login"))
    forget(db)
    assert len(db.exec(select(User).where(User.email == existing.email)).all()) == 1
    (mail,) = _mails(app, existing.email)
    assert "already has an account" in mail and "/confirm/" not in mail
    assert fresh_user(db, existing.email).session_version == existing.session_version


def test_an_unconfirmed_buyer_cannot_buy_and_is_offered_a_new_link(app, db):
    from tests.commerce_factories import make_plan, make_shop, published_listing_with
    shop = make_shop(db)
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=10_00))
    buyer = make_user(db, confirmed=False)
    client = logged_in_client(app, buyer)

    page = client.post("/cart/items", data={"plan_id": plan.id})
    assert page.status_code == 302 and page.headers["Location"] == "/account"
    account = page_text(client.get("/account"))
    assert "Confirm your e-mail address before buying" in account
    assert "Send a new confirmation link" in account
    token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    api = client.post("/api/v1/cart", json={"plan_id": plan.id}, headers={"X-CSRFToken": token})
    assert api.status_code == 403
    assert "Confirm your e-mail address" in api.get_json()["detail"]

    assert client.post("/account/confirmation").status_code == 302
    (mail,) = _mails(app, buyer.email)
    client.get(_link(mail))
    assert client.post("/api/v1/cart", json={"plan_id": plan.id},
                       headers={"X-CSRFToken": token}).status_code == 201


def test_a_forged_or_expired_confirmation_link_confirms_nothing(app, client, db):
    from marketplace.accounts import confirmation
    user = make_user(db, confirmed=False)
    token = confirmation.token_for(app.config["SECRET_KEY"], user)
    assert client.get(f"/confirm/{token[:-2]}xx").status_code == 302
    forget(db)
    assert fresh_user(db, user.email).email_confirmed_at is None
    with pytest.raises(confirmation.BadConfirmationLink):
        confirmation.confirm(db, app.config["SECRET_KEY"], token, max_age=-1)
    forged = confirmation.token_for("another secret", user)
    with pytest.raises(confirmation.BadConfirmationLink):
        confirmation.confirm(db, app.config["SECRET_KEY"], forged)


def test_sign_up_with_a_short_password_says_how_long_it_must_be(client, db):
    response = signup(client, password="short")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at least 10 characters for the password." in page
    assert 'value="Ada Lovelace"' in page  # what the user typed is kept
    forget(db)
    assert db.exec(select(User).where(User.email == "ada@example.com")).first() is None


def test_sign_up_with_different_passwords_is_refused(client):
    response = signup(client, confirm="something else entirely")
    assert response.status_code == 422
    assert "The passwords differ." in response.get_data(as_text=True)


def test_login_with_a_wrong_password_is_refused(client, db):
    user = make_user(db)
    response = login(client, user.email, "not the password")
    assert response.status_code == 422
    assert "The e-mail address or password is wrong." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_login_with_the_right_password_redirects_to_next(client, db):
    user = make_user(db)
    response = client.post("/login?next=/notifications",
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"
    assert client.get("/account").status_code == 200


def test_login_never_redirects_to_another_site(client, db):
    user = make_user(db)
    response = client.post("/login?next=//evil.example/", data={"email": user.email,
                                                                "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, db):
    user = make_user(db)
    login(client, user.email)
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_account_page_redirects_to_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")


def test_password_change_with_a_wrong_current_password_is_refused(client, db):
    user = make_user(db)
    login(client, user.email)
    response = client.post("/account", data={
        "current_password": "not the password",
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    })
    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    assert fresh_user(db, user.email).session_version == user.session_version


def test_password_change_logs_out_other_sessions(app, db):
    user = make_user(db)
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user.email)
    login(elsewhere, user.email)
    assert elsewhere.get("/account").status_code == 200

    response = here.post("/account", data={
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert here.get("/account").status_code == 200  # this session stays logged in

    stale = elsewhere.get("/account")
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/login")
    # The old password no longer works, the new one does.
    assert login(app.test_client(), user.email, PASSWORD).status_code == 422
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_change_with_a_short_new_password_is_refused(client, db):
    user = make_user(db)
    login(client, user.email)
    response = client.post("/account", data={
        "current_password": PASSWORD, "new_password": "short", "confirm": "short",
    })
    assert response.status_code == 422
    assert "Use at least 10 characters for the password." in response.get_data(as_text=True)


def test_buyer_becomes_a_merchant_with_a_valid_credit_code(client, db):
    admin = make_user(db, Role.ADMIN)
    buyer = make_user(db)
    login(client, buyer.email)
    page = client.get("/account/organization/new").get_data(as_text=True)
    assert "What verification means" in page
    assert "18-character" in page

    code = unified_social_credit_code(random.Random(7))
    response = client.post("/account/organization/new", data={
        "name": "Fujian Data Works Co., Ltd.",
        "credit_code": code.lower(),
        "contact_email": "data@fjdw.example",
        "description": "Desensitized enterprise data.",
    })
    assert response.status_code == 302
    forget(db)
    org = db.exec(
        select(MerchantOrganization).where(MerchantOrganization.credit_code == code)
    ).one()
    assert org.status == OrganizationStatus.PENDING
    user = db.get(User, buyer.id)
    assert user.organization_id == org.id
    assert user.role == Role.MERCHANT
    told = db.exec(select(Notification).where(Notification.user_id == admin.id,
                                              Notification.kind == "organization.submitted")).one()
    assert told.link == "/admin/organizations"

    account = client.get("/account").get_data(as_text=True)
    assert "Fujian Data Works Co., Ltd." in account
    assert "Waiting for verification" in account
    assert "Become a data merchant" not in account
    assert client.get("/account/organization/new").status_code == 403


def test_credit_code_with_a_wrong_check_digit_is_refused(client, db):
    buyer = make_user(db)
    login(client, buyer.email)
    code = unified_social_credit_code(random.Random(11))
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    wrong = code[:-1] + next(c for c in alphabet if c != code[-1])
    response = client.post("/account/organization/new", data={
        "name": "Typo Trading Ltd.",
        "credit_code": wrong,
        "contact_email": "typo@example.com",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "fails its check digit" in page
    assert 'value="Typo Trading Ltd."' in page
    forget(db)
    assert db.get(User, buyer.id).organization_id is None
    assert db.exec(select(MerchantOrganization)).first() is None


@pytest.mark.parametrize("code, message", [
    # The final check character is right; the organisation code inside is mistyped.
    ("91350100M000100Y56", "are not a valid organisation code"),
    ("Y6350100M000100Y4X", "Y6 is not one"),
    ("9135 0100-m000 100y 43", None),  # as people type it: spaces, dashes, lower case
])
def test_credit_codes_are_checked_by_the_rule_the_governance_tools_apply(client, db, code,
                                                                          message):
    login(client, make_user(db).email)
    response = client.post("/account/organization/new", data={
        "name": "Rule Trading Ltd.", "credit_code": code, "contact_email": "rule@example.com"})
    if message is None:
        assert response.status_code == 302
        forget(db)
        assert db.exec(select(MerchantOrganization)).one().credit_code == "91350100M000100Y43"
    else:
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_rejected_organization_shows_its_reason_on_the_account_page(client, db):
    merchant, org = make_merchant(db, verified=False)
    org.status = OrganizationStatus.REJECTED
    org.status_reason = "The name does not match the credit code."
    db.add(org)
    db.commit()
    login(client, merchant.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Verification refused" in page
    assert "The name does not match the credit code." in page


def test_notifications_show_unread_count_and_mark_all_read_clears_it(client, db):
    merchant, org = make_merchant(db)  # set_role notified the merchant once
    admin = make_user(db, Role.ADMIN)
    from marketplace.accounts import services as accounts

    accounts.reject_organization(db, admin, org, "Blurred licence scan.")
    db.commit()
    login(client, merchant.email)

    page = client.get("/notifications").get_data(as_text=True)
    assert '<span class="bell-count" data-testid="unread-count">2</span>' in page
    assert page.count('class="card notification unread"') == 2
    assert f"Verification of {org.name} was refused: Blurred licence scan." in page
    assert 'action="/notifications/read-all"' in page

    response = client.post("/notifications/read-all")
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="unread-count"' not in page
    assert "notification unread" not in page
    assert 'action="/notifications/read-all"' not in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, db):
    merchant, org = make_merchant(db)
    login(client, merchant.email)
    forget(db)
    note = db.exec(select(Notification).where(Notification.user_id == merchant.id)).one()
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == note.link
    forget(db)
    assert db.get(Notification, note.id).read_at is not None


def test_another_users_notification_cannot_be_opened(client, db):
    merchant, _org = make_merchant(db)
    other = make_user(db)
    note = db.exec(select(Notification).where(Notification.user_id == merchant.id)).one()
    login(client, other.email)
    assert client.post(f"/notifications/{note.id}/open").status_code == 403
    forget(db)
    assert db.get(Notification, note.id).read_at is None


def test_empty_notifications_page(client, db):
    login(client, make_user(db).email)
    page = client.get("/notifications").get_data(as_text=True)
    assert "No notifications yet" in page


def test_a_merchant_edits_its_organizations_profile_and_admins_hear_of_a_new_name(app, db):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    client = logged_in_client(app, merchant)
    page = client.get("/account/organization")
    assert page.status_code == 200 and org.name in page.text and org.credit_code in page.text

    refused = client.post("/account/organization", data={
        "name": "  ", "contact_email": "data@example.com", "description": "Kept as typed"})
    assert refused.status_code == 422
    assert "Kept as typed" in refused.text and "This field is required." in refused.text
    refused = client.post("/account/organization", data={
        "name": "Renamed Data Co.", "contact_email": "not an address", "description": ""})
    assert refused.status_code == 422
    assert "Enter an e-mail address such as name@example.com." in refused.text

    saved = client.post("/account/organization", data={
        "name": "Renamed Data Co.", "contact_email": "data@renamed.example",
        "description": "We sell harbour data."})
    assert saved.status_code == 302
    forget(db)
    db.refresh(org)
    assert (org.name, org.contact_email, org.description) == (
        "Renamed Data Co.", "data@renamed.example", "We sell harbour data.")
    assert org.is_verified
    told = db.exec(select(Notification).where(Notification.user_id == admin.id,
                                              Notification.kind == "organization.renamed")).one()
    assert told.params["name"] == "Renamed Data Co."
    public = app.test_client().get(f"/merchants/{org.id}").text
    assert "Renamed Data Co." in public and "We sell harbour data." in public
