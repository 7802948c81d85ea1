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
import re
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
from marketplace.web.text_input import PLAIN_TEXT

OPENAPI_VERSION = "3.1.0"
#: A field name the gateway's ``?fields=`` takes, and how many at most.
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_FIELDS = 50
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


def _plain_text(node: Any) -> Any:
    """An input schema as the gateway takes it: its free text (and the names of an object's
    properties) without control characters, which the platform refuses with a 422 before any
    plugin sees them (:mod:`marketplace.web.text_input`)."""
    if isinstance(node, list):
        return [_plain_text(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _plain_text(value) for key, value in node.items()}
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and not {"pattern", "format", "enum", "const"} & set(node):
        node["pattern"] = PLAIN_TEXT
    if "object" in types:
        node.setdefault("propertyNames", {"pattern": PLAIN_TEXT})
        # fields an operation does not know are ignored, but still read for control characters
        node.setdefault("additionalProperties", {"$ref": "#/components/schemas/PlainJson"})
    return node


#: Any JSON value whose text has no control characters: what the gateway accepts (and the
#: operation ignores) in fields its input schema does not name.
PLAIN_JSON: dict[str, Any] = {
    "description": "Any JSON value whose text has no control characters.",
    "anyOf": [
        {"type": "string", "pattern": PLAIN_TEXT},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": "#/components/schemas/PlainJson"}},
        {"type": "object", "propertyNames": {"pattern": PLAIN_TEXT},
         "additionalProperties": {"$ref": "#/components/schemas/PlainJson"}},
    ],
}


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


def _answer(schema: dict[str, Any]) -> dict[str, Any]:
    """The operation's output as a buyer receives it: no field is sure to be there, since the
    entitlement's scope and ``?fields=`` leave fields out."""
    schema = {key: value for key, value in schema.items() if key != "required"}
    schema["description"] = " ".join(filter(None, [schema.get("description"), _(
        "Fields outside your entitlement's scope, or not asked for with ?fields=, are left "
        "out.")]))
    return schema


def _fields_pattern(output_schema: dict[str, Any]) -> str:
    """``?fields=``: a comma-separated list of the answer's fields (the gateway refuses an
    unknown one with a 422, and more than :data:`MAX_FIELDS` names)."""
    names = [name for name in (output_schema or {}).get("properties") or {}
             if FIELD_NAME.fullmatch(name)]
    one = f"({'|'.join(names)})" if names else FIELD_NAME.pattern
    return f"^{one}(,{one}){{0,{MAX_FIELDS - 1}}}$"


def _operation(product_id: int, attached: AttachedOperation,
               components: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    info = attached.info
    assert info is not None
    prefix = f"{info.plugin}.{info.name}."
    components[f"{prefix}Input"] = _component(_plain_text(info.input_schema), prefix,
                                              components)
    components[f"{prefix}Output"] = _answer(_component(info.output_schema, prefix,
                                                       components))
    operation: dict[str, Any] = {
        "operationId": f"{info.plugin}.{info.name}",
        "summary": info.summary or info.name,
        "parameters": [{
            "name": "fields", "in": "query", "required": False,
            "description": _("Only these fields of the answer, comma-separated "
                             "(within what your entitlement allows)."),
            "schema": {"type": "string", "pattern": _fields_pattern(info.output_schema)},
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
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA, "PlainJson": PLAIN_JSON}
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
