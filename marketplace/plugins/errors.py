"""What a caller of a plugin operation can get instead of an answer.

Each error carries the HTTP ``status_code`` the web layer answers with and a sentence for the
caller (``str(error)``). Faults (``PluginFault``, ``PluginTimeout``) carry the ``incident`` id
under which the details were logged; the caller never sees a traceback.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class InvocationError(Exception):
    """A plugin operation did not answer. ``str(error)`` is a sentence for the caller."""

    status_code = 500

    def __init__(self, message: str, *, incident: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.incident = incident
        self.retry_after = retry_after

    def __str__(self) -> str:
        return str(self.message)


class OperationNotFound(InvocationError):
    """No enabled plugin offers that operation."""

    status_code = 404

    def __init__(self, plugin: str, operation: str):
        super().__init__(_l("The operation “%(operation)s” of plugin “%(plugin)s” is not "
                            "available.", operation=operation, plugin=plugin))
        self.plugin = plugin
        self.operation = operation


class PluginBadInput(InvocationError):
    """The plugin refused the input (its ``BadInput``); the message is the plugin's."""

    status_code = 422


class PluginNotFoundError(InvocationError):
    """The plugin found nothing for the input (its ``NotFound``); the message is the plugin's."""

    status_code = 404


class PluginFault(InvocationError):
    """The plugin raised, crashed or answered outside its output schema."""

    status_code = 502

    def __init__(self, incident: str):
        super().__init__(_l("The operation failed inside its plugin. The incident is recorded "
                            "as %(incident)s; please try again later.", incident=incident),
                         incident=incident)


class PluginTimeout(InvocationError):
    """The plugin did not answer before its deadline."""

    status_code = 504

    def __init__(self, incident: str):
        super().__init__(_l("The operation did not answer in time. The incident is recorded "
                            "as %(incident)s; please try again later.", incident=incident),
                         incident=incident)


class OperationPaused(InvocationError):
    """The operation's circuit breaker is open after repeated faults."""

    status_code = 503

    def __init__(self, retry_after: int, incident: str | None = None):
        super().__init__(_l("This operation is paused after repeated failures; try again in "
                            "%(seconds)d seconds.", seconds=retry_after),
                         incident=incident, retry_after=retry_after)


class GovernanceStepUnavailable(InvocationError):
    """No enabled plugin offers the governance step a call needs (disabled, or unknown)."""

    status_code = 503

    def __init__(self, kind: str, name: str):
        super().__init__(_l("The %(kind)s step “%(name)s” that this product needs is not "
                            "available, so nothing is returned; please try again later.",
                            kind=kind, name=name))
        self.kind = kind
        self.name = name


class GovernanceStepFailed(InvocationError):
    """A governance step failed on the values it was given; nothing unprocessed is returned."""

    status_code = 502

    def __init__(self, kind: str, name: str, incident: str):
        super().__init__(_l("The %(kind)s step “%(name)s” failed, so nothing is returned. The "
                            "incident is recorded as %(incident)s.", kind=kind, name=name,
                            incident=incident), incident=incident)
        self.kind = kind
        self.name = name
