"""API schemas for buying: cart, orders, entitlements and receipts (marshmallow, kept apart from
the SQLModel tables in :mod:`marketplace.commerce.models`).

Amounts are integers in the currency's smallest unit (fen for CNY), as everywhere.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.catalog.models import PricingModel
from marketplace.catalog.schemas import PricingPlanSchema
from marketplace.commerce.models import OrderState
from marketplace.commerce.orders.pricing import CALL_PACKS
from marketplace.commerce.payments import TEST_CARDS
from marketplace.delivery.models import EntitlementState
from marketplace.web.bounds import ID_RANGE

#: How a cart or order line is bought under its plan.
LINE_OPTIONS = ("standard", "pay_as_you_go", "call_pack", "quote")
_AMOUNT = {"description": "Smallest currency unit (fen for CNY)."}


def _one_of(values) -> validate.OneOf:
    return validate.OneOf([str(v) for v in values])


# -- cart ------------------------------------------------------------------------------------


class CartLineSchema(Schema):
    id = fields.Integer(metadata={"description": "The cart item's id (to remove it)."})
    product_id = fields.Integer()
    listing_id = fields.Integer()
    title = fields.String(metadata={"description": "The product's title, as its merchant wrote "
                                                  "it."})
    plan = fields.Nested(PricingPlanSchema)
    option = fields.String(validate=_one_of(LINE_OPTIONS), metadata={"description": (
        "standard: the plan as it is; pay_as_you_go: per-call usage billed monthly in arrears; "
        "call_pack: calls bought up front; quote: a service fee at the quoted amount.")})
    pack_calls = fields.Integer(allow_none=True, metadata={"description": "Calls in the pack "
                                                                          "(call_pack only)."})
    quote_id = fields.Integer(allow_none=True)
    amount = fields.Integer(metadata={"description": "What this line costs at checkout, in the "
                                                    "smallest currency unit (0 for "
                                                    "pay-as-you-go)."})
    currency = fields.String()
    quota = fields.Integer(allow_none=True, metadata={"description": "Calls the entitlement "
                                                                     "will allow; null for no "
                                                                     "quota."})
    postpaid = fields.Boolean(metadata={"description": "True when usage is billed later."})


class CartSchema(Schema):
    lines = fields.List(fields.Nested(CartLineSchema))
    total = fields.Integer(metadata=_AMOUNT)
    currency = fields.String()


#: The largest id a row can have (PostgreSQL's integer): larger ids are refused as input.
MAX_ID = 2**31 - 1


class CartItemArgsSchema(Schema):
    plan_id = fields.Integer(required=True, validate=ID_RANGE, metadata={
        "description": "A pricing plan of a published product."})
    pack_calls = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE, metadata={
        "description": "For a per-call plan: buy this many calls up front (one of "
                       f"{', '.join(str(n) for n in CALL_PACKS)}); leave out to pay as you go.",
        "enum": list(CALL_PACKS)})
    quote_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE, metadata={
        "description": "For a service-fee plan: the merchant's quote you accept."})


# -- orders ----------------------------------------------------------------------------------


class OrderLineSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    listing_id = fields.Integer()
    plan_id = fields.Integer()
    title = fields.String()
    plan_name = fields.String()
    pricing_model = fields.String(validate=_one_of(PricingModel))
    option = fields.String(validate=_one_of(LINE_OPTIONS))
    pack_calls = fields.Integer(allow_none=True)
    quote_id = fields.Integer(allow_none=True)
    quota = fields.Integer(allow_none=True)
    amount = fields.Integer(metadata=_AMOUNT)
    plan_terms = fields.Dict(metadata={"description": "The plan as it was sold (later edits "
                                                     "of the plan do not change it)."})
    entitlement_id = fields.Integer(allow_none=True, metadata={"description": "The "
                                                               "entitlement this line granted, "
                                                               "once paid."})


class OrderSummarySchema(Schema):
    number = fields.String(metadata={"description": "The order number, e.g. DM260101-3FA9C2."})
    state = fields.String(validate=_one_of(OrderState))
    state_label = fields.String(metadata={"description": "The state in the reader's language."})
    currency = fields.String()
    total = fields.Integer(metadata=_AMOUNT)
    created_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)


class OrderSchema(OrderSummarySchema):
    lines = fields.List(fields.Nested(OrderLineSchema))
    seller_part = fields.Boolean(metadata={
        "description": "True when you see only the lines your organization sold (a merchant "
                       "reading a buyer's order): total is then what those lines cost, and "
                       "paid, refunded and receipts, which cover the whole order, are left out."})
    paid = fields.Integer(allow_none=True, metadata={
        "description": "Everything received, in the smallest currency unit; null in a "
                       "seller's part."})
    refunded = fields.Integer(allow_none=True, metadata={
        "description": "Everything returned, in the smallest currency unit; null in a "
                       "seller's part."})
    fulfilled_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True, metadata={"description": "When it was "
                                                                         "cancelled or its "
                                                                         "payment failed."})
    failure_reason = fields.String(metadata={"description": "Why the last payment failed."})
    payable = fields.Boolean(metadata={"description": "Whether POST .../payment may be "
                                                     "called now."})
    receipts = fields.List(fields.String(), metadata={"description": "Receipt numbers."})
    entitlements = fields.List(fields.Integer(), metadata={"description": "Entitlement ids."})


class OrderQueryArgsSchema(Schema):
    state = fields.String(load_default=None, validate=_one_of(OrderState),
                          metadata={"description": "Only orders in this state."})


class CheckoutArgsSchema(Schema):
    attempt = fields.String(required=True, validate=validate.Length(min=8, max=200), metadata={
        "description": "A random token made once per checkout attempt (e.g. a UUID). Sending "
                       "the same token again returns the order it made instead of a second "
                       "one."})


class PaymentArgsSchema(Schema):
    card = fields.String(load_default=None, validate=validate.OneOf(sorted(TEST_CARDS)),
                         metadata={"description": "The test card to pay with (test mode only; "
                                                  "not needed for a free order)."})


# -- entitlements and receipts ---------------------------------------------------------------


class OperationGrantSchema(Schema):
    # ``fields`` would hide marshmallow's own Schema.fields.
    allowed_fields = fields.List(fields.String(), allow_none=True, attribute="fields",
                                 data_key="fields", metadata={
        "description": "Output fields it may receive; null for every field of the operation."})
    masking = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Output field -> the masking strategy applied before it is delivered."})


class EntitlementScopeSchema(Schema):
    operations = fields.Dict(keys=fields.String(), values=fields.Nested(OperationGrantSchema),
                             metadata={"description": "The operations it may call, by "
                                                      "`<plugin>.<operation>`."})


class EntitlementSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    listing_id = fields.Integer()
    plan_id = fields.Integer()
    title = fields.String(metadata={"description": "The product as it was bought."})
    plan_name = fields.String()
    order_number = fields.String()
    pricing_model = fields.String(validate=_one_of(PricingModel))
    scope = fields.Nested(EntitlementScopeSchema)
    valid_from = fields.DateTime()
    valid_to = fields.DateTime(allow_none=True, metadata={"description": "Null: until "
                                                                        "revoked."})
    quota = fields.Integer(allow_none=True, metadata={"description": "Calls allowed; null for "
                                                                     "no quota."})
    state = fields.String(validate=_one_of(EntitlementState))
    state_label = fields.String()
    state_reason = fields.String()
    usable = fields.Boolean(metadata={"description": "Active and in date now."})


class EntitlementQueryArgsSchema(Schema):
    state = fields.String(load_default=None, validate=_one_of(EntitlementState),
                          metadata={"description": "Only entitlements in this state."})


class SellerSchema(Schema):
    name = fields.String()
    credit_code = fields.String(metadata={"description": "Unified social credit code."})


class ReceiptLineSchema(Schema):
    title = fields.String()
    plan_name = fields.String()
    amount = fields.Integer(metadata=_AMOUNT)


class ReceiptSchema(Schema):
    number = fields.String()
    order_number = fields.String()
    issued_at = fields.DateTime()
    amount = fields.Integer(metadata={"description": "The amount this payment received."})
    currency = fields.String()
    payment_reference = fields.String(metadata={"description": "The payment provider's id of "
                                                               "the payment."})
    buyer = fields.String(metadata={"description": "The buyer's display name; for a seller, "
                                                   "its organization's name if it has one."})
    sellers = fields.List(fields.Nested(SellerSchema))
    lines = fields.List(fields.Nested(ReceiptLineSchema))
    refunded = fields.Integer(allow_none=True, metadata={
        "description": "Refunded on the order so far; null in a seller's part."})
