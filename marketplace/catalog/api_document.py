"""A product's API as an OpenAPI 3.1 document, built from its operations' JSON Schemas.

One path per operation of the listing, at the delivery gateway's URL
``POST /api/v1/gateway/<product_id>/<plugin>/<operation>``, with the API key as a bearer token,
the operation's input as the request body and its output as the 200 answer (with the
``X-Request-Id`` and ``X-Quota-Remaining`` headers), and every refusal the gateway gives as
``application/problem+json``. Shown on the product page and downloadable as
``/products/<id>/openapi.json``.

The operations' schemas are pydantic's JSON Schemas, whose ``$defs`` are referred to as
``#/$defs/Name``: inside an OpenAPI document ``#`` is the document, so each schema's
definitions move to ``components/schemas`` under names of their own
(``<plugin>.<operation>.<Name>``) and the references are rewritten to match.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from marketplace.catalog import listing_operations
from marketplace.catalog.models import Listing
from marketplace.catalog.operations import AttachedOperation
from marketplace.plugins import get_runtime

OPENAPI_VERSION = "3.1.0"
#: Every refusal the gateway can answer, by status, with what it means to the caller.
REFUSALS = {
    "401": _l("No API key, or one that is unknown, revoked or expired."),
    "403": _l("The key or its entitlement does not allow this operation or these fields; the "
           "problem says what the scope lacks."),
    "404": _l("No such product or operation, or the plugin found nothing for the input."),
    "422": _l("The input does not match the operation's input schema; the problem names the "
           "fields."),
    "429": _l("The rate limit or the quota is used up; Retry-After says when to try again."),
    "502": _l("The operation failed inside its plugin (with an incident id)."),
    "503": _l("The operation is paused or unavailable, or the answer cannot be masked as the "
           "entitlement requires; nothing is delivered."),
    "504": _l("The operation did not answer within its deadline (with an incident id)."),
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem: a sentence to act on, and details by status.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "incident": {"type": "string"},
        "errors": {"type": "object"},
    },
    "required": ["title", "status"],
}


def operations_sold(session: Session, listing: Listing) -> list[AttachedOperation]:
    """The operations ``listing`` sells (its ``listing_operation`` rows), in order, described
    (``info`` None for one that no enabled plugin offers now)."""
    pairs = listing_operations.operations_of(session, listing)
    infos = get_runtime().operations_by_ref(pairs) if pairs else {}
    return [AttachedOperation(plugin, name, infos[(plugin, name)]) for plugin, name in pairs]


def gateway_path(product_id: int, plugin: str, operation: str) -> str:
    return f"/api/v1/gateway/{product_id}/{plugin}/{operation}"


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {key: (f"#/components/schemas/{prefix}{value.removeprefix('#/$defs/')}"
                      if key == "$ref" and isinstance(value, str)
                      and value.startswith("#/$defs/") else _rewrite_refs(value, prefix))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node


def _component(schema: dict[str, Any], prefix: str,
               components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved into ``components`` under ``prefix``."""
    schema = copy.deepcopy(schema)
    for name, definition in (schema.pop("$defs", None) or {}).items():
        components[f"{prefix}{name}"] = _rewrite_refs(definition, prefix)
    return _rewrite_refs(schema, prefix)


def _responses(output_ref: str) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses: dict[str, Any] = {
        "200": {
            "description": _("The operation's answer, as the entitlement allows it."),
            "headers": {
                "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
                "X-Quota-Remaining": {"$ref": "#/components/headers/X-Quota-Remaining"},
            },
            "content": {"application/json": {"schema": {"$ref": output_ref}}},
        },
    }
    for status, meaning in REFUSALS.items():
        responses[status] = {"description": str(meaning), "content": problem}
        if status == "429":
            responses[status]["headers"] = {
                "Retry-After": {"description": "Seconds to wait before calling again.",
                                "schema": {"type": "integer", "minimum": 1}},
                "X-Quota-Remaining": {"$ref": "#/components/headers/X-Quota-Remaining"}}
    return responses


def _operation(product_id: int, attached: AttachedOperation,
               components: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    info = attached.info
    assert info is not None
    prefix = f"{info.plugin}.{info.name}."
    components[f"{prefix}Input"] = _component(info.input_schema, prefix, components)
    components[f"{prefix}Output"] = _component(info.output_schema, prefix, components)
    operation: dict[str, Any] = {
        "operationId": f"{info.plugin}.{info.name}",
        "summary": info.summary or info.name,
        "parameters": [{
            "name": "fields", "in": "query", "required": False,
            "description": _("Only these fields of the answer, comma-separated "
                             "(within what your entitlement allows)."),
            "schema": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_]"
                                                    "[A-Za-z0-9_]*)*$"},
        }],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{prefix}Input"},
            **({"example": info.example_input} if info.example_input else {}),
        }}},
        "responses": _responses(f"#/components/schemas/{prefix}Output"),
    }
    if info.description:
        operation["description"] = info.description
    return gateway_path(product_id, info.plugin, info.name), {"post": operation}


def product_document(listing: Listing, operations: Iterable[AttachedOperation],
                     server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``listing``'s API at ``server_url`` (the site's root).

    Operations no enabled plugin offers now are left out (the page says they are
    unavailable).
    """
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, Any] = {}
    for attached in operations:
        if attached.available:
            path, item = _operation(listing.product_id, attached, schemas)
            paths[path] = item
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": listing.title,
            "version": str(listing.version),
            "description": _("Calls to this product go through the Datamarket gateway with "
                             "your API key; each is checked against your entitlement and "
                             "counted against its quota."),
        },
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": _("An API key of yours (dmk_...), as “Authorization: Bearer "
                                 "<key>”."),
            }},
            "headers": {
                "X-Request-Id": {"description": _("The call's id, also in your usage records."),
                                 "schema": {"type": "string"}},
                "X-Quota-Remaining": {"description": _(
                    "Calls left in the entitlement's quota (absent when it has none; 0 on "
                    "the 429 of a spent quota)."),
                    "schema": {"type": "integer", "minimum": 0}},
            },
        },
    }


@dataclass(frozen=True)
class Endpoint:
    """One path of the document, as a row of the product page's table."""

    method: str
    path: str
    summary: str


def endpoints(document: dict[str, Any]) -> list[Endpoint]:
    return [Endpoint(method.upper(), path, item.get("summary", ""))
            for path, methods in document["paths"].items()
            for method, item in methods.items()]
