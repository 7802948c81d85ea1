"""Invoice (发票) requests: a buyer asks each merchant of a paid order for a general VAT invoice
(the taxpayer id checked as a unified social credit code); the merchant issues it with its PDF,
which only the buyer (and that merchant, and admins) can download."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState, PricingModel
from marketplace.commerce.buyer_requests import invoice_files
from marketplace.commerce.buyer_requests.models import InvoiceRequest, InvoiceRequestState
from marketplace.commerce.orders import cart, fulfilment
from marketplace.notifications.models import Notification
from tests.factories import (
    forget,
    logged_in_client,
    make_listing,
    make_merchant,
    make_user,
    page_text,
)

GOOD_CODE = "91310101MAFQEFLC7R"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def world(db):
    """An order of two merchants' products (500.00 yuan each), paid."""
    admin = make_user(db, Role.ADMIN)
    sellers = [make_merchant(db) for _ in range(2)]
    buyer = make_user(db)
    for merchant, org in sellers:
        listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin)
        plan = next(p for p in catalog.plans_for(db, listing.id)
                    if p.model == PricingModel.PER_CALL)
        cart.add(db, buyer, plan.id, pack_calls=1_000)
    order = cart.checkout(db, buyer, attempt=uuid.uuid4().hex)
    fulfilment.record_charge(db, order, amount=order.total,
                             provider_ref=f"pi_test_{uuid.uuid4().hex[:16]}")
    db.commit()
    return {"admin": admin, "buyer": buyer, "order": order,
            "merchants": [m for m, _ in sellers], "orgs": [o for _, o in sellers]}


def ask(client, order, org, **overrides):
    data = {"company_name": "上海示例数据科技有限公司", "taxpayer_id": GOOD_CODE,
            "address": "上海市浦东新区示例路 1 号", "phone": "021-12345678", **overrides}
    return client.post(f"/orders/{order.number}/invoice-requests/{org.id}", data=data)


def test_one_invoice_per_merchant_with_a_checked_credit_code(app, db, world):
    order, (org_a, org_b) = world["order"], world["orgs"]
    buyer = logged_in_client(app, world["buyer"])
    page = page_text(buyer.get(f"/orders/{order.number}"))
    for org in (org_a, org_b):
        assert f"/orders/{order.number}/invoice-requests/{org.id}" in page

    response = ask(buyer, order, org_a, taxpayer_id=GOOD_CODE[:-1] + "0")
    assert response.status_code == 422
    assert "fails its check digit" in page_text(response)
    assert "上海示例数据科技有限公司" in page_text(response)  # kept as typed
    response = ask(buyer, order, org_a, taxpayer_id="9131")
    assert "has 18 characters; this one has 4" in page_text(response)

    # Spaces and lower case are read as the code they are.
    code = f"{GOOD_CODE[:6]} {GOOD_CODE[6:].lower()}"
    assert ask(buyer, order, org_a, taxpayer_id=code).status_code == 302
    forget(db)
    invoice = db.exec(select(InvoiceRequest).where(InvoiceRequest.order_id == order.id)).one()
    assert (invoice.organization_id, invoice.amount, invoice.taxpayer_id) == (
        org_a.id, 500_00, GOOD_CODE)
    assert db.exec(select(Notification).where(
        Notification.user_id == world["merchants"][0].id,
        Notification.kind == "invoice.requested")).first() is not None

    # The same merchant again is refused; the other merchant gets its own request.
    response = buyer.post(f"/orders/{order.number}/invoice-requests/{org_a.id}",
                          data={"company_name": "Another name", "taxpayer_id": GOOD_CODE},
                          follow_redirects=True)
    assert "An invoice was already asked of this merchant for this order." in page_text(
        response)
    assert ask(buyer, order, org_b).status_code == 302
    forget(db)
    assert sorted(i.organization_id for i in db.exec(select(InvoiceRequest))) == sorted(
        [org_a.id, org_b.id])


def test_another_buyer_may_not_ask_or_download(app, db, world):
    order, org = world["order"], world["orgs"][0]
    stranger = logged_in_client(app, make_user(db))
    assert ask(stranger, order, org).status_code == 403
    assert ask(logged_in_client(app, world["buyer"]), order, org).status_code == 302
    forget(db)
    invoice = db.exec(select(InvoiceRequest)).one()
    merchant = logged_in_client(app, world["merchants"][0])
    assert merchant.post(f"/merchant/invoice-requests/{invoice.id}/issue",
                         data={"pdf": (_file(PDF), "fapiao.pdf")}).status_code == 302
    url = f"/invoices/{invoice.id}/pdf"
    assert stranger.get(url).status_code == 403
    assert logged_in_client(app, world["merchants"][1]).get(url).status_code == 403
    assert logged_in_client(app, world["merchants"][1]).post(
        f"/merchant/invoice-requests/{invoice.id}/issue",
        data={"pdf": (_file(PDF), "x.pdf")}).status_code == 403


def _file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_the_merchant_issues_it_with_a_pdf_the_buyer_downloads(app, db, world):
    order, org = world["order"], world["orgs"][0]
    buyer = logged_in_client(app, world["buyer"])
    ask(buyer, order, org)
    forget(db)
    invoice = db.exec(select(InvoiceRequest)).one()
    merchant = logged_in_client(app, world["merchants"][0])
    assert GOOD_CODE in page_text(merchant.get("/merchant/invoice-requests"))
    url = f"/merchant/invoice-requests/{invoice.id}/issue"

    response = merchant.post(url, data={"pdf": (_file(b"GIF89a not a pdf"), "fapiao.pdf")})
    assert response.status_code == 422
    assert "This file is not a PDF" in page_text(response)
    response = merchant.post(url, data={})
    assert "Attach the invoice as a PDF file." in page_text(response)
    # Encoded here in memory: the test client would spool a large body to a file it never
    # closes.
    boundary, body = encode_multipart(
        {"pdf": FileStorage(_file(PDF + b"0" * invoice_files.MAX_PDF_BYTES), "fapiao.pdf")})
    response = merchant.post(url, data=body,
                             content_type=f"multipart/form-data; boundary={boundary}")
    assert "larger than 5 MB" in page_text(response)
    forget(db)
    assert db.get(InvoiceRequest, invoice.id).state == InvoiceRequestState.REQUESTED
    assert buyer.get(f"/invoices/{invoice.id}/pdf").status_code == 404  # not issued yet

    response = merchant.post(url, data={"invoice_number": "24312000000012345678",
                                        "pdf": (_file(PDF), "fapiao.pdf")})
    assert response.status_code == 302
    forget(db)
    invoice = db.get(InvoiceRequest, invoice.id)
    assert invoice.state == InvoiceRequestState.ISSUED and invoice.pdf_size == len(PDF)
    assert db.exec(select(Notification).where(Notification.user_id == world["buyer"].id,
                                              Notification.kind == "invoice.issued")).first()
    actions = [e.action for e in db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "invoice_request"))]
    assert actions == ["invoice.request", "invoice.issue"]

    downloaded = buyer.get(f"/invoices/{invoice.id}/pdf")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
    assert downloaded.data == PDF
    assert "no-store" in downloaded.headers["Cache-Control"]
    assert f"/invoices/{invoice.id}/pdf" in page_text(buyer.get(f"/orders/{order.number}"))
    # Issued once: a second upload is refused.
    again = merchant.post(url, data={"pdf": (_file(PDF), "again.pdf")}, follow_redirects=True)
    assert "This invoice was issued already." in page_text(again)
