"""API schemas of refund requests and invoice requests (amounts in fen, as everywhere)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.commerce.buyer_requests.invoices import OPTIONAL
from marketplace.commerce.buyer_requests.models import InvoiceRequestState, RefundRequestState
from marketplace.commerce.buyer_requests.refund_requests import MAX_REASON
from marketplace.web.bounds import ID_RANGE

_AMOUNT = {"description": "Smallest currency unit (fen for CNY)."}
_TEXT = validate.Length(min=1, max=MAX_REASON)
#: Whose requests a list shows.
SCOPES = ("mine", "merchant", "all")


class RefundRequestSchema(Schema):
    id = fields.Integer()
    order_number = fields.String()
    line_id = fields.Integer()
    title = fields.String(metadata={"description": "The line's product, as sold."})
    amount = fields.Integer(metadata={"description": "The amount asked for; " + _AMOUNT[
        "description"]})
    approved_amount = fields.Integer(allow_none=True, metadata=_AMOUNT)
    currency = fields.String()
    reason = fields.String()
    state = fields.String(validate=validate.OneOf(list(RefundRequestState)))
    decision_reason = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    admin_may_decide_from = fields.DateTime(metadata={"description": (
        "From then on (three working days after the request) a platform admin may decide it "
        "if the merchant has not.")})


class RefundRequestArgsSchema(Schema):
    order_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    line_id = fields.Integer(required=True, validate=ID_RANGE, metadata={
        "description": "The order line to refund (``lines[].id`` of the order)."})
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=10**9),
                            metadata=_AMOUNT)
    reason = fields.String(required=True, validate=_TEXT)


class RefundDecisionArgsSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    amount = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=10**9), metadata={
                                "description": "To approve less than was asked (fen); "
                                               "omitted: the amount asked."})
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_REASON),
                           metadata={"description": "Required to reject: the buyer reads it."})


class RequestQueryArgsSchema(Schema):
    scope = fields.String(load_default="mine", validate=validate.OneOf(SCOPES), metadata={
        "description": "mine: those you asked for as a buyer; merchant: those asked of your "
                       "organization; all: every one (admins)."})


class RefundRequestQueryArgsSchema(RequestQueryArgsSchema):
    state = fields.String(load_default=None, validate=validate.OneOf(list(RefundRequestState)))


class InvoiceRequestSchema(Schema):
    id = fields.Integer()
    order_number = fields.String()
    organization_id = fields.Integer(metadata={"description": "The merchant that issues it."})
    seller = fields.String()
    amount = fields.Integer(metadata=_AMOUNT)
    currency = fields.String()
    company_name = fields.String()
    taxpayer_id = fields.String(metadata={"description": "The unified social credit code."})
    address = fields.String()
    phone = fields.String()
    bank_name = fields.String()
    bank_account = fields.String()
    state = fields.String(validate=validate.OneOf(list(InvoiceRequestState)))
    invoice_number = fields.String()
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    pdf_url = fields.String(allow_none=True, metadata={"description": "The issued invoice's "
                                                                      "PDF."})


class InvoiceRequestArgsSchema(Schema):
    order_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    organization_id = fields.Integer(required=True, validate=ID_RANGE, metadata={
        "description": "The merchant asked (``sellers[].organization_id`` of the order)."})
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    taxpayer_id = fields.String(required=True, validate=validate.Length(min=1, max=40),
                                metadata={"description": "The company's unified social credit "
                                                         "code (统一社会信用代码), checked."})
    address = fields.String(load_default="", validate=validate.Length(max=OPTIONAL["address"]))
    phone = fields.String(load_default="", validate=validate.Length(max=OPTIONAL["phone"]))
    bank_name = fields.String(load_default="",
                              validate=validate.Length(max=OPTIONAL["bank_name"]))
    bank_account = fields.String(load_default="",
                                 validate=validate.Length(max=OPTIONAL["bank_account"]))
