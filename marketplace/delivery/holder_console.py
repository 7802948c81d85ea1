"""The try-it console for entitlement holders: the operations an entitlement covers, each with
a sample input and, for inputs that take a file, the field an upload fills (base64 JSON).

The page itself calls nothing: the browser sends each call to the gateway with the key the
buyer types in (never stored in the page or sent to any other address), so every call is real,
metered and counted like a program's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from marketplace.catalog.schemas_shown import example_payload, pretty_json
from marketplace.delivery.models import Entitlement
from marketplace.delivery.scope import GrantedScope
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import OperationNotFound
from marketplace.plugins.runtime import OperationInfo


@dataclass(frozen=True)
class ConsoleOperation:
    info: OperationInfo
    url: str
    example: str
    #: Top-level input fields that take a file ({"filename", "content_base64"}).
    file_fields: tuple[str, ...]


def _resolve(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        return definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def file_fields(input_schema: dict[str, Any]) -> tuple[str, ...]:
    """The top-level properties whose schema (or one of its ``anyOf``) is a file upload."""
    definitions = input_schema.get("$defs") or {}
    found = []
    for name, schema in (input_schema.get("properties") or {}).items():
        choices = [_resolve(schema, definitions)]
        choices += [_resolve(option, definitions) for option in schema.get("anyOf") or []]
        if any("content_base64" in (choice.get("properties") or {})
               for choice in choices if isinstance(choice, dict)):
            found.append(name)
    return tuple(found)


def operations_for(entitlement: Entitlement) -> list[ConsoleOperation]:
    """The operations ``entitlement`` covers that are available now, for the console."""
    runtime = get_runtime()
    found = []
    for ref in sorted(GrantedScope.from_json(entitlement.scope).operations):
        plugin, _, name = ref.rpartition(".")
        if not plugin:
            continue
        try:
            info = runtime.operation(plugin, name)
        except OperationNotFound:
            continue
        found.append(ConsoleOperation(
            info, f"/api/v1/gateway/{entitlement.product_id}/{plugin}/{name}",
            pretty_json(example_payload(info)), file_fields(info.input_schema)))
    return found


def as_data(operations: list[ConsoleOperation]) -> str:
    """The operations as JSON for the page's script (no inline script: a data attribute)."""
    return json.dumps({op.url: {"example": op.example, "files": list(op.file_fields)}
                       for op in operations}, ensure_ascii=False)
