"""classify_dataset and map_fields through the SDK's fixtures, and the governance steps."""

import pytest
from datamarket_sdk import BadInput, DeadlineExceeded, GovernanceStep, hookimpl

from datamarket_governance_tools import operations, plugin
from datamarket_governance_tools.classification import classify
from datamarket_governance_tools.detectors import DETECTORS, KINDS
from datamarket_governance_tools.standards import map_field


class WithAllOperations:
    """This plugin as it registers once ``operations.OPERATIONS`` is wired into its hook."""

    @hookimpl
    def datamarket_plugin_manifest(self):
        return plugin.datamarket_plugin_manifest()

    @hookimpl
    def datamarket_operations(self):
        return operations.OPERATIONS


GOVERNANCE = WithAllOperations()


def classify_rows(call_operation, rows, **extra):
    return call_operation(GOVERNANCE, "classify_dataset", {"rows": rows, **extra})


def test_the_operations_are_registered_with_their_names(plugin_operations):
    assert list(plugin_operations(GOVERNANCE)) == ["pii_scan", "classify_dataset", "map_fields"]


def test_the_classify_example_is_a_core_dataset(plugin_operations, call_operation):
    example = plugin_operations(GOVERNANCE)["classify_dataset"].example_input
    result = call_operation(GOVERNANCE, "classify_dataset", example)
    assert [(c["name"], c["kind"]) for c in result["columns"]] == [
        ("xm", "person_name"), ("sfzh", "resident_id"), ("sjhm", "mobile"), ("amount", None)]
    assert (result["level"], result["label"]) == (4, "core")
    assert result["reasons"][0].startswith("Names together with resident ID numbers")


def test_each_column_carries_its_evidence(call_operation):
    rows = [{"sjhm": "13800138000", "note": "ok"}, {"sjhm": 13912345678, "note": None}]
    (mobile, note) = classify_rows(call_operation, rows)["columns"]
    assert mobile == {"name": "sjhm", "kind": "mobile", "confidence": 1.0, "matched_share": 1.0,
                      "header_hint": "mobile", "pseudonymized_kind": None,
                      "explanation": "100% of 2 sampled values are mobile numbers and the header "
                                     "'sjhm' means mobile number."}
    assert note["kind"] is None and note["confidence"] == 0.0


def test_row_count_says_how_large_the_whole_table_is(call_operation):
    rows = [{"sjhm": "13800138000"}]
    assert classify_rows(call_operation, rows)["level"] == 3
    assert classify_rows(call_operation, rows, row_count=2_000_000)["level"] == 4


def test_ten_thousand_rows_and_two_hundred_columns_are_accepted(call_operation):
    wide = [{f"c{n}": n for n in range(200)}]
    assert len(classify_rows(call_operation, wide)["columns"]) == 200
    long = [{"sjhm": "13800138000"}] * 10_000
    assert classify_rows(call_operation, long)["columns"][0]["kind"] == "mobile"


@pytest.mark.parametrize("payload, message", [
    ({}, "rows: Field required"),
    ({"rows": []}, "rows: List should have at least 1 item"),
    ({"rows": [{}] * 10_001}, "rows: List should have at most 10000 items"),
    ({"rows": [{f"c{n}": 1 for n in range(201)}]},
     "rows: The rows have 201 different columns; at most 200 are accepted"),
    ({"rows": [{"a": [1]}]}, r"rows\[0\]\.a"),
    ({"rows": [{"a": "x" * 4097}]}, "String should have at most 4096 characters"),
    ({"rows": [{"": 1}]}, "String should have at least 1 character"),
    ({"rows": [{"a": 1}], "row_count": -1}, "row_count: Input should be greater than or equal"),
    ({"rows": [{"a": 1}], "mode": "fast"}, "mode: Extra inputs are not permitted"),
])
def test_bad_classify_input_names_the_problem(call_operation, payload, message):
    with pytest.raises(BadInput, match=message):
        call_operation(GOVERNANCE, "classify_dataset", payload)


def test_classify_stops_at_its_deadline(make_context):
    request = operations.ClassifyDatasetInput(rows=[{"a": 1}])
    with pytest.raises(DeadlineExceeded):
        operations.classify_dataset(make_context(timeout=-1), request)


def test_the_map_fields_example(plugin_operations, call_operation):
    example = plugin_operations(GOVERNANCE)["map_fields"].example_input
    fields = call_operation(GOVERNANCE, "map_fields", example)["fields"]
    assert [(f["name"], f["element"] and f["element"]["code"], f["confidence"])
            for f in fields] == [("sfzh", "PSN005", 1.0), ("customerName", "PSN001", 0.8),
                                 ("手机号", "PSN006", 1.0), ("tyshxydm", "ENT001", 1.0),
                                 ("order_no", None, 0.0)]
    assert fields[0] == {"name": "sfzh", "matched_alias": "sfzh", "confidence": 1.0,
                         "element": {"code": "PSN005", "name_zh": "公民身份号码",
                                     "name_en": "Resident ID number", "data_type": "string",
                                     "sensitivity": "sensitive_personal"}}


def test_map_fields_keeps_duplicates_and_order(call_operation):
    fields = call_operation(GOVERNANCE, "map_fields", {"names": ["xm", "x", "xm"]})["fields"]
    assert [f["name"] for f in fields] == ["xm", "x", "xm"]


@pytest.mark.parametrize("payload, message", [
    ({"names": []}, "names: List should have at least 1 item"),
    ({"names": ["a"] * 501}, "names: List should have at most 500 items"),
    ({"names": [""]}, r"names\[0\]: String should have at least 1 character"),
    ({"names": ["x" * 201]}, r"names\[0\]: String should have at most 200 characters"),
    ({"names": "sfzh"}, "names: Input should be a valid list"),
])
def test_bad_map_fields_input_names_the_problem(call_operation, payload, message):
    with pytest.raises(BadInput, match=message):
        call_operation(GOVERNANCE, "map_fields", payload)


def test_every_operation_documents_its_limits_and_price():
    for operation in operations.OPERATIONS:
        assert operation.pricing_hint is not None and operation.example_input
        assert operation.input_schema()["additionalProperties"] is False
    rows = operations.CLASSIFY_DATASET.input_schema()["properties"]["rows"]
    assert rows["maxItems"] == 10_000 and "200 different columns" in rows["description"]


def test_the_steps_are_one_detector_per_kind_a_classification_rule_and_a_mapping():
    steps = operations.STEPS
    assert all(isinstance(step, GovernanceStep) for step in steps)
    detectors = [step for step in steps if step.kind == "detector"]
    assert [(step.name, step.function) for step in detectors] == [
        (kind, DETECTORS[kind]) for kind in KINDS]
    assert [(step.kind, step.name, step.function) for step in steps[len(KINDS):]] == [
        ("classification_rule", "classify", classify), ("field_mapping", "map_field", map_field)]
    assert "column header" in next(s for s in detectors if s.name == "person_name").summary
    assert detectors[0].function("110105199003071239") is True
