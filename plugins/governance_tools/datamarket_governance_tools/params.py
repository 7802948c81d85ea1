"""Checking a step's parameters inside a pydantic model, with messages a caller can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError


def check_params(model: type[BaseModel], params: Mapping[str, Any], what: str) -> None:
    """Raise, from inside a pydantic validator, if ``params`` do not fit ``model``.

    The message names ``what`` (e.g. ``strategy 'truncate' for field 'phone'``), each bad
    parameter, and the parameters ``model`` accepts.

    :raises PydanticCustomError: the parameters do not fit; pydantic reports it without the
        "Value error," prefix a plain ``ValueError`` would get.
    """
    try:
        model.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'params'}: {error['msg']}"
            for error in exc.errors(include_url=False))
        accepted = ", ".join(model.model_fields) or "none"
        raise PydanticCustomError(
            "bad_params", f"{what} has bad params ({problems}); it accepts: {accepted}") from None


def unknown_choice(kind: str, name: str, where: str, choices: Mapping[str, Any]) -> Exception:
    """The error for a name that is not one of ``choices``, listing them."""
    return PydanticCustomError(
        "unknown_choice", f"unknown {kind} {name!r} {where}; choose one of {', '.join(choices)}")
