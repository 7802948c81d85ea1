"""The capability types: their own checks, and Operation.run / ModelSpec.run at the boundary."""

import dataclasses
import datetime
import time
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from datamarket_sdk import (
    BadInput,
    DeadlineExceeded,
    Finding,
    GovernanceStep,
    Manifest,
    ModelCard,
    ModelSpec,
    NotFound,
    Operation,
    PluginError,
    PricingHint,
    SchemaViolation,
)


class VerifyInput(BaseModel):
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    tags: list[str] = []


class VerifyOutput(BaseModel):
    match: bool
    checked_on: datetime.date


def verify(ctx, request: VerifyInput) -> VerifyOutput:
    return VerifyOutput(match=request.name == "张三", checked_on=datetime.date(2024, 5, 1))


def operation(handler=verify, **overrides) -> Operation:
    fields = dict(name="verify", summary="Check a name against an ID number.",
                  input_model=VerifyInput, output_model=VerifyOutput, handler=handler)
    return Operation(**{**fields, **overrides})


GOOD = {"name": "张三", "id_number": "11010519491231002X"}


# Manifest, PricingHint, GovernanceStep, Finding: checked when built

def test_a_manifest_of_the_platforms_own_plugin_has_an_empty_merchant():
    manifest = Manifest(name="governance_tools", version="0.1.0", merchant="", sdk=">=0.1,<0.2")
    assert manifest.merchant == "" and manifest.settings_model is None


@pytest.mark.parametrize("name", ["x", "Upper", "9lives", "with-dash", "a" * 65, ""])
def test_a_manifest_with_a_bad_name_is_refused_with_the_rule(name):
    with pytest.raises(ValueError, match="must be 2 to 64 lower case letters, digits or _"):
        Manifest(name=name, version="1", merchant="", sdk=">=0.1")


def test_a_manifest_needs_a_version_and_a_real_settings_model():
    with pytest.raises(ValueError, match="needs a version"):
        Manifest(name="ok", version=" ", merchant="", sdk=">=0.1")
    with pytest.raises(TypeError, match="settings_model must be a pydantic BaseModel subclass"):
        Manifest(name="ok", version="1", merchant="", sdk=">=0.1", settings_model=dict)


def test_capability_types_are_frozen():
    manifest = Manifest(name="ok", version="1", merchant="", sdk=">=0.1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.name = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        operation().timeout_seconds = 60


def test_pricing_hints_know_the_pricing_models():
    assert PricingHint(model="per_call", unit_price=10).currency == "CNY"
    with pytest.raises(ValueError, match="'auction' is not one of free, membership, one_time"):
        PricingHint(model="auction")
    with pytest.raises(ValueError, match="0 or more"):
        PricingHint(model="one_time", unit_price=-1)
    with pytest.raises(ValueError, match="whole number"):
        PricingHint(model="one_time", unit_price=9.9)
    with pytest.raises(ValueError, match="three-letter code"):
        PricingHint(model="free", currency="yuan")


def test_governance_steps_know_their_kinds():
    step = GovernanceStep(kind="masking", name="keep_last_four", summary="Mask all but 4.",
                          function=lambda value: "*" * (len(value) - 4) + value[-4:],
                          keeps="the last four characters", destroys="everything else")
    assert step.function("13800138000") == "*******8000"
    with pytest.raises(ValueError, match="'scrubber' is not one of batch_masking, "
                                         "classification_rule, detector"):
        GovernanceStep(kind="scrubber", name="x", summary="s", function=str)
    with pytest.raises(ValueError, match="function must be callable"):
        GovernanceStep(kind="detector", name="x", summary="s", function="not callable")


def test_findings_know_their_severities():
    assert Finding(code="quality.low", message="Fill the nulls.", severity="warning").field is None
    with pytest.raises(ValueError, match="'fatal' is not one of blocking, info, warning"):
        Finding(code="x", message="m", severity="fatal")


# Operation

@pytest.mark.parametrize("name", ["Verify", "1st", "verify-id", "", "a" * 65])
def test_an_operation_with_a_bad_name_is_refused(name):
    with pytest.raises(ValueError, match="operation name"):
        operation(name=name)


def test_an_operation_checks_its_models_handler_and_timeout():
    with pytest.raises(TypeError, match="input_model must be a pydantic BaseModel subclass"):
        operation(input_model=dict)
    with pytest.raises(ValueError, match="handler must be callable"):
        operation(handler=None)
    with pytest.raises(ValueError, match="timeout_seconds must be more than 0"):
        operation(timeout_seconds=0)
    with pytest.raises(ValueError, match="needs a summary"):
        operation(summary="")


def test_an_operation_publishes_json_schemas(make_context):
    op = operation()
    assert op.input_schema()["properties"]["id_number"]["maxLength"] == 18
    assert op.input_schema()["required"] == ["name", "id_number"]
    assert op.output_schema()["properties"]["checked_on"]["format"] == "date"


def test_run_returns_json_ready_output(make_context):
    assert operation().run(make_context(), GOOD) == {"match": True, "checked_on": "2024-05-01"}


def test_run_accepts_a_dict_from_the_handler(make_context):
    op = operation(handler=lambda ctx, request: {"match": False, "checked_on": "2024-05-02"})
    assert op.run(make_context(), GOOD) == {"match": False, "checked_on": "2024-05-02"}


def test_bad_input_names_the_field_in_a_readable_message(make_context):
    with pytest.raises(BadInput) as caught:
        operation().run(make_context(), {**GOOD, "id_number": "1" * 19})

    assert str(caught.value) == "id_number: String should have at most 18 characters"
    assert caught.value.fields == {"id_number": "String should have at most 18 characters"}


def test_bad_input_names_every_bad_field_with_list_positions(make_context):
    with pytest.raises(BadInput) as caught:
        operation().run(make_context(), {"id_number": 7, "tags": ["ok", 3]})

    assert str(caught.value) == ("name: Field required; id_number: Input should be a valid "
                                 "string; tags[1]: Input should be a valid string")


def test_bad_input_lists_ten_problems_then_counts_the_rest(make_context):
    with pytest.raises(BadInput) as caught:
        operation().run(make_context(), {**GOOD, "tags": list(range(15))})

    assert str(caught.value).count("Input should be a valid string") == 10
    assert str(caught.value).endswith("; and 5 more problems")
    assert len(caught.value.fields) == 15


@pytest.mark.parametrize("payload, kind", [
    ([GOOD], "an array"), ("text", "a string"), (42, "a number"), (None, "null"),
    (True, "true or false"),
])
def test_input_that_is_not_an_object_is_bad_input(make_context, payload, kind):
    with pytest.raises(BadInput, match=f"^the input must be a JSON object, not {kind}$"):
        operation().run(make_context(), payload)


def test_the_handler_never_sees_bad_input(make_context):
    calls = []
    op = operation(handler=lambda ctx, request: calls.append(request))
    with pytest.raises(BadInput):
        op.run(make_context(), {})
    assert calls == []


@pytest.mark.parametrize("result, message", [
    ({"match": "perhaps", "checked_on": "2024-05-01"},
     "operation 'verify' returned output that does not match VerifyOutput: match: Input should "
     "be a valid boolean, unable to interpret input"),
    ({"match": True}, "returned output that does not match VerifyOutput: checked_on: Field "
                      "required"),
    ("yes", "operation 'verify' returned str, not a VerifyOutput or a dict"),
    (None, "operation 'verify' returned NoneType, not a VerifyOutput or a dict"),
    (VerifyInput(**GOOD), "operation 'verify' returned a VerifyInput, not a VerifyOutput or a "
                          "dict"),
    (VerifyOutput.model_construct(match="perhaps", checked_on=datetime.date(2024, 5, 1)),
     "match: Input should be a valid boolean"),
])
def test_output_that_breaks_the_schema_is_a_schema_violation(make_context, result, message):
    op = operation(handler=lambda ctx, request: result)
    with pytest.raises(SchemaViolation, match=message.replace("(", r"\(")):
        op.run(make_context(), GOOD)


def test_a_schema_violation_is_a_fault_not_bad_input():
    assert issubclass(SchemaViolation, PluginError)
    assert not issubclass(SchemaViolation, BadInput | NotFound)
    assert not issubclass(DeadlineExceeded, BadInput | NotFound)


def test_output_that_cannot_become_json_is_a_schema_violation(make_context):
    class Anything(BaseModel):
        value: object

    op = operation(output_model=Anything, handler=lambda ctx, request: {"value": object()})
    with pytest.raises(SchemaViolation, match="cannot become JSON"):
        op.run(make_context(), GOOD)


def test_errors_the_plugin_raises_reach_the_caller_unchanged(make_context):
    def refuse(ctx, request):
        raise NotFound("no person with this ID number")

    with pytest.raises(NotFound, match="^no person with this ID number$"):
        operation(handler=refuse).run(make_context(), GOOD)

    def crash(ctx, request):
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        operation(handler=crash).run(make_context(), GOOD)


def test_a_handler_that_finishes_after_the_deadline_exceeds_it(make_context):
    def slow(ctx, request):
        time.sleep(0.05)
        return verify(ctx, request)

    with pytest.raises(DeadlineExceeded, match="past its deadline"):
        operation(handler=slow).run(make_context(timeout=0.01), GOOD)


def test_a_call_whose_deadline_has_passed_never_starts(make_context):
    calls = []
    op = operation(handler=lambda ctx, request: calls.append(request))
    with pytest.raises(DeadlineExceeded):
        op.run(make_context(timeout=0), GOOD)
    assert calls == []


# ModelSpec

class Company(BaseModel):
    overdue: int = Field(ge=0)


class Risk(BaseModel):
    level: Literal["low", "high"]


CARD = ModelCard(training_data="synthetic", metrics={"auc": 0.8}, version="1",
                 intended_use="tests", limitations="none known")


def model(predict) -> ModelSpec:
    return ModelSpec(name="risk", summary="Risk from overdue payments.", input_model=Company,
                     output_model=Risk, predict=predict, card=CARD)


def test_a_model_predicts_one_checked_row_per_input_row(make_context):
    spec = model(lambda ctx, rows: [{"level": "high" if r.overdue > 2 else "low"} for r in rows])
    assert spec.run(make_context(), [{"overdue": 0}, {"overdue": 5}]) == [
        {"level": "low"}, {"level": "high"}]
    assert spec.card.metrics == {"auc": 0.8}


def test_a_model_names_the_bad_row_and_field(make_context):
    spec = model(lambda ctx, rows: [])
    with pytest.raises(BadInput, match=r"^rows\[1\]\.overdue: Input should be greater than or "
                                       r"equal to 0$"):
        spec.run(make_context(), [{"overdue": 1}, {"overdue": -1}])
    with pytest.raises(BadInput, match=r"^rows\[0\] must be a JSON object, not a number$"):
        spec.run(make_context(), [3])


def test_a_model_returning_the_wrong_number_or_shape_of_predictions_is_at_fault(make_context):
    with pytest.raises(SchemaViolation, match="model 'risk' returned 1 predictions for 2 rows"):
        model(lambda ctx, rows: [{"level": "low"}]).run(make_context(), [{"overdue": 1}] * 2)
    with pytest.raises(SchemaViolation, match="level: Input should be 'low' or 'high'"):
        model(lambda ctx, rows: [{"level": "medium"}]).run(make_context(), [{"overdue": 1}])


def test_a_model_needs_a_card():
    with pytest.raises(TypeError, match="card must be a ModelCard"):
        ModelSpec(name="risk", summary="s", input_model=Company, output_model=Risk,
                  predict=lambda ctx, rows: rows, card={"version": "1"})
