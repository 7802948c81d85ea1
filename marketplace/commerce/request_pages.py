"""Parts of the refund-request and invoice-request pages and API that both show: the records
as documents, the invoice folder, and the PDF download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, url_for
from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization
from marketplace.commerce.buyer_requests import invoice_files
from marketplace.commerce.buyer_requests.models import (
    InvoiceRequest,
    InvoiceRequestState,
    RefundRequest,
)
from marketplace.commerce.buyer_requests.working_days import admin_may_decide_from
from marketplace.commerce.models import Order, OrderLine


def invoice_folder() -> Path:
    """Where issued invoices' PDFs are kept: ``invoices`` in the instance folder."""
    return Path(current_app.instance_path) / "invoices"


def refund_request_document(db: Session, request: RefundRequest) -> dict[str, Any]:
    order = db.get(Order, request.order_id)
    line = db.get(OrderLine, request.order_line_id)
    return {
        "id": request.id, "order_number": order.number, "line_id": line.id,
        "title": line.title, "amount": request.amount,
        "approved_amount": request.approved_amount, "currency": request.currency,
        "reason": request.reason, "state": request.state,
        "decision_reason": request.decision_reason, "created_at": request.created_at,
        "decided_at": request.decided_at,
        "admin_may_decide_from": admin_may_decide_from(request.created_at),
    }


def invoice_document(db: Session, invoice: InvoiceRequest) -> dict[str, Any]:
    order = db.get(Order, invoice.order_id)
    seller = db.get(MerchantOrganization, invoice.organization_id)
    issued = invoice.state == InvoiceRequestState.ISSUED
    return {
        "id": invoice.id, "order_number": order.number,
        "organization_id": invoice.organization_id, "seller": seller.name,
        "amount": invoice.amount, "currency": invoice.currency,
        "company_name": invoice.company_name, "taxpayer_id": invoice.taxpayer_id,
        "address": invoice.address, "phone": invoice.phone, "bank_name": invoice.bank_name,
        "bank_account": invoice.bank_account, "state": invoice.state,
        "invoice_number": invoice.invoice_number, "created_at": invoice.created_at,
        "issued_at": invoice.issued_at,
        "pdf_url": url_for("buyer_requests.invoice_pdf", invoice_id=invoice.id)
        if issued else None,
    }


def send_invoice_pdf(invoice: InvoiceRequest):
    """The issued invoice's PDF (already authorized); 404 before it is issued."""
    if invoice.state != InvoiceRequestState.ISSUED or not invoice.pdf_name:
        abort(404)
    path = invoice_files.path_of(invoice_folder(), invoice.pdf_name)
    if not path.is_file():
        abort(404)
    # Read whole (at most invoice_files.MAX_PDF_BYTES): no file handle outlives the request.
    response = Response(path.read_bytes(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="invoice-{invoice.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
