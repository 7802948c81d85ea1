"""Pages of refund requests and invoice requests: the buyer asks from the order page, the
merchant decides (refunds) or issues (invoices) from its own lists, and an admin decides
refund requests the merchant left undecided for three working days.

Each page asks the policy (rules in :mod:`commerce.rules`), calls the services in
:mod:`commerce.buyer_requests` and commits; a refused form is shown again as typed, with its
errors beside the fields.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from marketplace.accounts.services import organizations_by_id
from marketplace.commerce.buyer_requests import invoice_files, invoices, refund_requests
from marketplace.commerce.buyer_requests.models import (
    InvoiceRequest,
    RefundRequest,
    RefundRequestState,
)
from marketplace.commerce.buyer_requests.working_days import admin_may_decide_from
from marketplace.commerce.merchant_admin_forms import amount_in_fen
from marketplace.commerce.models import Order, OrderLine
from marketplace.commerce.orders import cart, fulfilment
from marketplace.commerce.orders.access import order_access
from marketplace.commerce.pages import actor, commerce_labels, order_or_404
from marketplace.commerce.payments import get_payments
from marketplace.commerce.request_forms import (
    InvoiceIssueForm,
    InvoiceRequestForm,
    RefundDecisionForm,
    RefundRequestForm,
)
from marketplace.commerce.request_pages import invoice_folder, send_invoice_pdf
from marketplace.db import get_session
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.policy import authorize, can, check, current_actor
from marketplace.web.bounds import page_arg
from marketplace.web.forms import apply_field_errors

blp = Blueprint("buyer_requests", __name__, template_folder="templates")
blp.context_processor(commerce_labels)
PER_PAGE = 50


def _order_url(order: Order) -> str:
    return url_for("commerce.order_detail", order_number=order.number)


@blp.app_template_global()
def order_requests(order: Order, lines: list[OrderLine]) -> dict:
    """What the buyer's order page shows and offers of refund and invoice requests."""
    db = get_session()
    asked = refund_requests.for_order(db, order.id)
    open_lines = {r.order_line_id for r in asked if r.state == RefundRequestState.OPEN}
    # Offered to the buyer only (an admin reads the same page); not a check of the view's.
    paid = order.state in refund_requests.REFUNDABLE_STATES and can(
        current_actor(), "refund_request.create", order_access(db, order))
    refundable = {line.id: fulfilment.line_refundable(db, order, line) for line in lines} \
        if paid else {}
    invoiced = {i.organization_id: i for i in invoices.for_order(db, order.id)}
    sellers = organizations_by_id(db, [line.organization_id for line in lines])
    return {
        "refund_requests": asked,
        "lines": {line.id: line for line in lines},
        "refundable": {line_id: left for line_id, left in refundable.items()
                       if left > 0 and line_id not in open_lines},
        "invoices": invoiced,
        "sellers": sellers,
        "can_invoice": paid,
    }


# ---------------------------------------------------------------------------- buyer


@blp.route("/orders/<order_number>/lines/<int(max=2147483647):line_id>/refund-request",
           methods=["GET", "POST"])
def ask_refund(order_number: str, line_id: int):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("refund_request.create", order_access(db, order))
    line = db.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        abort(404)
    form = RefundRequestForm()
    if form.validate_on_submit():
        try:
            refund_requests.request_refund(db, actor(), order, line,
                                           amount=amount_in_fen(form.amount),
                                           reason=form.reason.data)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(_order_url(order))
        else:
            flash(_("Your refund request is sent; the merchant decides it."), "success")
            return redirect(_order_url(order))
    status = 422 if form.errors else 200
    left = fulfilment.line_refundable(db, order, line)
    return render_template("buyer_requests/ask_refund.html", order=order, line=line, form=form,
                           refundable=left), status


@blp.route("/orders/<order_number>/invoice-requests/<int(max=2147483647):organization_id>",
           methods=["GET", "POST"])
def ask_invoice(order_number: str, organization_id: int):
    db = get_session()
    order = order_or_404(db, order_number)
    authorize("invoice.request", order_access(db, order))
    if organization_id not in invoices.sellers(db, order):
        abort(404)
    form = InvoiceRequestForm()
    if form.validate_on_submit():
        try:
            invoices.request_invoice(
                db, actor(), order, organization_id, company_name=form.company_name.data,
                taxpayer_id=form.taxpayer_id.data, address=form.address.data,
                phone=form.phone.data, bank_name=form.bank_name.data,
                bank_account=form.bank_account.data)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(_order_url(order))
        else:
            flash(_("Your invoice request is sent to the merchant."), "success")
            return redirect(_order_url(order))
    seller = organizations_by_id(db, [organization_id])[organization_id]
    return render_template(
        "buyer_requests/ask_invoice.html", order=order, form=form, seller=seller,
        amount=invoices.invoice_amount(db, order, organization_id),
    ), 422 if form.errors else 200


@blp.route("/invoices/<int(max=2147483647):invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice = get_session().get(InvoiceRequest, invoice_id)
    if invoice is None:
        abort(404)
    authorize("invoice.view", invoice)
    return send_invoice_pdf(invoice)


# ---------------------------------------------------------------------------- merchant, admin


def _refund_rows(rows: list[RefundRequest]) -> list[dict]:
    db = get_session()
    orders = {r.order_id: db.get(Order, r.order_id) for r in rows}
    lines = cart.lines_by_id(db, [r.order_line_id for r in rows])
    return [{"request": r, "order": orders[r.order_id], "line": lines.get(r.order_line_id),
             "admin_from": admin_may_decide_from(r.created_at),
             "can_decide": r.state == RefundRequestState.OPEN
             and check("refund_request.decide", r)} for r in rows]


@blp.route("/merchant/refund-requests")
def merchant_refund_requests():
    authorize("refund_request.list_merchant")
    rows, total = refund_requests.listed(get_session(), organization_id=actor().organization_id,
                                         page=page_arg(), per_page=PER_PAGE)
    return render_template("buyer_requests/refund_requests.html", rows=_refund_rows(rows),
                           total=total, section="refund_requests")


@blp.route("/admin/refund-requests")
def admin_refund_requests():
    authorize("refund_request.list_all")
    rows, total = refund_requests.listed(get_session(), state=RefundRequestState.OPEN,
                                         page=page_arg(), per_page=PER_PAGE)
    return render_template("buyer_requests/admin_refund_requests.html",
                           rows=_refund_rows(rows), total=total)


def _refund_request_or_404(request_id: int) -> RefundRequest:
    record = get_session().get(RefundRequest, request_id)
    if record is None:
        abort(404)
    return record


def _render_refund_request(record: RefundRequest, form: RefundDecisionForm, status: int = 200):
    (row,) = _refund_rows([record])
    refundable = fulfilment.line_refundable(get_session(), row["order"], row["line"])
    return render_template("buyer_requests/refund_request.html", row=row, form=form,
                           may_decide=row["can_decide"], refundable=refundable), status


@blp.route("/refund-requests/<int(max=2147483647):request_id>")
def refund_request(request_id: int):
    record = _refund_request_or_404(request_id)
    authorize("refund_request.view", record)
    return _render_refund_request(record, RefundDecisionForm(formdata=None))


@blp.route("/refund-requests/<int(max=2147483647):request_id>/decision", methods=["POST"])
def decide_refund_request(request_id: int):
    record = _refund_request_or_404(request_id)
    authorize("refund_request.decide", record)
    form = RefundDecisionForm()
    if form.validate_on_submit() and _decide(get_session(), record, form):
        return redirect(url_for("buyer_requests.refund_request", request_id=record.id))
    return _render_refund_request(record, form, 422)


def _decide(db, record: RefundRequest, form: RefundDecisionForm) -> bool:
    """Apply the decision; False (errors on the form) when it was refused."""
    try:
        if form.decision.data == "approve":
            amount = amount_in_fen(form.amount) if (form.amount.data or "").strip() else None
            refund_requests.approve(db, get_payments(), actor(), record, amount=amount,
                                    note=form.reason.data or "")
        else:
            refund_requests.reject(db, actor(), record, reason=form.reason.data or "")
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        apply_field_errors(form, exc.field_errors)
        return False
    except Conflict as exc:
        db.rollback()
        flash(str(exc), "error")
        return True
    except DomainError as exc:  # PaymentError: the provider refused; its sentence says why
        db.rollback()
        form.form_errors.append(str(exc))
        return False
    flash(_("Refund request %(id)s is approved and refunded.", id=record.id)
          if record.state == RefundRequestState.APPROVED
          else _("Refund request %(id)s is refused; the buyer is told why.", id=record.id),
          "success")
    return True


@blp.route("/merchant/invoice-requests")
def merchant_invoice_requests():
    authorize("invoice.list_merchant")
    db = get_session()
    rows, total = invoices.listed(db, organization_id=actor().organization_id,
                                  page=page_arg(), per_page=PER_PAGE)
    return render_template("buyer_requests/invoice_requests.html", total=total,
                           rows=[(i, db.get(Order, i.order_id)) for i in rows],
                           section="invoice_requests")


@blp.route("/merchant/invoice-requests/<int(max=2147483647):invoice_id>/issue",
           methods=["GET", "POST"])
def issue_invoice(invoice_id: int):
    db = get_session()
    invoice = db.get(InvoiceRequest, invoice_id)
    if invoice is None:
        abort(404)
    authorize("invoice.issue", invoice)
    form = InvoiceIssueForm()
    if form.validate_on_submit():
        upload = form.pdf.data
        data = b""
        if upload:
            with upload.stream as stream:
                data = stream.read(invoice_files.MAX_PDF_BYTES + 1)
        try:
            invoices.issue(db, actor(), invoice, pdf=data, folder=invoice_folder(),
                           invoice_number=form.invoice_number.data)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            apply_field_errors(form, exc.field_errors)
        except DomainError as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(url_for("buyer_requests.merchant_invoice_requests"))
        else:
            flash(_("The invoice is issued; the buyer can download it."), "success")
            return redirect(url_for("buyer_requests.merchant_invoice_requests"))
    return render_template("buyer_requests/issue_invoice.html", invoice=invoice, form=form,
                           order=db.get(Order, invoice.order_id), section="invoice_requests"
                           ), 422 if form.errors else 200
