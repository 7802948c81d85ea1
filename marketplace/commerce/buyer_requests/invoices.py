"""Invoice (发票) requests: a buyer asks a merchant for a 增值税普通发票 for the merchant's part
of a paid order (an order with lines of two merchants gets one invoice from each); the merchant
issues it and attaches the PDF, which the buyer then downloads. Audited and notified."""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.accounts.services import members, validate_credit_code
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce import ledger
from marketplace.commerce.buyer_requests import invoice_files
from marketplace.commerce.buyer_requests.models import InvoiceRequest, InvoiceRequestState
from marketplace.commerce.models import Order, OrderState
from marketplace.commerce.orders.cart import order_lines
from marketplace.errors import Conflict, ValidationFailed
from marketplace.money import plain_amount
from marketplace.notifications.services import notify

#: Orders an invoice can be asked for: money was received (refunds are deducted).
INVOICEABLE_STATES = (OrderState.PAID, OrderState.FULFILLED, OrderState.PARTLY_REFUNDED)
#: The optional fields of a 增值税普通发票 request, with their longest lengths.
OPTIONAL = {"address": 300, "phone": 40, "bank_name": 200, "bank_account": 40}


def invoice_amount(session: Session, order: Order, organization_id: int) -> int:
    """What the buyer paid for the merchant's lines of ``order``, less what was refunded."""
    left = ledger.unrefunded_by_line(session, order.id)
    return sum(left.get(line.id, 0) for line in order_lines(session, order.id)
               if line.organization_id == organization_id)


def sellers(session: Session, order: Order) -> list[int]:
    """The organizations whose lines the order bought, in the order of its lines."""
    return list(dict.fromkeys(line.organization_id for line in order_lines(session, order.id)))


def request_invoice(session: Session, buyer: User, order: Order, organization_id: int, *,
                    company_name: str, taxpayer_id: str, **optional: str) -> InvoiceRequest:
    """The buyer asks the merchant ``organization_id`` for an invoice (caller commits).

    :param taxpayer_id: the company's unified social credit code (checked, kept compact).
    :param optional: ``address``, ``phone``, ``bank_name``, ``bank_account``.
    :raises ValidationFailed: a field is missing or wrong, or the merchant sold nothing here.
    :raises Conflict: the order is not paid, or this invoice was requested already.
    """
    errors: dict[str, list[str]] = {}
    company_name = (company_name or "").strip()
    if not company_name:
        errors["company_name"] = [str(_l("Give the company name as registered."))]
    elif len(company_name) > 200:
        errors["company_name"] = [str(_l("Keep the company name under 200 characters."))]
    try:
        code = validate_credit_code(taxpayer_id or "")
    except ValidationFailed as exc:
        errors["taxpayer_id"] = exc.field_errors["credit_code"]
    values = {name: (optional.get(name) or "").strip() for name in OPTIONAL}
    for name, longest in OPTIONAL.items():
        if len(values[name]) > longest:
            errors[name] = [str(_l("Keep this under %(n)d characters.", n=longest))]
    if errors:
        raise ValidationFailed(errors)
    if order.state not in INVOICEABLE_STATES:
        raise Conflict(_l("An invoice can be asked for once the order is paid."))
    amount = invoice_amount(session, order, organization_id)
    if organization_id not in sellers(session, order) or amount <= 0:
        raise ValidationFailed({"organization_id": [str(_l(
            "This merchant was paid nothing in this order: there is nothing to invoice."))]})
    invoice = InvoiceRequest(order_id=order.id, organization_id=organization_id,
                             buyer_id=buyer.id, amount=amount, currency=order.currency,
                             company_name=company_name, taxpayer_id=code, **values)
    try:
        with session.begin_nested():
            session.add(invoice)
    except IntegrityError:
        raise Conflict(_l("An invoice was already asked of this merchant for this "
                          "order.")) from None
    audit.record(session, actor_id=buyer.id, action="invoice.request",
                 subject_type="invoice_request", subject_id=invoice.id,
                 details={"order": order.number, "organization": organization_id,
                          "amount": amount, "taxpayer_id": code})
    notify(session, members(session, organization_id), "invoice.requested",
           _params(order, invoice), link="/merchant/invoice-requests")
    return invoice


def _params(order: Order, invoice: InvoiceRequest) -> dict:
    return {"id": invoice.id, "number": order.number, "company": invoice.company_name,
            "amount": plain_amount(invoice.amount, invoice.currency, code=True)}


def issue(session: Session, merchant: User, invoice: InvoiceRequest, *, pdf: bytes,
          folder: Path, invoice_number: str = "") -> InvoiceRequest:
    """The merchant issued the invoice: keep its PDF in ``folder`` (caller commits).

    :raises ValidationFailed: the file is not a PDF or is too large; the number is too long.
    :raises Conflict: it was issued already.
    """
    invoice_number = (invoice_number or "").strip()
    if len(invoice_number) > 40:
        raise ValidationFailed({"invoice_number": [str(_l(
            "An invoice number has at most 40 characters."))]})
    invoice_files.check_pdf(pdf)
    session.refresh(invoice)
    if invoice.state != InvoiceRequestState.REQUESTED:
        raise Conflict(_l("This invoice was issued already."))
    name = invoice_files.save(folder, invoice.id, pdf)
    invoice.state, invoice.invoice_number = InvoiceRequestState.ISSUED, invoice_number
    invoice.pdf_name, invoice.pdf_size = name, len(pdf)
    invoice.issued_by, invoice.issued_at = merchant.id, utcnow()
    session.add(invoice)
    audit.record(session, actor_id=merchant.id, action="invoice.issue",
                 subject_type="invoice_request", subject_id=invoice.id,
                 details={"invoice_number": invoice_number, "pdf_bytes": len(pdf)})
    order = session.get(Order, invoice.order_id)
    notify(session, [session.get(User, invoice.buyer_id)], "invoice.issued",
           _params(order, invoice), link=f"/orders/{order.number}")
    return invoice


def for_order(session: Session, order_id: int) -> list[InvoiceRequest]:
    return list(session.exec(select(InvoiceRequest).where(InvoiceRequest.order_id == order_id)
                             .order_by(col(InvoiceRequest.id))))


def listed(session: Session, *, buyer_id: int | None = None, organization_id: int | None = None,
           page: int = 1, per_page: int = 50) -> tuple[list[InvoiceRequest], int]:
    """Invoice requests newest first (a buyer's or a merchant's), and how many there are."""
    query = select(InvoiceRequest)
    if buyer_id is not None:
        query = query.where(InvoiceRequest.buyer_id == buyer_id)
    if organization_id is not None:
        query = query.where(InvoiceRequest.organization_id == organization_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(InvoiceRequest.id).desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total
