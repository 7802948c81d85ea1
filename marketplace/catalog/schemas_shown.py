"""An operation's JSON Schemas as people read them: a table of fields (nested ones by path) and
an example input to start from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.plugins.runtime import OperationInfo

#: Nested objects deeper than this are shown in the raw JSON Schema only.
MAX_SCHEMA_DEPTH = 4


@dataclass(frozen=True)
class SchemaProperty:
    """One field of a JSON Schema, as a row of a table. ``name`` is a path for nested fields
    (``address.city``, ``items[].code``)."""

    name: str
    type: str
    required: bool
    description: str
    constraints: list[str] = field(default_factory=list)
    depth: int = 0


def _resolve(node: Any, defs: dict[str, Any], seen: frozenset[str] = frozenset()) -> tuple[
        dict[str, Any], frozenset[str]]:
    """``node`` with a ``$ref`` (or a lone ``allOf`` of one) replaced by its definition; the
    node's own keys (a description, a default) win over the definition's."""
    if not isinstance(node, dict):
        return {}, seen
    ref = node.get("$ref")
    if ref is None and isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        ref = node["allOf"][0].get("$ref") if isinstance(node["allOf"][0], dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return node, seen
    name = ref.removeprefix("#/$defs/")
    if name in seen:  # a recursive model: stop here
        return {key: value for key, value in node.items() if key not in ("$ref", "allOf")}, seen
    target, seen = _resolve(defs.get(name, {}), defs, seen | {name})
    extra = {key: value for key, value in node.items() if key not in ("$ref", "allOf")}
    return {**target, **extra}, seen


def _alternatives(node: dict[str, Any]) -> list[Any]:
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            return node[key]
    return []


def _type_text(node: dict[str, Any], defs: dict[str, Any], seen: frozenset[str]) -> str:
    alternatives = _alternatives(node)
    if alternatives:
        texts = []
        for option in alternatives:
            resolved, option_seen = _resolve(option, defs, seen)
            texts.append(_type_text(resolved, defs, option_seen))
        return " | ".join(dict.fromkeys(texts))
    kind = node.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        items, _seen = _resolve(node.get("items", {}), defs, seen)
        return f"array<{_type_text(items, defs, seen)}>" if items else "array"
    if kind:
        return str(kind)
    if "enum" in node or "const" in node:
        return "enum" if "enum" in node else "const"
    if "properties" in node:
        return "object"
    return "any"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# JSON Schema keyword -> how a buyer reads it; the keyword's value fills the placeholder.
_CONSTRAINT_TEXTS = (
    ("const", _l("always %(value)s"), "value"),
    ("format", _l("format: %(format)s"), "format"),
    ("minLength", _l("at least %(n)s characters"), "n"),
    ("maxLength", _l("at most %(n)s characters"), "n"),
    ("pattern", _l("matches the pattern %(pattern)s"), "pattern"),
    ("minimum", _l("at least %(n)s"), "n"),
    ("exclusiveMinimum", _l("more than %(n)s"), "n"),
    ("maximum", _l("at most %(n)s"), "n"),
    ("exclusiveMaximum", _l("less than %(n)s"), "n"),
    ("multipleOf", _l("a multiple of %(n)s"), "n"),
    ("minItems", _l("at least %(n)s items"), "n"),
    ("maxItems", _l("at most %(n)s items"), "n"),
)


def _constraints(node: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "enum" in node:
        out.append(str(_l("one of: %(values)s",
                          values=", ".join(_json(v) for v in node["enum"]))))
    for keyword, text, placeholder in _CONSTRAINT_TEXTS:
        if keyword in node:
            value = _json(node[keyword]) if keyword == "const" else node[keyword]
            out.append(str(text) % {placeholder: value})
    if node.get("uniqueItems"):
        out.append(str(_l("no repeated items")))
    if node.get("default") is not None:  # a null default says no more than "optional"
        out.append(str(_l("default: %(value)s", value=_json(node["default"]))))
    return out


def _merged(node: dict[str, Any], defs: dict[str, Any],
            seen: frozenset[str]) -> dict[str, Any]:
    """For an optional field (``anyOf: [X, null]``), X's constraints with the node's own keys."""
    merged = dict(node)
    for option in _alternatives(node):
        resolved, _seen = _resolve(option, defs, seen)
        if resolved.get("type") != "null":
            merged = {**resolved, **{k: v for k, v in node.items()
                                     if k not in ("anyOf", "oneOf")}}
            break
    return merged


def _rows(node: dict[str, Any], defs: dict[str, Any], seen: frozenset[str], prefix: str,
          depth: int) -> list[SchemaProperty]:
    rows: list[SchemaProperty] = []
    required = set(node.get("required") or [])
    for name, raw in (node.get("properties") or {}).items():
        prop, prop_seen = _resolve(raw, defs, seen)
        merged = _merged(prop, defs, prop_seen)
        path = f"{prefix}{name}"
        rows.append(SchemaProperty(
            name=path,
            type=_type_text(prop, defs, prop_seen),
            required=name in required,
            description=str(merged.get("description") or ""),
            constraints=_constraints(merged),
            depth=depth,
        ))
        if depth + 1 >= MAX_SCHEMA_DEPTH:
            continue
        inner, inner_seen = _resolve(merged, defs, prop_seen)
        if inner.get("type") == "array":
            items, items_seen = _resolve(inner.get("items", {}), defs, inner_seen)
            if items.get("properties"):
                rows.extend(_rows(items, defs, items_seen, f"{path}[].", depth + 1))
        elif inner.get("properties"):
            rows.extend(_rows(inner, defs, inner_seen, f"{path}.", depth + 1))
    return rows


def schema_rows(schema: dict[str, Any]) -> list[SchemaProperty]:
    """The fields of a JSON Schema (as pydantic writes them) as rows: path, type, whether it is
    required, description and constraints in words. Nested objects and lists of objects give
    rows of their own; a schema whose top level is not an object gives one row for the value."""
    defs = schema.get("$defs") or {}
    top, seen = _resolve(schema, defs)
    if top.get("type") == "object" or "properties" in top:
        return _rows(top, defs, seen, "", 0)
    return [SchemaProperty(name=str(_l("(the whole value)")), type=_type_text(top, defs, seen),
                           required=True, description=str(top.get("description") or ""),
                           constraints=_constraints(_merged(top, defs, seen)))]


def _skeleton(node: Any, defs: dict[str, Any], seen: frozenset[str], depth: int) -> Any:
    node, seen = _resolve(node, defs, seen)
    if "default" in node:
        return node["default"]
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    for option in _alternatives(node):
        resolved, _seen = _resolve(option, defs, seen)
        if resolved.get("type") != "null":
            return _skeleton(resolved, defs, seen, depth)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth >= MAX_SCHEMA_DEPTH:
            return {}
        return {name: _skeleton(prop, defs, seen, depth + 1)
                for name, prop in (node.get("properties") or {}).items()}
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [],
            "null": None}.get(kind if isinstance(kind, str) else "", None)


def example_payload(info: OperationInfo) -> dict[str, Any]:
    """What the try-it console starts from: the operation's ``example_input``, else a skeleton
    of its input schema (defaults where given, empty values of the right type elsewhere)."""
    if info.example_input is not None:
        return dict(info.example_input)
    schema = info.input_schema
    skeleton = _skeleton(schema, schema.get("$defs") or {}, frozenset(), 0)
    return skeleton if isinstance(skeleton, dict) else {}


def pretty_json(value: Any) -> str:
    """JSON for people to read: indented, non-ASCII characters kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)
