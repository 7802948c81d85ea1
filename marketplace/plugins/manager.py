"""Finding plugins and reading what they offer, one plugin at a time.

Plugins come from the entry-point group ``datamarket`` (the platform's own governance tools and
AI models are ordinary distributions found this way) and from a local folder for development
(each ``*.py`` file or package in it). ``DATAMARKET_DISABLE_PLUGIN_AUTOLOAD`` switches both off,
as ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` does for pytest.

Each plugin is imported, registered, checked with ``check_pending()`` (a misspelt hook fails that
plugin, not the platform), asked for its manifest, checked against the SDK version, and asked for
its capabilities through its own hook implementations, so we know which plugin offered what. A
plugin that fails any step is kept as a :class:`LoadedPlugin` with its ``error`` and unregistered;
the platform keeps starting.

This module has no Flask in it. The platform never runs it on a plugin at discovery: the
describing child (:mod:`marketplace.plugins.describe`) and the worker process
(:mod:`marketplace.plugins.worker`) do, and the runtime only when a trusted plugin's operation
is first called. What the platform keeps is a
:class:`~marketplace.plugins.descriptions.PluginDescription`, plain values.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
import pydantic
from datamarket_sdk import (
    EntitlementEvent,
    Finding,
    GovernanceStep,
    ListingSnapshot,
    Manifest,
    ModelSpec,
    Operation,
    OrderPaid,
    hookimpl,
    hookspecs,
)
from datamarket_sdk.compat import check_sdk_compatibility

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "datamarket"
#: The hooks a plugin registers its capabilities with; every other hook is an event.
REGISTRATION_HOOKS = ("datamarket_plugin_manifest", "datamarket_operations",
                      "datamarket_governance_steps", "datamarket_models")
HOOK_PREFIX = "datamarket_"


@dataclass(frozen=True)
class EventHook:
    """How an event reaches a plugin: the hook's argument and the SDK type it carries."""

    argument: str
    event_type: type
    #: What the hook returns, as JSON data: a finding per item, or nothing.
    returns_findings: bool = False


#: Every event hook, by the name plugins list in their ``events`` (the hook without its prefix).
EVENT_HOOKS = {
    "order_paid": EventHook("event", OrderPaid),
    "entitlement_granted": EventHook("event", EntitlementEvent),
    "entitlement_revoked": EventHook("event", EntitlementEvent),
    "listing_submitted": EventHook("listing", ListingSnapshot, returns_findings=True),
}


def event_result_to_wire(event: str, result: Any) -> list[dict[str, Any]] | None:
    """A plugin's answer to ``event`` as JSON data; a wrong type raises :class:`TypeError`."""
    if not EVENT_HOOKS[event].returns_findings:
        return None
    items = list(result or [])
    wrong = [item for item in items if not isinstance(item, Finding)]
    if wrong:
        raise TypeError(f"datamarket_{event} returned {type(wrong[0]).__name__} where a "
                        "datamarket_sdk.Finding was expected")
    return [asdict(item) for item in items]


def call_event(manager: pluggy.PluginManager, loaded: LoadedPlugin, event: str,
               wire: Mapping[str, Any]) -> Any:
    """Hand the event described by ``wire`` to one loaded plugin; what its hook returned."""
    hook = EVENT_HOOKS[event]
    _implemented, result = own_hook_call(
        manager, loaded.plugin, HOOK_PREFIX + event,
        **{hook.argument: hook.event_type.from_wire(wire)})
    return result


class PluginLoadError(Exception):
    """A plugin could not be loaded; the message says why, in words an admin can act on."""


@dataclass(frozen=True)
class Origin:
    """How to import a plugin again (the worker process does): one of the two is set."""

    entry_point: str = ""  # an entry point's value, "module" or "module:attribute"
    path: str = ""  # a file or package folder in the local plugins folder

    def describe(self) -> str:
        return f"entry point {self.entry_point}" if self.entry_point else f"folder {self.path}"

    def to_wire(self) -> dict[str, str]:
        return {"entry_point": self.entry_point, "path": self.path}


@dataclass
class LoadedPlugin:
    """One discovered plugin: what it offers, or why it failed (``error``)."""

    name: str
    origin: Origin
    manifest: Manifest | None = None
    operations: dict[str, Operation] = field(default_factory=dict)
    governance_steps: list[GovernanceStep] = field(default_factory=list)
    models: list[ModelSpec] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    settings: Any = None
    error: str = ""
    #: The imported plugin object, to call its event hooks; None if it did not import.
    plugin: object = field(default=None, repr=False)

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
            "governance_steps": [f"{step.kind}:{step.name}" for step in self.governance_steps],
            "models": [model.name for model in self.models],
            "events": list(self.events),
        }


def build_manager() -> pluggy.PluginManager:
    """A plugin manager that knows every ``datamarket_*`` hook of the SDK."""
    manager = pluggy.PluginManager(hookimpl.project_name)
    manager.add_hookspecs(hookspecs)
    return manager


# ---------------------------------------------------------------------------- finding plugins


def candidates(plugins_dir: str | Path | None, autoload: bool) -> Iterator[tuple[str, Origin]]:
    """(provisional name, origin) of every plugin to try, entry points first."""
    for name, origin, _fingerprint in fingerprinted_candidates(plugins_dir, autoload):
        yield name, origin


def fingerprinted_candidates(plugins_dir: str | Path | None,
                             autoload: bool) -> Iterator[tuple[str, Origin, str]]:
    """Like :func:`candidates`, with a fingerprint that changes when the plugin's code does:
    the distribution's name, version and location for an entry point, the files' sizes and
    modification times for the local folder. Nothing of the plugin is imported."""
    if not autoload:
        return
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist = entry_point.dist
        fingerprint = (f"{dist.name} {dist.version} {dist.locate_file('')}"
                       if dist is not None else "")
        yield entry_point.name, Origin(entry_point=entry_point.value), fingerprint
    if plugins_dir:
        folder = Path(plugins_dir)
        if not folder.is_dir():
            log.warning("DATAMARKET_PLUGINS_DIR %s is not a folder; no local plugins", folder)
            return
        for path in sorted(folder.iterdir()):
            if path.name.startswith((".", "_")):
                continue
            if (path.suffix == ".py" and path.is_file()) or (path / "__init__.py").is_file():
                yield path.stem, Origin(path=str(path.resolve())), _files_fingerprint(path)


def _files_fingerprint(path: Path) -> str:
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    parts = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        parts.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def import_origin(origin: Origin) -> object:
    """Import the plugin object (usually a module) that ``origin`` names."""
    if origin.entry_point:
        return EntryPoint(name="plugin", value=origin.entry_point, group=ENTRY_POINT_GROUP).load()
    return _import_path(Path(origin.path))


def _import_path(path: Path) -> ModuleType:
    # A name unique to the file, so that two folders with a same-named plugin do not collide,
    # and a fresh import each time (a test suite builds many apps on changing folders).
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"datamarket_local_{digest}_{path.stem}"
    package = path.is_dir()
    location = path / "__init__.py" if package else path
    spec = importlib.util.spec_from_file_location(
        name, location, submodule_search_locations=[str(path)] if package else None)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"{path} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    for loaded in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
        del sys.modules[loaded]
    sys.modules[name] = module  # pydantic resolves a model's annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


# ---------------------------------------------------------------------------- reading a plugin


def own_hook_call(manager: pluggy.PluginManager, plugin: object, hook: str,
                  **kwargs: Any) -> tuple[bool, Any]:
    """Call ``plugin``'s own implementation of ``hook``: (implemented?, result).

    Like Datasette, an implementation may take any subset of the hook's arguments.
    """
    for impl in getattr(manager.hook, hook).get_hookimpls():
        if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
            return True, impl.function(*[kwargs[name] for name in impl.argnames])
    return False, None


def error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_plugin(manager: pluggy.PluginManager, name: str, origin: Origin,
                settings: Mapping[str, Mapping[str, Any]] | None = None,
                taken: set[str] | frozenset[str] = frozenset()) -> LoadedPlugin:
    """Import, register and read one plugin; a failure is returned in ``error``, not raised.

    :param name: the name to show if the plugin fails before its manifest is read.
    :param settings: per plugin name, the values for its ``settings_model`` (if it has one).
    :param taken: plugin names already in use; a plugin claiming one of them fails.
    """
    loaded = LoadedPlugin(name=name, origin=origin)
    try:
        plugin = import_origin(origin)
    except BaseException as exc:  # a plugin's import may even call sys.exit()
        if isinstance(exc, KeyboardInterrupt):
            raise
        log.warning("plugin %s (%s) failed to import", name, origin.describe(), exc_info=True)
        loaded.error = f"It could not be imported: {error_text(exc)}"
        return loaded
    loaded.plugin = plugin
    registered_as = f"{name} ({origin.describe()})"
    try:
        manager.register(plugin, name=registered_as)
    except (pluggy.PluginValidationError, ValueError) as exc:
        log.warning("plugin %s could not be registered: %s", name, exc)
        loaded.error = f"It could not be registered: {error_text(exc)}"
        return loaded
    try:
        # Every plugin registered before this one passed, so a failure here is this one's.
        manager.check_pending()
        _read(manager, plugin, loaded, settings or {}, taken)
    except PluginLoadError as exc:
        loaded.error = str(exc)
    except pluggy.PluginValidationError as exc:
        loaded.error = f"It implements a hook that does not exist: {exc}"
    except Exception as exc:
        log.warning("plugin %s failed while registering its capabilities", loaded.name,
                    exc_info=True)
        loaded.error = f"It failed while registering its capabilities: {error_text(exc)}"
    if loaded.failed:
        log.warning("plugin %s is not loaded: %s", loaded.name, loaded.error)
        manager.unregister(plugin)
    return loaded


def _read(manager: pluggy.PluginManager, plugin: object, loaded: LoadedPlugin,
          settings: Mapping[str, Mapping[str, Any]], taken: set[str] | frozenset[str]) -> None:
    implemented, manifest = own_hook_call(manager, plugin, "datamarket_plugin_manifest")
    if not implemented:
        raise PluginLoadError("It does not implement datamarket_plugin_manifest, which every "
                              "plugin must.")
    if not isinstance(manifest, Manifest):
        raise PluginLoadError("Its datamarket_plugin_manifest returned "
                              f"{type(manifest).__name__}, not a datamarket_sdk.Manifest.")
    if manifest.name in taken:
        raise PluginLoadError(f"Another plugin is already loaded under the name {manifest.name}.")
    loaded.name = manifest.name
    loaded.manifest = manifest
    incompatible = check_sdk_compatibility(manifest.sdk)
    if incompatible:
        raise PluginLoadError(f"It is built for another SDK: {incompatible}.")
    if manifest.settings_model is not None:
        try:
            loaded.settings = manifest.settings_model(**settings.get(manifest.name, {}))
        except pydantic.ValidationError as exc:
            raise PluginLoadError(f"Its settings are invalid: {exc}") from None

    operations = _registered(manager, plugin, "datamarket_operations", Operation)
    for operation in operations:
        if operation.name in loaded.operations:
            raise PluginLoadError(f"It registers the operation {operation.name} twice.")
        loaded.operations[operation.name] = operation
    loaded.governance_steps = _registered(manager, plugin, "datamarket_governance_steps",
                                          GovernanceStep)
    loaded.models = _registered(manager, plugin, "datamarket_models", ModelSpec)
    loaded.events = sorted(
        hook.removeprefix(HOOK_PREFIX)
        for hook, caller in vars(manager.hook).items()
        if hook.startswith(HOOK_PREFIX) and hook not in REGISTRATION_HOOKS
        and any(impl.plugin is plugin for impl in caller.get_hookimpls())
    )


def _registered(manager: pluggy.PluginManager, plugin: object, hook: str, kind: type) -> list:
    _implemented, items = own_hook_call(manager, plugin, hook)
    items = list(items or [])
    wrong = [item for item in items if not isinstance(item, kind)]
    if wrong:
        raise PluginLoadError(f"Its {hook} returned {type(wrong[0]).__name__} where a "
                              f"datamarket_sdk.{kind.__name__} was expected.")
    return items


def discover(manager: pluggy.PluginManager, *, plugins_dir: str | Path | None = None,
             autoload: bool = True,
             settings: Mapping[str, Mapping[str, Any]] | None = None) -> list[LoadedPlugin]:
    """Load every plugin found, one by one; failed ones are returned with their error.

    :param plugins_dir: the local plugins folder (``DATAMARKET_PLUGINS_DIR``), if any.
    :param autoload: False (the kill switch) loads nothing.
    :param settings: per plugin name, the values for its settings model.
    """
    found: list[LoadedPlugin] = []
    names: set[str] = set()
    for name, origin in candidates(plugins_dir, autoload):
        loaded = load_plugin(manager, name, origin, settings, names)
        if not loaded.failed:
            names.add(loaded.name)
        found.append(loaded)
    return found
