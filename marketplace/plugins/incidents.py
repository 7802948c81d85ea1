"""What an answer from a plugin means for its caller, its breaker, its health and the incidents.

A fault (the plugin raised, missed its deadline, broke its output schema or crashed) is recorded
under an incident id (the traceback goes to the log only) and counts towards the operation's
circuit breaker; refusals (bad input, not found) are the plugin working. Each incident and each
breaker that opens is announced (:mod:`marketplace.plugins.signals`); who hears of it is wired
in the app factory.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask
from sqlalchemy.exc import DBAPIError

from marketplace.plugins import services
from marketplace.plugins.breaker import BreakerBoard, BreakerState, CircuitBreaker
from marketplace.plugins.errors import (
    PluginBadInput,
    PluginFault,
    PluginNotFoundError,
    PluginTimeout,
)
from marketplace.plugins.models import IncidentKind, PluginHealth
from marketplace.plugins.records import InstalledPlugins, ResolvedOperation
from marketplace.plugins.signals import (
    BreakerOpened,
    IncidentRecorded,
    announce,
    breaker_opened,
    incident_recorded,
)

log = logging.getLogger(__name__)

FAULTS = {
    "exception": IncidentKind.EXCEPTION,
    "timeout": IncidentKind.TIMEOUT,
    "bad_output": IncidentKind.BAD_OUTPUT,
    "crash": IncidentKind.CRASH,
}


class Incidents:
    """Settles answers: breakers, health and incidents of the plugins in ``installed``."""

    def __init__(self, app: Flask, installed: InstalledPlugins, breakers: BreakerBoard):
        self.app = app
        self.installed = installed
        self.breakers = breakers

    def breaker_states(self, plugin: str) -> dict[str, BreakerState]:
        """The breaker state of each operation of ``plugin`` in this server process."""
        loaded = self.installed.plugins.get(plugin)
        names = sorted(loaded.operations) if loaded else []
        return {name: self.breakers.state(plugin, name) for name in names}

    def settle(self, resolved: ResolvedOperation, breaker: CircuitBreaker,
               answer: dict[str, Any]) -> dict[str, Any]:
        """The operation's result, or the error its caller gets.

        :raises PluginBadInput: the plugin refused the input, with its message.
        :raises PluginNotFoundError: the plugin found nothing, with its message.
        :raises PluginFault: it raised, crashed or broke its output schema (with the incident).
        :raises PluginTimeout: it missed its deadline (with the incident).
        """
        plugin, operation = resolved.plugin.name, resolved.operation.name
        outcome = answer.get("outcome")
        if outcome in ("ok", "bad_input", "not_found"):
            breaker.record_success()  # the plugin worked, even if it refused the input
            self.installed.set_health(plugin, self._unless_paused(plugin, PluginHealth.OK))
            if outcome == "bad_input":
                raise PluginBadInput(answer.get("message") or "")
            if outcome == "not_found":
                raise PluginNotFoundError(answer.get("message") or "")
            return answer["result"]
        kind = FAULTS.get(str(outcome), IncidentKind.CRASH)
        message = answer.get("message") or str(outcome)
        incident = self.record(plugin, operation, kind, message, answer.get("traceback", ""))
        if breaker.record_fault():
            breaker.incident = self._breaker_opened(plugin, operation, breaker, message)
        else:
            self.installed.set_health(plugin,
                                      self._unless_paused(plugin, PluginHealth.FAULTING))
        if kind == IncidentKind.TIMEOUT:
            raise PluginTimeout(incident)
        raise PluginFault(incident)

    def record(self, plugin: str, operation: str, kind: IncidentKind, message: str,
               traceback: str = "") -> str:
        """Log and keep a fault under a new incident id, announce it, and return the id."""
        incident = services.new_incident_id()
        log.error("plugin %s, operation %s: %s, incident %s: %s%s", plugin, operation,
                  kind.value, incident, message, f"\n{traceback}" if traceback else "")
        try:
            with self.installed.session() as session:
                services.record_incident(session, incident=incident, plugin=plugin,
                                         operation=operation, kind=kind, message=message)
                session.commit()
        except DBAPIError:
            log.exception("incident %s could not be recorded in the database", incident)
        announce(incident_recorded, self.app, IncidentRecorded(
            incident=incident, plugin=plugin, operation=operation, merchant=self._merchant(plugin),
            kind=kind.value, error=message))
        return incident

    def _breaker_opened(self, plugin: str, operation: str, breaker: CircuitBreaker,
                        error: str) -> str:
        """The breaker opened: record it, mark the plugin paused and announce it."""
        cooldown = breaker.cooldown
        incident = self.record(
            plugin, operation, IncidentKind.BREAKER_OPEN,
            f"paused for {cooldown:g} seconds after {breaker.consecutive_faults} consecutive "
            "faults")
        self.installed.set_health(plugin, PluginHealth.PAUSED)
        announce(breaker_opened, self.app, BreakerOpened(
            incident=incident, plugin=plugin, operation=operation,
            merchant=self._merchant(plugin), faults=breaker.consecutive_faults,
            cooldown_seconds=math.ceil(cooldown), error=error))
        return incident

    def _unless_paused(self, plugin: str, health: PluginHealth) -> PluginHealth:
        """``health``, unless a breaker still pauses another operation of the plugin."""
        states = self.breaker_states(plugin).values()
        return PluginHealth.PAUSED if BreakerState.OPEN in states else health

    def _merchant(self, plugin: str) -> str:
        description = self.installed.plugins.get(plugin)
        manifest = description.manifest if description is not None else None
        return manifest.merchant if manifest is not None else ""
