"""Plugin operations as the catalog sees them.

Which operations a merchant may attach to a listing (its own organization's, matched by the
plugin manifest's unified social credit code, and the platform's own), what a listing's attached
operation looks like to buyers (its schemas as readable rows), and running one from the
merchant's try-it console. Plugins stay behind the runtime (:mod:`marketplace.plugins`): this
module reads :class:`~marketplace.plugins.runtime.OperationInfo` values from it and calls
:meth:`~marketplace.plugins.runtime.PluginRuntime.invoke`, nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from datamarket_sdk import Scope
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.catalog.models import Listing
from marketplace.errors import ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import OperationNotFound
from marketplace.plugins.runtime import ModelInfo, OperationInfo, Snapshot

#: Joins a plugin and an operation name in form values: neither name can contain it.
REF_SEPARATOR = "."
#: Nested objects deeper than this are shown in the raw JSON Schema only.
MAX_SCHEMA_DEPTH = 4


def operation_ref(plugin: str, name: str) -> str:
    """How a form names an operation: ``"plugin.operation"``."""
    return f"{plugin}{REF_SEPARATOR}{name}"


def parse_operation_ref(ref: str | None) -> tuple[str, str] | None:
    """``("plugin", "operation")`` from a form value; None for an empty value.

    :raises ValueError: for a value that does not name an operation.
    """
    ref = (ref or "").strip()
    if not ref:
        return None
    plugin, separator, name = ref.partition(REF_SEPARATOR)
    if not (separator and plugin and name) or REF_SEPARATOR in name:
        raise ValueError(ref)
    return plugin, name


# ---------------------------------------------------------------------------- who owns what


@dataclass(frozen=True)
class OperationOwner:
    """An operation as the policy sees it (``operation.try``): who owns its plugin.

    ``merchant`` is the plugin manifest's credit code (``""`` for the platform's own plugins);
    ``organization_id`` is the registered organization with that code, if there is one.
    """

    plugin: str
    operation: str
    merchant: str
    organization_id: int | None

    @property
    def is_platform(self) -> bool:
        return self.merchant == ""


def owner_of(session: Session, info: OperationInfo) -> OperationOwner:
    """Who owns ``info``'s plugin, for the policy."""
    organization_id = None
    if info.merchant:
        organization_id = session.exec(
            select(MerchantOrganization.id).where(MerchantOrganization.credit_code == info.merchant)
        ).first()
    return OperationOwner(info.plugin, info.name, info.merchant, organization_id)


def _belongs_to(info: OperationInfo, organization: MerchantOrganization) -> bool:
    return info.merchant == "" or info.merchant == organization.credit_code


def attachable_operations(organization: MerchantOrganization) -> list[OperationInfo]:
    """Operations of enabled plugins that ``organization`` may attach to its listings: its own
    (manifest merchant = its credit code) first, then the platform's, by plugin and name."""
    found = [info for info in get_runtime().operations() if _belongs_to(info, organization)]
    return sorted(found, key=lambda info: (info.merchant == "", info.plugin, info.name))


def check_attachable(organization: MerchantOrganization, plugin: str,
                     name: str) -> OperationInfo:
    """The operation ``plugin.name`` if ``organization`` may attach it to a listing now.

    :raises ValidationFailed: under ``operation``, saying why not: no enabled plugin offers it,
        or it belongs to another merchant's plugin.
    """
    try:
        info = get_runtime().operation(plugin, name)
    except OperationNotFound:
        raise ValidationFailed({"operation": [str(_l(
            "The operation “%(operation)s” of plugin “%(plugin)s” is not available: the plugin "
            "is not installed, failed to load or is disabled. Choose another operation, or "
            "none.", operation=name, plugin=plugin))]}) from None
    if not _belongs_to(info, organization):
        raise ValidationFailed({"operation": [str(_l(
            "The operation “%(operation)s” belongs to another merchant's plugin “%(plugin)s”. "
            "You can attach your own organization's operations and the platform's.",
            operation=name, plugin=plugin))]})
    return info


def validate_operation_ref(organization: MerchantOrganization,
                           ref: str | None) -> dict[str, str | None]:
    """The ``plugin_name`` and ``operation_name`` of a listing, from the editor's value.

    :raises ValidationFailed: under ``operation``, for a value that names no operation the
        organization may attach.
    """
    try:
        parsed = parse_operation_ref(ref)
    except ValueError:
        raise ValidationFailed(
            {"operation": [str(_l("Choose a plugin operation from the list, or none."))]}
        ) from None
    if parsed is None:
        return {"plugin_name": None, "operation_name": None}
    info = check_attachable(organization, *parsed)
    return {"plugin_name": info.plugin, "operation_name": info.name}


# ---------------------------------------------------------------------------- showing schemas


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


# ---------------------------------------------------------------------------- a listing's operation


@dataclass(frozen=True)
class AttachedOperation:
    """A listing's operation as its pages show it. ``info`` is None while no enabled plugin
    offers it (disabled, failed, uninstalled): the page then says it is unavailable."""

    plugin: str
    name: str
    info: OperationInfo | None

    @property
    def ref(self) -> str:
        return operation_ref(self.plugin, self.name)

    @property
    def available(self) -> bool:
        return self.info is not None

    @property
    def input_rows(self) -> list[SchemaProperty]:
        return schema_rows(self.info.input_schema) if self.info else []

    @property
    def output_rows(self) -> list[SchemaProperty]:
        return schema_rows(self.info.output_schema) if self.info else []

    @property
    def input_json(self) -> str:
        return pretty_json(self.info.input_schema) if self.info else ""

    @property
    def output_json(self) -> str:
        return pretty_json(self.info.output_schema) if self.info else ""

    def document(self) -> dict[str, Any]:
        """The operation as the JSON API presents it."""
        info = self.info
        return {
            "plugin": self.plugin,
            "name": self.name,
            "summary": info.summary if info else "",
            "description": info.description if info else "",
            "available": info is not None,
            "input_schema": info.input_schema if info else None,
            "output_schema": info.output_schema if info else None,
        }


def attached_operations(listings: Iterable[Listing]) -> dict[int, AttachedOperation]:
    """The attached operation of each listing that has one, by listing id, in one read of the
    plugins' records however many listings there are."""
    listings = [listing for listing in listings if listing.plugin_name and listing.operation_name]
    if not listings:
        return {}
    infos = get_runtime().operations_by_ref(
        (listing.plugin_name, listing.operation_name) for listing in listings)
    return {listing.id: AttachedOperation(listing.plugin_name, listing.operation_name,
                                          infos[(listing.plugin_name, listing.operation_name)])
            for listing in listings}


def attached_operation(listing: Listing) -> AttachedOperation | None:
    """The operation ``listing`` sells, if it has one."""
    return attached_operations([listing]).get(listing.id)


def model_cards(listing: Listing) -> list[ModelInfo]:
    """The model cards of the models behind the operation ``listing`` sells: the models of its
    plugin whose name begins the operation's (``credit_risk`` for ``credit_risk_score``), or
    the plugin's only model."""
    if not (listing.plugin_name and listing.operation_name):
        return []
    models = get_runtime().models(listing.plugin_name)
    fitting = [model for model in models if listing.operation_name.startswith(model.name)]
    return fitting or (models if len(models) == 1 else [])


# ---------------------------------------------------------------------------- the try-it console


def console_operations(session: Session, actor: User, snapshot: Snapshot | None = None
                       ) -> list[tuple[OperationInfo, OperationOwner]]:
    """The operations ``actor`` may run in the try-it console, with their owners: a merchant's
    own organization's first, then the platform's; admins see every enabled operation.

    :param snapshot: the plugins' records as read once for this request (read now if not given).
    """
    organization = session.get(MerchantOrganization, actor.organization_id) \
        if actor.organization_id else None
    found = []
    for info in get_runtime().operations(snapshot):
        if actor.is_admin or (organization is not None and _belongs_to(info, organization)):
            found.append((info, owner_of(session, info)))
    return sorted(found, key=lambda pair: (pair[0].merchant == "", pair[0].plugin, pair[0].name))


def console_buyer(actor: User) -> str:
    """The pseudonymous buyer id a console call runs under: the merchant's organization (an
    admin without one is named by user id)."""
    if actor.organization_id:
        return f"merchant-console:{actor.organization_id}"
    return f"merchant-console:admin-{actor.id}"


def try_operation(actor: User, info: OperationInfo, payload: dict[str, Any],
                  snapshot: Snapshot | None = None) -> dict[str, Any]:
    """Run ``info`` once for the try-it console, with a scope covering only that operation.

    The caller has asked the policy (``operation.try``). Nothing is billed or metered.
    ``snapshot``: the plugins' records as read once for this request (read now if not given).

    :raises marketplace.plugins.errors.InvocationError: as
        :meth:`~marketplace.plugins.runtime.PluginRuntime.invoke` does (bad input, not found,
        fault or timeout with an incident id, paused with a retry-after).
    """
    return get_runtime().invoke(info.plugin, info.name, payload, buyer=console_buyer(actor),
                                scope=Scope(operations=frozenset({info.name})),
                                snapshot=snapshot)
