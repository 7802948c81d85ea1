"""Checking what crosses a plugin's boundary against its pydantic models.

Input that fails is the caller's mistake (:class:`BadInput`, with a message naming each bad field);
output that fails is the plugin's (:class:`SchemaViolation`, a fault).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from datamarket_sdk.errors import BadInput, SchemaViolation

#: How many field errors a :class:`BadInput` message lists before it summarises the rest.
MAX_LISTED_ERRORS = 10


def describe_validation_error(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """Per field path (``values[3]``, ``company.tax_grade``), pydantic's message about it."""
    described: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = prefix
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
        described.setdefault(path or "input", error["msg"])
    return described


def _as_sentence(fields: Mapping[str, str]) -> str:
    listed = [f"{path}: {message}" for path, message in list(fields.items())[:MAX_LISTED_ERRORS]]
    if len(fields) > MAX_LISTED_ERRORS:
        listed.append(f"and {len(fields) - MAX_LISTED_ERRORS} more problems")
    return "; ".join(listed)


def _json_kind(value: Any) -> str:
    for kinds, name in ((bool, "true or false"), ((int, float), "a number"), (str, "a string"),
                        ((list, tuple), "an array"), (type(None), "null")):
        if isinstance(value, kinds):
            return name
    return f"a {type(value).__name__}"


def validate_input(model: type[BaseModel], payload: Any, prefix: str = "") -> BaseModel:
    """``payload`` as an instance of ``model``.

    :param prefix: where the payload sits in the request, e.g. ``rows[2]``, for the messages.
    :raises BadInput: the payload is not an object or does not match ``model``.
    """
    if not isinstance(payload, Mapping):
        where = prefix or "the input"
        raise BadInput(f"{where} must be a JSON object, not {_json_kind(payload)}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = describe_validation_error(exc, prefix)
        raise BadInput(_as_sentence(fields), fields=fields) from None


def _output_fields(exc: ValidationError) -> dict[str, str]:
    """Per output field (``output.findings[0].kind``), pydantic's message and the value given."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = "output"
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        given = error.get("input")
        missing = error["type"] == "missing"
        fields.setdefault(path, error["msg"] if missing else
                          f"{error['msg']}, not {_short_repr(given)}")
    return fields


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def dump_output(model: type[BaseModel], result: Any, what: str) -> dict[str, Any]:
    """``result`` (a ``model`` instance or a dict) checked against ``model``, as JSON data.

    :param what: who returned it, for the message, e.g. ``"operation 'pii_scan'"``.
    :raises SchemaViolation: the result does not match ``model`` or cannot become JSON.
    """
    if isinstance(result, BaseModel) and not isinstance(result, model):
        raise SchemaViolation(f"{what} returned a {type(result).__name__}, "
                              f"not a {model.__name__} or a dict")
    if not isinstance(result, (BaseModel, Mapping)):
        raise SchemaViolation(f"{what} returned {type(result).__name__}, "
                              f"not a {model.__name__} or a dict")
    try:
        # dict(instance) re-checks a model built with model_construct or changed afterwards.
        return model.model_validate(dict(result)).model_dump(mode="json")
    except ValidationError as exc:
        problems = _as_sentence(describe_validation_error(exc))
        raise SchemaViolation(f"{what} returned output that does not match "
                              f"{model.__name__}: {problems}",
                              fields=_output_fields(exc)) from None
    except PydanticSerializationError as exc:
        raise SchemaViolation(f"{what} returned output that cannot become JSON: {exc}") from None
