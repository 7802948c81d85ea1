"""What discovery learnt about a plugin, as plain values the platform can keep and pass around.

A :class:`PluginDescription` is made where the plugin was loaded (the describing child process,
:mod:`marketplace.plugins.describe`) and travels as JSON; the platform keeps these, never the
plugin's objects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from marketplace.plugins.manager import LoadedPlugin, Origin, error_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManifestInfo:
    """A plugin's manifest as plain values (its settings model stays with the plugin)."""

    name: str
    version: str
    merchant: str
    sdk: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class OperationSpec:
    """An operation as plain JSON-ready values: what the platform knows without its code."""

    name: str
    summary: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    timeout_seconds: float
    pricing_hint: dict[str, Any] | None
    example_input: dict[str, Any] | None


@dataclass
class PluginDescription:
    """What discovery learnt about one plugin, in plain values, from a process of its own.

    The platform keeps these, never the plugin's objects: describing happens in a child
    process (:mod:`marketplace.plugins.describe`), so no plugin code runs in the platform
    before an operation of a trusted plugin is called.
    """

    name: str
    origin: Origin
    manifest: ManifestInfo | None = None
    operations: dict[str, OperationSpec] = field(default_factory=dict)
    governance_steps: list[dict[str, str]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    settings: dict[str, Any] | None = None  # the validated settings, as JSON
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)

    @property
    def builtin(self) -> bool:
        """The platform's own plugins declare no merchant; they default to trusted."""
        return self.manifest is not None and self.manifest.merchant == ""

    def capabilities(self) -> dict[str, list[str]]:
        return {
            "operations": sorted(self.operations),
            "governance_steps": [f"{step['kind']}:{step['name']}"
                                 for step in self.governance_steps],
            "models": [model["name"] for model in self.models],
            "events": list(self.events),
        }

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self)
        wire["origin"] = self.origin.to_wire()
        return wire

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> PluginDescription:
        manifest = wire.get("manifest")
        return cls(
            name=str(wire["name"]),
            origin=Origin(**wire["origin"]),
            manifest=ManifestInfo(**manifest) if manifest else None,
            operations={name: OperationSpec(**spec)
                        for name, spec in (wire.get("operations") or {}).items()},
            governance_steps=list(wire.get("governance_steps") or []),
            models=list(wire.get("models") or []),
            events=list(wire.get("events") or []),
            settings=wire.get("settings"),
            error=str(wire.get("error") or ""),
        )


def describe_loaded(loaded: LoadedPlugin) -> PluginDescription:
    """The plain description of a plugin loaded in this process; a plugin whose schemas cannot
    be produced is described as failed."""
    manifest = loaded.manifest
    description = PluginDescription(
        name=loaded.name, origin=loaded.origin, error=loaded.error,
        manifest=ManifestInfo(name=manifest.name, version=str(manifest.version),
                              merchant=manifest.merchant, sdk=str(manifest.sdk),
                              title=manifest.title, description=manifest.description)
        if manifest is not None else None,
    )
    if loaded.failed:
        return description
    try:
        description.operations = {
            name: OperationSpec(
                name=operation.name, summary=operation.summary,
                description=operation.description,
                input_schema=operation.input_schema(), output_schema=operation.output_schema(),
                timeout_seconds=float(operation.timeout_seconds),
                pricing_hint=asdict(operation.pricing_hint) if operation.pricing_hint else None,
                example_input=operation.example_input,
            )
            for name, operation in loaded.operations.items()
        }
        description.governance_steps = [
            {"kind": step.kind, "name": step.name, "summary": step.summary,
             "keeps": step.keeps, "destroys": step.destroys}
            for step in loaded.governance_steps
        ]
        description.models = [
            {"name": model.name, "summary": model.summary, "card": asdict(model.card)}
            for model in loaded.models
        ]
        description.events = list(loaded.events)
        if loaded.settings is not None:
            description.settings = loaded.settings.model_dump(mode="json")
    except Exception as exc:
        log.warning("plugin %s could not be described", loaded.name, exc_info=True)
        return PluginDescription(
            name=loaded.name, origin=loaded.origin, manifest=description.manifest,
            error=f"It failed while registering its capabilities: {error_text(exc)}")
    return description
