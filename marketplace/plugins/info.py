"""Operations and models as the platform describes them to the rest of the app: plain values,
no plugin objects. Pages, forms and the gateway read these; only the runtime makes them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from marketplace.plugins.descriptions import OperationSpec, PluginDescription


@dataclass(frozen=True)
class OperationInfo:
    """An operation as the platform describes it: plain values, no plugin objects."""

    plugin: str
    name: str
    summary: str
    description: str
    merchant: str  # the owning organization's credit code; "" for the platform's own plugins
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    timeout_seconds: float
    pricing_hint: dict[str, Any] | None
    example_input: dict[str, Any] | None


@dataclass(frozen=True)
class ModelInfo:
    """A model a plugin registered, with its model card (plain values)."""

    plugin: str
    name: str
    summary: str
    training_data: str
    metrics: dict[str, float]
    version: str
    intended_use: str
    limitations: str


def describe_operation(plugin: PluginDescription, operation: OperationSpec) -> OperationInfo:
    """A description of its own (the schemas are copies the caller may change)."""
    assert plugin.manifest is not None
    return OperationInfo(
        plugin=plugin.name,
        name=operation.name,
        summary=operation.summary,
        description=operation.description,
        merchant=plugin.manifest.merchant,
        input_schema=copy.deepcopy(operation.input_schema),
        output_schema=copy.deepcopy(operation.output_schema),
        timeout_seconds=operation.timeout_seconds,
        pricing_hint=dict(operation.pricing_hint) if operation.pricing_hint else None,
        example_input=copy.deepcopy(operation.example_input),
    )


def models_of(plugin: PluginDescription | None) -> list[ModelInfo]:
    """The models (with their cards) a loaded plugin registered, as discovery found them."""
    if plugin is None or plugin.failed:
        return []
    found = []
    for model in plugin.models:
        card = model.get("card") or {}
        found.append(ModelInfo(
            plugin=plugin.name, name=str(model.get("name", "")),
            summary=str(model.get("summary", "")),
            training_data=str(card.get("training_data", "")),
            metrics={str(k): float(v) for k, v in (card.get("metrics") or {}).items()},
            version=str(card.get("version", "")),
            intended_use=str(card.get("intended_use", "")),
            limitations=str(card.get("limitations", ""))))
    return found
