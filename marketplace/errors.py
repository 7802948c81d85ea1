"""Errors raised by services; views and the API turn them into messages and status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request. ``str(error)`` is a sentence for the user."""

    status_code = 400


class ValidationFailed(DomainError):
    """Input broke one or more rules; ``field_errors`` maps a field name to its messages."""

    status_code = 422

    def __init__(self, field_errors: dict[str, list[str]], message: str | None = None):
        self.field_errors = field_errors
        first = next((msgs[0] for msgs in field_errors.values() if msgs), "Invalid input.")
        super().__init__(message or str(first))


class InvalidTransition(DomainError):
    """A lifecycle step that is not allowed from the current state."""

    status_code = 409


class Conflict(DomainError):
    status_code = 409
