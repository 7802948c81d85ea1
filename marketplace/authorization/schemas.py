"""API schemas for authorization applications (marshmallow, kept apart from the tables in
:mod:`.models`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.authorization.models import ApplicationState, LegalBasis

_SCOPE = {"description": (
    "By operation (<plugin>.<operation>): the output fields (null: every field) and the "
    "masking strategy per field, as an entitlement's scope.")}


def _one_of(values) -> validate.OneOf:
    return validate.OneOf([str(v) for v in values])


class ApplicationEventSchema(Schema):
    action = fields.String(metadata={"description": "submitted, approve, narrow, reject, "
                                                    "admin_approve, admin_reject, withdraw, "
                                                    "revoke or expire."})
    from_state = fields.String()
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True, metadata={"description": "Who decided; null: "
                                                                       "the platform."})
    reason = fields.String()
    created_at = fields.DateTime()


class ApplicationSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    listing_id = fields.Integer(metadata={"description": "The version applied against."})
    title = fields.String()
    buyer_id = fields.Integer()
    organization_id = fields.Integer(metadata={"description": "The merchant's organization."})
    classification_level = fields.Integer()
    purpose = fields.String()
    scenario = fields.String()
    legal_basis = fields.String(validate=_one_of(LegalBasis))
    legal_basis_detail = fields.String()
    requested = fields.Dict(metadata=_SCOPE)
    approved_scope = fields.Dict(allow_none=True, metadata=_SCOPE)
    starts_on = fields.Date()
    ends_on = fields.Date(metadata={"description": "The last day of the period (inclusive)."})
    state = fields.String(validate=_one_of(ApplicationState))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    history = fields.List(fields.Nested(ApplicationEventSchema))
    html_url = fields.String(metadata={"description": "The application's page."})


class ApplicationArgsSchema(Schema):
    product_id = fields.Integer(required=True)
    purpose = fields.String(required=True, validate=validate.Length(max=2000))
    scenario = fields.String(required=True, validate=validate.Length(max=500))
    legal_basis = fields.String(required=True, validate=_one_of(LegalBasis))
    legal_basis_detail = fields.String(load_default="", validate=validate.Length(max=1000))
    operations = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String(), allow_none=True),
        load_default=dict, metadata={"description": (
            "The operations needed (<plugin>.<operation>) and, for each, the output fields "
            "needed (null: every field).")})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class ApplicationQueryArgsSchema(Schema):
    state = fields.String(load_default=None, validate=_one_of(ApplicationState),
                          metadata={"description": "Only applications in this state."})


class ScopeOperationSchema(Schema):
    fields_ = fields.List(fields.String(), data_key="fields", allow_none=True,
                          load_default=None)
    masking = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class DecisionArgsSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "narrow",
                                                                     "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    scope = fields.Dict(keys=fields.String(), values=fields.Nested(ScopeOperationSchema),
                        load_default=dict, metadata={"description": (
                            "For narrow: the operations approved, each with its fields "
                            "(null: as asked) and masking per field.")})


class AdminDecisionArgsSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class ReasonArgsSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
