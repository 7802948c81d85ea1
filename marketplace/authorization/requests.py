"""What an application may ask for and a merchant may grant: the listing's operations with
their output fields (from the operations' schemas), and the governance plugin's masking
strategies. Requests and narrower decisions are checked here and come back in the shape of an
entitlement's scope (:mod:`marketplace.delivery.scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from marketplace.catalog import listing_operations
from marketplace.catalog.models import DeliveryForm, Listing
from marketplace.datasets.models import Dataset
from marketplace.delivery.scope import DATASET_REF
from marketplace.errors import ValidationFailed
from marketplace.plugins import get_runtime

#: ``{ref: [field, ...] or None}``: the operations chosen and, for each, the output fields
#: (None: every field of the operation).
Chosen = Mapping[str, Iterable[str] | None]


@dataclass(frozen=True)
class RequestableOperation:
    """An operation of the listing as the application form offers it."""

    plugin: str
    name: str
    summary: str
    #: The output schema's top-level properties; empty when unknown (plugin unavailable, or a
    #: schema without properties): the operation is then asked for whole.
    fields: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.plugin}.{self.name}"


def output_fields(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    properties = (schema or {}).get("properties")
    return tuple(properties) if isinstance(properties, Mapping) else ()


def requestable_operations(session: Session, listing: Listing) -> list[RequestableOperation]:
    """The operations ``listing`` sells, in its order, with their output fields; a data
    package's download last, with its dataset's columns."""
    pairs = listing_operations.operations_of(session, listing)
    infos = get_runtime().operations_by_ref(pairs) if pairs else {}
    found = []
    for plugin, name in pairs:
        info = infos.get((plugin, name))
        found.append(RequestableOperation(plugin, name, info.summary if info else "",
                                          output_fields(info.output_schema) if info else ()))
    if listing.delivery_form == DeliveryForm.DATA_PACKAGE:
        dataset = session.get(Dataset, listing.dataset_id) if listing.dataset_id else None
        plugin, _, name = DATASET_REF.partition(".")
        found.append(RequestableOperation(
            plugin, name, str(_l("Download of the data package (its columns)")),
            tuple(column["name"] for column in dataset.columns) if dataset else ()))
    return found


def masking_strategies() -> list[str]:
    """The masking strategies the loaded governance plugins offer, by name."""
    return sorted({step.get("name", "") for plugin in get_runtime().plugins.values()
                   if not plugin.failed for step in plugin.governance_steps
                   if step.get("kind") == "masking"} - {""})


def clean_request(operations: list[RequestableOperation], chosen: Chosen) -> dict[str, Any]:
    """A buyer's request as a scope (no masking).

    :raises ValidationFailed: under ``operations``: an operation the product does not sell,
        none chosen when it sells some, or a field its operation does not output.
    """
    offered = {op.ref: op for op in operations}
    errors: list[str] = []
    scope: dict[str, Any] = {}
    for ref, fields in chosen.items():
        op = offered.get(ref)
        if op is None:
            errors.append(str(_l("“%(ref)s” is not an operation of this product.", ref=ref)))
            continue
        scope[ref] = {"fields": _fields(op, fields, errors), "masking": {}}
    if operations and not scope and not errors:
        errors.append(str(_l("Choose at least one operation you need.")))
    if errors:
        raise ValidationFailed({"operations": errors})
    return {"operations": scope}


def _fields(op: RequestableOperation, fields: Iterable[str] | None,
            errors: list[str]) -> list[str] | None:
    if not op.fields:
        return None
    if fields is None:
        return sorted(op.fields)
    fields = sorted(set(fields))
    unknown = [name for name in fields if name not in op.fields]
    if unknown:
        errors.append(str(_l("%(ref)s has no output field %(fields)s.", ref=op.ref,
                             fields=", ".join(unknown))))
    elif not fields:
        errors.append(str(_l("Choose at least one output field of %(ref)s.", ref=op.ref)))
    return fields


def clean_narrowing(base: Mapping[str, Any], chosen: Chosen,
                    masking: Mapping[str, Mapping[str, str]],
                    strategies: Iterable[str]) -> dict[str, Any]:
    """A merchant's narrower decision as a scope: within ``base`` (what was asked for, or what
    is approved now), with masking per field. Masking already approved stays.

    :raises ValidationFailed: under ``operations`` or ``masking``, naming what is wider than
        ``base`` or unknown.
    """
    strategies = set(strategies)
    base_ops = (base or {}).get("operations") or {}
    errors: dict[str, list[str]] = {}
    scope: dict[str, Any] = {}
    for ref, fields in chosen.items():
        granted = base_ops.get(ref)
        if granted is None:
            errors.setdefault("operations", []).append(str(_l(
                "“%(ref)s” was not asked for: approve only operations in the application.",
                ref=ref)))
            continue
        allowed = granted.get("fields")
        fields = sorted(set(fields)) if fields is not None else allowed
        if allowed is not None and not set(fields or ()) <= set(allowed):
            errors.setdefault("operations", []).append(str(_l(
                "%(ref)s: only the fields asked for can be approved (%(fields)s).", ref=ref,
                fields=", ".join(allowed))))
            continue
        if fields is not None and not fields:
            errors.setdefault("operations", []).append(str(_l(
                "%(ref)s: keep at least one field, or leave the operation out.", ref=ref)))
            continue
        kept = {name: strategy for name, strategy in (granted.get("masking") or {}).items()
                if fields is None or name in fields}
        masks = {**dict(masking.get(ref) or {}), **kept}
        for name, strategy in sorted(masks.items()):
            if strategy not in strategies:
                errors.setdefault("masking", []).append(str(_l(
                    "“%(strategy)s” is not a masking strategy the platform offers.",
                    strategy=strategy)))
            elif fields is not None and name not in fields:
                errors.setdefault("masking", []).append(str(_l(
                    "%(ref)s: “%(field)s” is masked but not approved.", ref=ref, field=name)))
        scope[ref] = {"fields": fields, "masking": dict(sorted(masks.items()))}
    if base_ops and not scope and not errors:
        errors["operations"] = [str(_l(
            "Approve at least one operation, or reject the application."))]
    if errors:
        raise ValidationFailed(errors)
    return {"operations": scope}
