"""Telling plugins what happened, and collecting what they answer.

The platform announces events (an order paid, an entitlement granted or revoked, a listing
submitted) to every enabled plugin that implements the event's hook, trusted plugins on a thread
of this process and untrusted ones in their worker, each within ``PLUGIN_EVENT_TIMEOUT``. A
plugin that fails is recorded as an incident and reported in its :class:`EventOutcome`; it never
stops the platform's own work or the other plugins.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datamarket_sdk import Finding

from marketplace.plugins.descriptions import PluginDescription
from marketplace.plugins.execution import PluginImportFailed
from marketplace.plugins.incidents import FAULTS
from marketplace.plugins.manager import EVENT_HOOKS
from marketplace.plugins.models import IncidentKind
from marketplace.plugins.worker import WorkerBusy, WorkerCrashed, WorkerTimeout, run_event

if TYPE_CHECKING:
    from marketplace.plugins.runtime import PluginRuntime


@dataclass(frozen=True)
class EventOutcome:
    """What one plugin did with an event.

    :param plugin: the plugin's name.
    :param ok: it handled the event; otherwise ``incident`` names the recorded fault.
    :param findings: for ``listing_submitted``, the findings it contributed.
    """

    plugin: str
    ok: bool
    findings: list[Finding] = field(default_factory=list)
    incident: str = ""


def dispatch(runtime: PluginRuntime, event: str, payload: Any, *,
             only: set[str] | None = None) -> list[EventOutcome]:
    """Announce ``event`` (a name of :data:`EVENT_HOOKS`) with its SDK object ``payload``.

    :param only: if given, tell only these plugins and the platform's own (an event about one
        merchant's product is not every merchant's business).
    :returns: one outcome per enabled plugin that implements the event, by plugin name.
    """
    if event not in EVENT_HOOKS:
        raise ValueError(f"{event!r} is not a plugin event")
    wire = payload.to_wire()
    timeout = float(runtime.app.config["PLUGIN_EVENT_TIMEOUT"])
    snapshot = runtime.installed.snapshot(sync=False)
    outcomes = []
    for _name, plugin in sorted(runtime.plugins.items()):
        if plugin.failed or event not in plugin.events:
            continue
        if only is not None and plugin.name not in only and not plugin.builtin:
            continue
        if not snapshot.enabled(plugin):
            continue
        if snapshot.trusted(plugin):
            answer = _in_thread(runtime, plugin, event, wire, timeout)
        else:
            answer = _in_worker(runtime, plugin, event, wire, timeout)
        outcomes.append(_settle(runtime, plugin, event, answer))
    return outcomes


def _in_thread(runtime: PluginRuntime, plugin: PluginDescription, event: str,
               wire: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        loaded = runtime.execution.import_trusted(plugin)
    except PluginImportFailed as exc:
        return {"outcome": "crash",
                "message": f"the plugin could not be imported into the platform: {exc}"}
    box: dict[str, dict[str, Any]] = {}

    def call() -> None:
        box["answer"] = run_event(runtime.execution.manager, loaded, event, wire)

    thread = threading.Thread(target=call, daemon=True, name=f"plugin event {event}")
    deadline = time.monotonic() + timeout
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        return {"outcome": "timeout",
                "message": f"no answer to {event} within {timeout:g} seconds (trusted)"}
    return box["answer"]


def _in_worker(runtime: PluginRuntime, plugin: PluginDescription, event: str,
               wire: dict[str, Any], timeout: float) -> dict[str, Any]:
    request = {"event": event, "payload": wire, "timeout": timeout}
    try:
        return runtime.execution.worker(plugin).call(request, timeout)
    except (WorkerBusy, WorkerTimeout):
        return {"outcome": "timeout",
                "message": f"no answer to {event} within {timeout:g} seconds; the worker "
                "was killed or busy"}
    except WorkerCrashed as exc:
        return {"outcome": "crash", "message": str(exc)}
    except OSError as exc:
        return {"outcome": "crash", "message": f"the worker could not start: {exc}"}


def _settle(runtime: PluginRuntime, plugin: PluginDescription, event: str,
            answer: dict[str, Any]) -> EventOutcome:
    if answer.get("outcome") == "ok":
        try:
            findings = [Finding(**item) for item in answer.get("result") or []]
        except (TypeError, ValueError) as exc:
            answer = {"outcome": "bad_output", "message": f"a finding is invalid: {exc}"}
        else:
            return EventOutcome(plugin=plugin.name, ok=True, findings=findings)
    kind = FAULTS.get(str(answer.get("outcome")), IncidentKind.CRASH)
    incident = runtime.incidents.record(plugin.name, f"event {event}", kind,
                                        answer.get("message") or str(answer.get("outcome")),
                                        answer.get("traceback", ""))
    return EventOutcome(plugin=plugin.name, ok=False, incident=incident)
