"""API schemas for the catalog, kept apart from the tables (marshmallow, not SQLModel)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.catalog.content import FIELD_TYPES
from marketplace.catalog.models import (
    DeliveryForm,
    PricingModel,
    ProductType,
    Scenario,
    Sensitivity,
)


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([e.value for e in enum])


class DataFieldSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    description = fields.String(metadata={"description": "What the field contains, in Chinese."})
    description_en = fields.String(metadata={"description": "The same in English; absent when "
                                                           "the merchant gave none."})
    sensitivity = fields.String(validate=_one_of(Sensitivity))


class TierSchema(Schema):
    up_to = fields.Integer(allow_none=True, metadata={"description": "Last call of the tier; "
                                                     "null for the open-ended last tier."})
    unit_price = fields.Integer(metadata={"description": "Smallest currency unit per call."})


class PricingPlanSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    model = fields.String(validate=_one_of(PricingModel))
    currency = fields.String()
    price = fields.Integer(metadata={"description": "Smallest currency unit (fen for CNY)."})
    billing_period = fields.String(allow_none=True)
    free_allowance = fields.Integer()
    tiers = fields.List(fields.Nested(TierSchema))
    included_calls = fields.Integer(allow_none=True)
    overage_unit_price = fields.Integer(allow_none=True)
    description = fields.String()


class MerchantSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    verified = fields.Boolean()


class OperationSchema(Schema):
    plugin = fields.String(metadata={"description": "The plugin that offers the operation."})
    name = fields.String(metadata={"description": "The operation's name within its plugin."})
    summary = fields.String()
    description = fields.String()
    available = fields.Boolean(metadata={"description": "False while its plugin is switched "
                                                        "off or missing; the schemas are then "
                                                        "null."})
    input_schema = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of what "
                                                                         "a call sends."})
    output_schema = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of what "
                                                                          "a call answers."})


class ProductSchema(Schema):
    id = fields.Integer(metadata={"description": "The product's id (stable across versions)."})
    listing_id = fields.Integer(metadata={"description": "The id of the published version."})
    version = fields.String()
    title = fields.String(metadata={"description": "The title in Chinese."})
    summary = fields.String(metadata={"description": "The summary in Chinese."})
    description_md = fields.String(metadata={"description": "Markdown, as the merchant wrote it, "
                                                            "in Chinese."})
    title_en = fields.String(metadata={"description": "The title in English; empty when the "
                                                      "merchant gave none."})
    summary_en = fields.String(metadata={"description": "The summary in English; may be empty."})
    description_md_en = fields.String(metadata={"description": "The description in English "
                                                               "(Markdown); may be empty."})
    product_type = fields.String(validate=_one_of(ProductType))
    delivery_form = fields.String(validate=_one_of(DeliveryForm))
    scenario = fields.String(validate=_one_of(Scenario))
    tags = fields.List(fields.String())
    classification_level = fields.Integer(validate=validate.Range(1, 4))
    trial_calls = fields.Integer(metadata={
        "description": "Free sandbox calls on the sample each signed-in buyer may make (0: no "
                       "trial); get a key with POST /api/v1/keys/sandbox."})
    data_dictionary = fields.List(fields.Nested(DataFieldSchema))
    sample_rows = fields.List(fields.Dict())
    pricing_plans = fields.List(fields.Nested(PricingPlanSchema))
    merchant = fields.Nested(MerchantSchema)
    operation = fields.Nested(OperationSchema, allow_none=True, metadata={
        "description": "The plugin operation the product sells as its API; null for none."})
    published_at = fields.DateTime()


class ProductQueryArgsSchema(Schema):
    q = fields.String(load_default="", metadata={"description": "Words in title or summary."})
    scenario = fields.String(load_default="", validate=validate.OneOf(["", *Scenario]))
    product_type = fields.String(load_default="", validate=validate.OneOf(["", *ProductType]))
    delivery_form = fields.String(load_default="", validate=validate.OneOf(["", *DeliveryForm]))
    pricing_model = fields.String(load_default="", validate=validate.OneOf(["", *PricingModel]))
    classification_level = fields.Integer(load_default=None, validate=validate.Range(1, 4))
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "title"]))
