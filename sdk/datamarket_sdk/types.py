"""The capabilities a plugin registers, as plain frozen dataclasses.

Each type checks its own fields when it is built, so a plugin with a misnamed operation or an
unknown pricing model fails to load with a sentence saying what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from datamarket_sdk.context import Context
from datamarket_sdk.errors import SchemaViolation
from datamarket_sdk.validation import dump_output, validate_input

PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
CAPABILITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PRICING_MODELS = frozenset({"free", "one_time", "per_call", "membership", "service_fee"})
GOVERNANCE_KINDS = frozenset(
    {"detector", "masking", "batch_masking", "quality_rule", "classification_rule",
     "field_mapping"})
SEVERITIES = frozenset({"info", "warning", "blocking"})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _require_model(model: Any, what: str) -> None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{what} must be a pydantic BaseModel subclass, not {model!r}")


def _one_of(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


@dataclass(frozen=True)
class Manifest:
    """Who a plugin is: returned by every plugin's ``datamarket_plugin_manifest`` hook.

    :param name: unique on the platform; lower case letters, digits and ``_``, 2–64 characters.
    :param version: the plugin's own version, e.g. ``"1.2.0"``.
    :param merchant: the unified social credit code of the merchant organization that owns the
        plugin; ``""`` for the platform's own plugins.
    :param sdk: the SDK versions the plugin works with, a PEP 440 specifier such as
        ``">=0.1,<0.2"``.
    :param title: a human name shown to admins and merchants.
    :param description: a paragraph about what the plugin offers.
    :param settings_model: the pydantic model of the plugin's settings, if it has any.
    """

    name: str
    version: str
    merchant: str
    sdk: str
    title: str = ""
    description: str = ""
    settings_model: type[BaseModel] | None = None

    def __post_init__(self) -> None:
        _require(bool(PLUGIN_NAME.match(self.name)),
                 f"plugin name {self.name!r} must be 2 to 64 lower case letters, digits or _, "
                 "starting with a letter")
        _require(bool(self.version.strip()), f"plugin {self.name!r} needs a version")
        if self.settings_model is not None:
            _require_model(self.settings_model, f"plugin {self.name!r}: settings_model")


@dataclass(frozen=True)
class PricingHint:
    """How the merchant suggests an operation is priced; the listing sets the real price.

    :param model: one of free, one_time, per_call, membership, service_fee.
    :param unit_price: in the smallest currency unit (fen for CNY).
    :param currency: an ISO 4217 code.
    :param note: a short explanation shown beside the price.
    """

    model: str
    unit_price: int = 0
    currency: str = "CNY"
    note: str = ""

    def __post_init__(self) -> None:
        _require(self.model in PRICING_MODELS,
                 f"pricing model {self.model!r} is not one of {_one_of(PRICING_MODELS)}")
        _require(isinstance(self.unit_price, int) and self.unit_price >= 0,
                 f"unit_price must be a whole number of the smallest currency unit, "
                 f"0 or more, not {self.unit_price!r}")
        _require(bool(re.fullmatch(r"[A-Z]{3}", self.currency)),
                 f"currency {self.currency!r} must be a three-letter code such as CNY")


@dataclass(frozen=True)
class Operation:
    """A callable service a listing can sell: typed input and output that become JSON Schema.

    :param name: unique within the plugin; lower case letters, digits and ``_``.
    :param summary: one line saying what the operation answers.
    :param input_model: the pydantic model of what the caller sends.
    :param output_model: the pydantic model of what the operation answers.
    :param handler: ``handler(ctx, request)`` gets a validated ``input_model`` instance and
        returns an ``output_model`` instance or a dict matching it.
    :param description: a longer explanation for the product page.
    :param pricing_hint: how the merchant suggests pricing it.
    :param timeout_seconds: the deadline the platform gives each call.
    :param example_input: a payload the product page and the try-it console start from.
    """

    name: str
    summary: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    handler: Callable[[Context, Any], BaseModel | Mapping[str, Any]]
    description: str = ""
    pricing_hint: PricingHint | None = None
    timeout_seconds: float = 5.0
    example_input: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _require(bool(CAPABILITY_NAME.match(self.name)),
                 f"operation name {self.name!r} must be lower case letters, digits or _, "
                 "starting with a letter, at most 64 characters")
        _require(bool(self.summary.strip()), f"operation {self.name!r} needs a summary")
        _require_model(self.input_model, f"operation {self.name!r}: input_model")
        _require_model(self.output_model, f"operation {self.name!r}: output_model")
        _require(callable(self.handler), f"operation {self.name!r}: handler must be callable")
        _require(self.timeout_seconds > 0,
                 f"operation {self.name!r}: timeout_seconds must be more than 0")

    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the input."""
        return self.input_model.model_json_schema(mode="validation")

    def output_schema(self) -> dict[str, Any]:
        """The JSON Schema of the output."""
        return self.output_model.model_json_schema(mode="serialization")

    def run(self, ctx: Context, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``payload``, call the handler, and return its checked output as JSON data.

        :raises BadInput: the payload does not match ``input_model``; the message names each
            bad field, e.g. ``"id_number: String should have at most 18 characters"``.
        :raises DeadlineExceeded: the deadline passed before or during the call.
        :raises SchemaViolation: the handler's result does not match ``output_model`` (a fault).
        """
        request = validate_input(self.input_model, payload)
        ctx.check_deadline()
        result = self.handler(ctx, request)
        ctx.check_deadline()
        return dump_output(self.output_model, result, f"operation {self.name!r}")


@dataclass(frozen=True)
class GovernanceStep:
    """A building block of data governance that the platform and the product builder compose.

    :param kind: detector, masking, batch_masking (a function that masks a stream of record
        batches by field policies), quality_rule, classification_rule or field_mapping.
    :param name: unique within the plugin and kind.
    :param summary: one line saying what the step does.
    :param function: the step itself; its arguments depend on the kind.
    :param keeps: for a masking strategy, what the masked value still reveals.
    :param destroys: for a masking strategy, what it removes.
    :param params_model: the pydantic model of the step's parameters, if it takes any.
    """

    kind: str
    name: str
    summary: str
    function: Callable[..., Any]
    keeps: str = ""
    destroys: str = ""
    params_model: type[BaseModel] | None = None

    def __post_init__(self) -> None:
        _require(self.kind in GOVERNANCE_KINDS,
                 f"governance step kind {self.kind!r} is not one of {_one_of(GOVERNANCE_KINDS)}")
        _require(bool(CAPABILITY_NAME.match(self.name)),
                 f"governance step name {self.name!r} must be lower case letters, digits or _")
        _require(callable(self.function),
                 f"governance step {self.name!r}: function must be callable")
        if self.params_model is not None:
            _require_model(self.params_model, f"governance step {self.name!r}: params_model")


@dataclass(frozen=True)
class ModelCard:
    """What a buyer needs to judge a model, shown on its product page.

    :param training_data: what the model learned from.
    :param metrics: measured quality, by metric name (e.g. ``{"auc": 0.81}``).
    :param version: the model's version.
    :param intended_use: what the model is for.
    :param limitations: where it should not be trusted.
    """

    training_data: str
    metrics: dict[str, float]
    version: str
    intended_use: str
    limitations: str


@dataclass(frozen=True)
class ModelSpec:
    """A model that predicts on rows, with its model card.

    :param name: unique within the plugin.
    :param summary: one line saying what the model predicts.
    :param input_model: the pydantic model of one input row.
    :param output_model: the pydantic model of one prediction.
    :param predict: ``predict(ctx, rows)`` gets validated rows and returns one prediction per row.
    :param card: the model card.
    """

    name: str
    summary: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    predict: Callable[[Context, list[Any]], Sequence[BaseModel | Mapping[str, Any]]]
    card: ModelCard

    def __post_init__(self) -> None:
        _require(bool(CAPABILITY_NAME.match(self.name)),
                 f"model name {self.name!r} must be lower case letters, digits or _")
        _require_model(self.input_model, f"model {self.name!r}: input_model")
        _require_model(self.output_model, f"model {self.name!r}: output_model")
        _require(callable(self.predict), f"model {self.name!r}: predict must be callable")
        if not isinstance(self.card, ModelCard):
            raise TypeError(f"model {self.name!r}: card must be a ModelCard")

    def run(self, ctx: Context, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Validate ``rows``, predict, and return one checked prediction per row as JSON data.

        :raises BadInput: a row does not match ``input_model`` (named as ``rows[i].field``).
        :raises SchemaViolation: a prediction is missing or does not match ``output_model``.
        """
        requests = [validate_input(self.input_model, row, f"rows[{number}]")
                    for number, row in enumerate(rows)]
        ctx.check_deadline()
        predictions = list(self.predict(ctx, requests))
        ctx.check_deadline()
        what = f"model {self.name!r}"
        if len(predictions) != len(requests):
            raise SchemaViolation(f"{what} returned {len(predictions)} predictions "
                                  f"for {len(requests)} rows")
        return [dump_output(self.output_model, prediction, what) for prediction in predictions]


@dataclass(frozen=True)
class Finding:
    """One line a plugin adds to a listing's compliance report.

    :param code: a stable identifier, e.g. ``"pii.unmasked_mobile"``.
    :param message: a sentence the merchant can act on.
    :param severity: info, warning, or blocking (the listing cannot be approved as is).
    :param field: the data-dictionary field it is about, if any.
    """

    code: str
    message: str
    severity: str
    field: str | None = None

    def __post_init__(self) -> None:
        _require(bool(self.code.strip()), "a finding needs a code")
        _require(self.severity in SEVERITIES,
                 f"finding severity {self.severity!r} is not one of {_one_of(SEVERITIES)}")
