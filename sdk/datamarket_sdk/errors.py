"""The errors of the SDK.

A plugin raises :class:`BadInput` or :class:`NotFound` on purpose: the caller gets a 4xx answer
carrying the plugin's message. Every other exception that escapes plugin code is a *fault*: the
caller gets a clean error with an incident id, the call is not billed, and the traceback goes to
the platform's log only. :class:`DeadlineExceeded` and :class:`SchemaViolation` are faults too;
the SDK raises them, plugins do not need to.
"""

from collections.abc import Mapping


class PluginError(Exception):
    """The base of every error the SDK defines."""


class BadInput(PluginError):
    """The caller sent input the operation cannot work with (the caller gets 422).

    :param message: a sentence the caller can act on, shown to them as is.
    :param fields: optionally, per input field, what is wrong with it.
    """

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(PluginError):
    """What the caller asked for does not exist (the caller gets 404 with the message)."""


class DeadlineExceeded(PluginError):
    """The call ran past its deadline; raised by :meth:`Context.check_deadline` (a fault)."""


class SchemaViolation(PluginError):
    """An operation returned output that does not match its output model (a fault).

    :param fields: optionally, per output field (``output.findings[0].kind``), what is wrong with
        it and the value the handler gave.
    """

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})
