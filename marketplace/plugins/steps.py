"""Running one governance step (a masking strategy, a detector...) over a list of values.

A plugin registers governance steps (:class:`datamarket_sdk.GovernanceStep`); discovery only
*describes* them. The platform runs them through the runtime
(:meth:`~marketplace.plugins.runtime.PluginRuntime.run_governance`): a trusted plugin's step in
this process, an untrusted one's in the plugin's worker, where this module's
:func:`run_step` is called as well, so both paths classify an outcome the same way.

A step's function takes one value and the step's parameters as keywords (``partial_mask(value,
keep_first=3)``; a detector ``detect(value)``). A function with a ``key`` parameter (keyed
strategies: ``pseudonymize``, ``shift_date``) gets the key the platform derived for the caller;
without one it refuses to run. The answer is a dict of the worker protocol: ``{"outcome": "ok",
"result": [one value per value given]}`` or ``{"outcome": "bad_input" | "exception", "message":
...}``; nothing a step does makes this module raise.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

#: The kinds of governance step the platform runs value by value.
VALUE_KINDS = frozenset({"masking", "detector"})
#: The kind of step that masks Arrow record batches a column at a time: its function takes
#: ``(batches, policies, key)`` and yields one masked batch per batch (trusted plugins only,
#: since batches do not cross the worker's pipe).
BATCH_MASKING = "batch_masking"


def find_step(steps: Iterable[Any], kind: str, name: str) -> Any | None:
    """The step of that kind and name among a loaded plugin's ``governance_steps``."""
    for step in steps:
        if step.kind == kind and step.name == name:
            return step
    return None


def _takes_key(function: Any) -> bool:
    try:
        return "key" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def run_step(step: Any, values: list[Any], params: Mapping[str, Any] | None,
             key: bytes | None) -> dict[str, Any]:
    """Apply ``step`` to each value; an answer of the worker protocol (see the module)."""
    if step.kind not in VALUE_KINDS:
        return {"outcome": "bad_input", "message": f"a {step.kind} step does not run value by "
                "value; only masking strategies and detectors do"}
    arguments = dict(params or {})
    if step.params_model is not None:
        try:
            step.params_model.model_validate(arguments)
        except Exception as exc:  # pydantic's ValidationError, or a model's own check
            return {"outcome": "bad_input",
                    "message": f"the parameters of {step.kind} {step.name} are invalid: {exc}"}
    if _takes_key(step.function):
        if key is None:
            return {"outcome": "bad_input",
                    "message": f"{step.kind} {step.name} needs a key and none was given"}
        arguments["key"] = key
    try:
        result = [step.function(value, **arguments) for value in values]
    except ValueError as exc:  # the step cannot read a value (e.g. MaskingError)
        return {"outcome": "bad_input", "message": f"{step.kind} {step.name}: {exc}"}
    except (Exception, SystemExit) as exc:
        return {"outcome": "exception", "message": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()}
    return {"outcome": "ok", "result": [_plain(item) for item in result]}


def _plain(value: Any) -> Any:
    """A step's result as JSON data (a date-shifting strategy may return a date)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def run_batch_step(step: Any, batch: Any, policies: list[dict[str, Any]],
                   key: bytes | None) -> dict[str, Any]:
    """Apply a :data:`BATCH_MASKING` step to one record batch; an answer as :func:`run_step`'s,
    its ``result`` the masked batch."""
    if step.kind != BATCH_MASKING:
        return {"outcome": "bad_input", "message": f"a {step.kind} step does not mask batches"}
    try:
        masked = list(step.function([batch], policies, key))
    except ValueError as exc:  # a value the strategy cannot read (MaskingError)
        return {"outcome": "bad_input", "message": f"{step.kind} {step.name}: {exc}"}
    except (Exception, SystemExit) as exc:
        return {"outcome": "exception", "message": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()}
    if len(masked) != 1 or getattr(masked[0], "num_rows", None) != batch.num_rows:
        return {"outcome": "bad_output",
                "message": f"{step.kind} {step.name} did not answer one batch of as many rows"}
    return {"outcome": "ok", "result": masked[0]}
