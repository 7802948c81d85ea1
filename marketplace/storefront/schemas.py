"""API schemas of the storefront: searching products, and a product as a search lists it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.catalog.models import DeliveryForm, PricingModel, ProductType, Scenario
from marketplace.catalog.schemas import ProductSchema
from marketplace.search.documents import PRICE_RANGES
from marketplace.search.query import MAX_QUERY_LENGTH, SORTS


class RatingSchema(Schema):
    average = fields.Float(metadata={"description": "Mean of the visible reviews, 1 to 5; 0 "
                                                    "without reviews."})
    count = fields.Integer(metadata={"description": "Number of visible reviews."})


class LocalizedTextSchema(Schema):
    """The text a page in the request's language shows (``Accept-Language``)."""

    title = fields.String()
    summary = fields.String()
    description_md = fields.String()
    languages = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "The language of each text, as a BCP 47 tag (en or zh-Hans): an English "
                       "request gets the Chinese text where the merchant wrote no English."})


class ListedProductSchema(ProductSchema):
    localized = fields.Nested(LocalizedTextSchema)
    rating = fields.Nested(RatingSchema)
    sales = fields.Integer(metadata={"description": "How many times it was bought."})
    lowest_price = fields.Integer(metadata={
        "description": "What starting to use it costs, in the smallest currency unit: the "
                       "cheapest plan's price, or the price of one call for per-call plans."})
    needs_application = fields.Boolean(metadata={
        "description": "Whether buying it needs an approved authorization application "
                       "(level 3 and 4 products, and those whose merchant asks for one)."})
    application_url = fields.String(allow_none=True, metadata={
        "description": "Where to apply, when it needs an application; null otherwise."})


class ProductQueryArgsSchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=MAX_QUERY_LENGTH), metadata={
        "description": "Words to find in titles, summaries, descriptions, tags, merchant names "
                       "and categories, in Chinese, English or pinyin (xinyong finds 信用). "
                       "All words must match; \"quotes\" search a phrase; OR and NOT work."})
    scenario = fields.String(load_default="", validate=validate.OneOf(["", *Scenario]))
    product_type = fields.String(load_default="", validate=validate.OneOf(["", *ProductType]))
    delivery_form = fields.String(load_default="", validate=validate.OneOf(["", *DeliveryForm]))
    pricing_model = fields.String(load_default="", validate=validate.OneOf(["", *PricingModel]))
    classification_level = fields.Integer(load_default=None, validate=validate.Range(1, 4))
    merchant = fields.Integer(load_default=None, validate=validate.Range(1, 2**31),
                              metadata={"description": "A merchant organization's id."})
    price = fields.String(load_default="", validate=validate.OneOf(
        ["", *(key for key, _low, _high in PRICE_RANGES)]), metadata={
        "description": "A price range, as the facet counts name them: free, under_100, "
                       "100_1000, 1000_10000 or over_10000 (yuan)."})
    min_price = fields.Integer(load_default=None, validate=validate.Range(0, 10**12), metadata={
        "description": "Lowest entry price, in the smallest currency unit (fen)."})
    max_price = fields.Integer(load_default=None, validate=validate.Range(0, 10**12), metadata={
        "description": "Highest entry price, in the smallest currency unit (fen)."})
    sort = fields.String(load_default="", validate=validate.OneOf(["", *SORTS]), metadata={
        "description": "relevance (the default with q), newest (the default without), "
                       "price_asc, price_desc, rating, sales or title."})


class FacetCountsSchema(Schema):
    """How many matching products each value of a facet has (each facet counted with every
    filter but its own)."""

    scenario = fields.Dict(keys=fields.String(), values=fields.Integer())
    product_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    delivery_form = fields.Dict(keys=fields.String(), values=fields.Integer())
    pricing_model = fields.Dict(keys=fields.String(), values=fields.Integer())
    price = fields.Dict(keys=fields.String(), values=fields.Integer())
    classification_level = fields.Dict(keys=fields.String(), values=fields.Integer())
    merchant = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "By merchant organization id."})


class SearchMetadataSchema(Schema):
    facets = fields.Nested(FacetCountsSchema)
    corrected_query = fields.String(allow_none=True, metadata={
        "description": "When q found nothing and looked like a typo: the corrected words "
                       "whose results these are."})
