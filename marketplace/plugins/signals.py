"""What the plugin runtime announces. It reports what happened; the app decides who listens.

The runtime never tells people itself (no notifications, no e-mail): it sends these blinker
signals with the app as sender, and :func:`marketplace.create_app` connects the listeners, such as
:mod:`marketplace.notifications.plugin_notices`, which tells the admins through the outbox.

Each signal carries one frozen value as ``notice``, with what a message about it needs: the
plugin, the operation, the owning merchant's credit code ("" for the platform's own plugins), the
error text and the incident id. Listeners run at once, on the thread that saw the fault; one that
fails is logged and never turns the caller's answer into a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from blinker import Namespace, Signal
from flask import Flask

log = logging.getLogger(__name__)

plugin_signals = Namespace()

#: A fault of a plugin operation or event was recorded; ``notice`` is an :class:`IncidentRecorded`.
incident_recorded = plugin_signals.signal("datamarket.plugins.incident-recorded")
#: An operation's circuit breaker opened; ``notice`` is a :class:`BreakerOpened`.
breaker_opened = plugin_signals.signal("datamarket.plugins.breaker-opened")
#: A plugin's record became failed (it did not load); ``notice`` is a :class:`LoadFailed`.
load_failed = plugin_signals.signal("datamarket.plugins.load-failed")


@dataclass(frozen=True)
class IncidentRecorded:
    """A fault kept under ``incident`` (``kind`` is an :class:`~.models.IncidentKind` value)."""

    incident: str
    plugin: str
    operation: str  # an operation's name, or "event <name>" for an event hook
    merchant: str
    kind: str
    error: str


@dataclass(frozen=True)
class BreakerOpened:
    """An operation is paused for ``cooldown_seconds`` after ``faults`` faults in a row.

    ``incident`` is the ``breaker_open`` incident that refused callers are shown; ``error`` is
    the text of the fault that opened the breaker.
    """

    incident: str
    plugin: str
    operation: str
    merchant: str
    faults: int
    cooldown_seconds: int
    error: str


@dataclass(frozen=True)
class LoadFailed:
    """A discovered plugin did not load; ``error`` says why, in words an admin can act on."""

    plugin: str
    merchant: str
    source: str
    error: str
    version: str = ""  # "" when it failed before its manifest was read


def announce(signal: Signal, app: Flask, notice: object) -> None:
    """Send ``notice`` to the listeners connected for ``app``; a listener's failure is logged."""
    try:
        signal.send(app, notice=notice)
    except Exception:  # a listener must never break the plugin call that caused the notice
        log.exception("a listener of %s failed on %r", signal.name, notice)
