"""Errors of the JSON API as ``application/problem+json`` (RFC 9457), documented in OpenAPI.

HTTP errors (``abort``, webargs' 422) already become problem documents through the app's handler
in :mod:`marketplace.web.errors`. :func:`domain_error_problem` does the same for the services'
:class:`~marketplace.errors.DomainError`: a blueprint registers it, and its views then call
services without a ``try``; the request's transaction is rolled back before answering.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from marketplace.db import get_session
from marketplace.errors import DomainError, ValidationFailed
from marketplace.web.errors import problem_response

PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    """An RFC 9457 problem document, as every API error is answered."""

    type = fields.String(metadata={"description": "Always about:blank: the status says it all."})
    title = fields.String(metadata={"description": "What kind of error, in the reader's "
                                                   "language."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "A sentence the user can act on."})
    errors = fields.Dict(metadata={"description": "For invalid input: messages by location "
                                                  "(json, query) and field name."})
    code = fields.String(metadata={"description": "For a refused payment: the provider's "
                                                  "code, e.g. card_declined."})
    application_url = fields.String(metadata={
        "description": "For a product that needs an approved authorization application you "
                       "do not have: the application form."})
    order_state = fields.String(metadata={
        "description": "For a payment refused because the order is paid, closed or being "
                       "paid by another request: the order's state now."})


def domain_error_problem(error: DomainError, *, field_names: dict[str, str] | None = None):
    """A service's refusal as a problem document with its status code and sentence.

    A :class:`ValidationFailed` lists its field messages under ``errors.json``, as webargs
    does for a body that fails its schema; ``field_names`` renames the services' field names to
    the API's (``{"plan": "plan_id"}``).
    """
    get_session().rollback()
    extra: dict = {}
    if isinstance(error, ValidationFailed):
        names = field_names or {}
        extra["errors"] = {"json": {names.get(name, name): [str(m) for m in messages]
                                    for name, messages in error.field_errors.items()}}
    if code := getattr(error, "code", None):
        extra["code"] = code
    extra.update(getattr(error, "problem_extra", None) or {})
    return problem_response(error.status_code, str(error), **extra)


def refusals_422(*rules: str) -> dict:
    """The documentation of an operation's 422: invalid input, and each business rule that can
    refuse it (``@blp.doc(**refusals_422(...))``); replaces flask-smorest's generic one."""
    described = "; ".join(rules)
    return {"responses": {"422": {
        "description": (
            "Invalid input (each field's messages under errors.json or errors.query), or "
            f"a business rule refused it: {described}. The detail is a sentence for the user."),
        "content": {PROBLEM_JSON: {"schema": ProblemSchema}},
    }}}
