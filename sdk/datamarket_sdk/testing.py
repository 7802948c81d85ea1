"""pytest fixtures for plugin authors: call a plugin's operations without the platform.

Installing the SDK registers this module as a pytest plugin (entry point ``pytest11``), so a
plugin's tests can ask for these fixtures by name::

    def test_lookup(call_operation):
        result = call_operation(plugin, "lookup", {"code": "A1"},
                                datasets={"companies": [{"code": "A1", "name": "Acme"}]})
        assert result == {"name": "Acme"}

The plugin is loaded the way the platform loads it: through a pluggy plugin manager with the
SDK's hookspecs and ``check_pending()``, so a misspelt hook fails here as it would there. A call
gets the operation's ``timeout_seconds`` as the platform gives it: a handler still busy at the
deadline fails the call there with :class:`DeadlineExceeded`, as the platform stops it (the
handler's thread is left to finish in the background; its answer is dropped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pluggy
import pytest
from pydantic import BaseModel

from datamarket_sdk import hookspecs
from datamarket_sdk.compat import check_sdk_compatibility
from datamarket_sdk.context import Context, Dataset, Scope
from datamarket_sdk.errors import DeadlineExceeded
from datamarket_sdk.markers import PROJECT_NAME
from datamarket_sdk.types import Manifest, Operation

MakeContext = Callable[..., Context]
PluginOperations = Callable[[object], dict[str, Operation]]
CallOperation = Callable[..., dict[str, Any]]


def new_context(
    buyer: str = "buyer-test",
    scope: Scope | None = None,
    settings: Any = None,
    datasets: Mapping[str, list[dict[str, Any]] | Dataset] | None = None,
    timeout: float = 5.0,
) -> Context:
    """A context like the platform's: datasets given as ``{name: [row dict, ...]}``."""
    return Context(
        buyer=buyer,
        scope=scope if scope is not None else Scope(),
        settings=settings,
        logger=logging.getLogger("datamarket.plugin.test"),
        deadline=time.monotonic() + timeout,
        datasets={name: rows if isinstance(rows, Dataset) else Dataset.from_dicts(name, rows)
                  for name, rows in (datasets or {}).items()},
    )


def _expect(condition: bool, message: str) -> None:
    # An explicit raise, unlike assert, survives python -O.
    if not condition:
        raise AssertionError(message)


def load_plugin(plugin: object) -> tuple[Manifest, dict[str, Operation]]:
    """The manifest and operations of ``plugin`` (a module or object with hook implementations).

    :raises pluggy.PluginValidationError: a hook is misspelt or takes an unknown argument.
    :raises AssertionError: the manifest is missing, of the wrong type or needs another SDK, or
        the operations are not :class:`Operation` objects with unique names.
    """
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)
    manager.check_pending()

    manifests = manager.hook.datamarket_plugin_manifest()
    _expect(bool(manifests),
            "the plugin does not implement datamarket_plugin_manifest; every plugin must")
    manifest = manifests[0]
    _expect(isinstance(manifest, Manifest),
            f"datamarket_plugin_manifest returned a {type(manifest).__name__}, not a Manifest")
    problem = check_sdk_compatibility(manifest.sdk)
    _expect(problem is None, str(problem))

    operations: dict[str, Operation] = {}
    for registered in manager.hook.datamarket_operations():
        for operation in registered or ():
            _expect(isinstance(operation, Operation),
                    f"datamarket_operations returned a {type(operation).__name__}, "
                    "not an Operation")
            _expect(operation.name not in operations,
                    f"two operations are called {operation.name!r}; names must be unique")
            operations[operation.name] = operation
    return manifest, operations


def _settings_for(manifest: Manifest, settings: Any) -> Any:
    """The settings as the platform would pass them: validated into the settings model."""
    if manifest.settings_model is None or isinstance(settings, BaseModel):
        return settings
    return manifest.settings_model.model_validate(settings or {})


@pytest.fixture
def make_context() -> MakeContext:
    """Build a :class:`Context`: ``make_context(buyer="buyer-test", scope=None, settings=None,
    datasets=None, timeout=5.0)``, with datasets as ``{name: [row dict, ...]}``."""
    return new_context


@pytest.fixture
def plugin_operations() -> PluginOperations:
    """Load a plugin as the platform does: ``plugin_operations(module_or_object)`` returns its
    operations by name, after checking its hooks and manifest."""

    def collect(plugin: object) -> dict[str, Operation]:
        return load_plugin(plugin)[1]

    return collect


@pytest.fixture
def call_operation() -> CallOperation:
    """Run an operation as the platform does: ``call_operation(plugin, name, payload,
    **context_kwargs)`` returns its JSON output or raises the SDK error the caller would get.

    ``context_kwargs`` are those of ``make_context``; ``timeout`` defaults to the operation's
    ``timeout_seconds``, and ``settings`` are validated into the manifest's ``settings_model``.
    """

    def call(plugin: object, name: str, payload: Any, **context_kwargs: Any) -> dict[str, Any]:
        manifest, operations = load_plugin(plugin)
        _expect(name in operations, f"the plugin has no operation {name!r}; "
                f"it has {', '.join(sorted(operations)) or 'none'}")
        operation = operations[name]
        context_kwargs.setdefault("timeout", operation.timeout_seconds)
        context_kwargs["settings"] = _settings_for(manifest, context_kwargs.get("settings"))
        return run_within_deadline(operation, new_context(**context_kwargs), payload,
                                   float(context_kwargs["timeout"]))

    return call


def run_within_deadline(operation: Operation, ctx: Context, payload: Any,
                        timeout: float) -> dict[str, Any]:
    """``operation.run(ctx, payload)``, given up at ``ctx.deadline`` as the platform would.

    The handler runs on a daemon thread; a handler that ignores the deadline (a ``sleep``, a
    slow network call) makes this raise :class:`DeadlineExceeded` at the deadline, and its
    thread finishes, unobserved, in the background.

    :raises DeadlineExceeded: no answer by the deadline.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = operation.run(ctx, payload)
        except BaseException as exc:  # handed to the caller below, never lost in the thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True,
                              name=f"datamarket operation {operation.name}")
    thread.start()
    thread.join(max(0.0, ctx.deadline - time.monotonic()))
    if "error" in outcome:
        raise outcome["error"]
    if "result" not in outcome:
        raise DeadlineExceeded(
            f"operation {operation.name!r} gave no answer within {timeout:g} s (its "
            "timeout_seconds); the platform stops a call there and answers the buyer with an "
            "error: call ctx.check_deadline() in long loops and keep slow work out of the call")
    return outcome["result"]
