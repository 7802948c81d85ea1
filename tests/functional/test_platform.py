"""Platform-wide behaviour: error pages, problem+json, OpenAPI, CSRF and e-mail delivery."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import ListingState
from marketplace.notifications import services as notifications
from marketplace.notifications.models import OutboundEmail
from marketplace.policy import public
from tests.factories import make_listing, make_merchant, make_user


def test_unknown_page_renders_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Page not found" in response.data


def test_api_errors_are_problem_json(client):
    response = client.get("/api/v1/products/999999")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert response.json["title"] == "Page not found"
    assert "No published product" in response.json["detail"]


def test_api_validation_errors_are_problem_json_with_the_fields(client):
    response = client.get("/api/v1/products?scenario=nowhere&classification_level=9")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]["query"]) == {"scenario", "classification_level"}


def test_api_lists_only_published_products_with_pagination(db, client):
    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    published = [make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                              title=f"Product {i}") for i in range(3)]
    make_listing(db, merchant, org, state=ListingState.SUBMITTED, title="Waiting")
    make_listing(db, merchant, org, state=ListingState.SUSPENDED, admin=admin, title="Stopped")
    response = client.get("/api/v1/products?page_size=2")
    assert response.status_code == 200
    assert [p["title"] for p in response.json] == ["Product 2", "Product 1"]
    assert response.headers["X-Pagination"]
    page2 = client.get("/api/v1/products?page_size=2&page=2").json
    assert [p["title"] for p in page2] == ["Product 0"]
    one = client.get(f"/api/v1/products/{published[0].product_id}").json
    assert one["merchant"]["name"] == org.name
    assert one["data_dictionary"][0]["name"] == "credit_code"
    assert {p["model"] for p in one["pricing_plans"]} == {"per_call", "membership"}


def test_openapi_document_and_local_docs_ui(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/products" in spec.json["paths"]
    assert "/api/v1/products/{product_id}" in spec.json["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200


@pytest.fixture
def production_like_app(app_config, make_app):
    application = make_app({**app_config, "TESTING": False})

    @application.route("/boom")
    @public
    def boom():
        raise RuntimeError("deliberate failure")

    return application


def test_unexpected_errors_show_an_incident_reference_and_no_traceback(production_like_app):
    client = production_like_app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    assert b"Incident reference" in page.data
    assert b"deliberate failure" not in page.data and b"Traceback" not in page.data
    api = client.get("/boom", headers={"Accept": "application/json"})
    assert api.mimetype == "application/problem+json"
    assert len(api.json["incident"]) == 12


def test_forms_are_refused_without_a_csrf_token(app_config, db, make_app):
    csrf_app = make_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "x@example.com", "password": "whatever"})
    assert response.status_code == 400
    assert b"This form has expired" in response.data


def test_mail_is_written_to_the_mail_folder_after_commit(app, db):
    buyer = make_user(db, Role.BUYER)
    notifications.notify(db, [buyer], "role.changed", {"role": "buyer"})
    db.rollback()
    assert notifications.deliver_outbox(db, app.config) == 0, "a rolled-back change sent mail"
    notifications.notify(db, [buyer], "role.changed", {"role": "merchant"})
    db.commit()
    assert notifications.deliver_outbox(db, app.config) == 1
    files = list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert f"To: {buyer.email}" in text and "Your role is now: merchant." in text


def test_mail_is_written_in_the_readers_language(app, db):
    reader = make_user(db, Role.BUYER, locale="zh_Hans")
    notifications.notify(db, [reader], "listing.approved", {"title": "企业黑名单核验"})
    db.commit()
    mail = db.exec(select(OutboundEmail)).one()
    assert "企业黑名单核验" in mail.body
    assert "Your listing" not in mail.body, "the Chinese catalog should translate this message"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 OK"


def test_mail_goes_through_smtp_when_configured(app, db):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                  "SMTP_STARTTLS": False}
        buyer = make_user(db, Role.BUYER)
        notifications.notify(db, [buyer], "role.changed", {"role": "admin"})
        db.commit()
        assert notifications.deliver_outbox(db, config) == 1
        deadline = time.monotonic() + 5
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in inbox.messages] == [[buyer.email]]
    assert b"Your role is now: admin." in inbox.messages[0].content
    assert not list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))


def test_failed_smtp_delivery_stays_in_the_outbox(app, db):
    config = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": _free_port(),
              "SMTP_STARTTLS": False}
    buyer = make_user(db, Role.BUYER)
    notifications.notify(db, [buyer], "role.changed", {"role": "admin"})
    db.commit()
    assert notifications.deliver_outbox(db, config) == 0
    mail = db.exec(select(OutboundEmail)).one()
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
