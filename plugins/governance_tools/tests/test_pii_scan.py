"""pii_scan through the SDK's fixtures, as the platform would call it."""

import pytest
from datamarket_sdk import BadInput

from datamarket_governance_tools import plugin
from datamarket_governance_tools.free_text import find_pii
from datamarket_governance_tools.pii_masks import mask_email, mask_mobile

# Synthetic resident ID numbers with valid check digits, birth dates and regions.
RESIDENT_ID = "110105199003071239"
RESIDENT_ID_X = "11010519780615109X"


def scan(call_operation, *values: str) -> list[dict]:
    return call_operation(plugin, "pii_scan", {"values": list(values)})["findings"]


def test_the_example_input_finds_one_of_each_kind(plugin_operations, call_operation):
    operation = plugin_operations(plugin)["pii_scan"]

    result = call_operation(plugin, "pii_scan", operation.example_input)

    assert result == {"findings": [
        {"index": 0, "kind": "mobile", "value_masked": "138****8000"},
        {"index": 1, "kind": "email", "value_masked": "z***@example.com"},
        {"index": 2, "kind": "resident_id", "value_masked": "110***********1239"},
    ]}


def test_the_schemas_describe_the_limits(plugin_operations):
    operation = plugin_operations(plugin)["pii_scan"]

    values = operation.input_schema()["properties"]["values"]
    assert values["maxItems"] == 1000 and values["items"]["maxLength"] == 4096
    finding = operation.output_schema()["$defs"]["PiiFinding"]["properties"]["kind"]
    assert finding["enum"] == ["resident_id", "uscc", "bank_card", "mobile", "landline", "email",
                               "ipv4", "ipv6", "vehicle_plate", "passport", "person_name",
                               "address"]


@pytest.mark.parametrize("value", [
    RESIDENT_ID, RESIDENT_ID_X, RESIDENT_ID_X.lower(), f"身份证号：{RESIDENT_ID}。",
])
def test_valid_resident_id_numbers_are_found(call_operation, value):
    (finding,) = scan(call_operation, value)
    assert finding["kind"] == "resident_id"
    assert finding["value_masked"].startswith("110***********")


@pytest.mark.parametrize("value", [
    "110105199003071238",   # wrong check digit
    "110105199013071232",   # month 13, valid check digit
    "999999199003071234",   # no such region, valid check digit
    "0110105199003071239",  # part of a longer number
    f"ID{RESIDENT_ID}",     # part of a code
])
def test_numbers_that_are_not_resident_ids_are_ignored(call_operation, value):
    assert [f for f in scan(call_operation, value) if f["kind"] == "resident_id"] == []


@pytest.mark.parametrize("value", [
    "13800138000", "手机13800138000", "+86 138 0013 8000", "0086-138-0013-8000",
    "call 19912345678 now",
])
def test_mainland_mobile_numbers_are_found_and_masked(call_operation, value):
    (finding,) = scan(call_operation, value)
    assert finding["kind"] == "mobile"
    assert finding["value_masked"][:3] in {"138", "199"} and "****" in finding["value_masked"]


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "138001380001", "010-62345678",
                                   "SKU13800138000"])
def test_other_numbers_are_not_mobiles(call_operation, value):
    assert [f for f in scan(call_operation, value) if f["kind"] == "mobile"] == []


def test_a_landline_number_is_found_as_one(call_operation):
    assert scan(call_operation, "总机 010-62345678") == [
        {"index": 0, "kind": "landline", "value_masked": "010-****5678"}]


def test_emails_are_found_and_masked(call_operation):
    findings = scan(call_operation, "联系邮箱：li.na+data@mail.example.cn；备用 x@y.io")
    assert [f["value_masked"] for f in findings] == ["l***@mail.example.cn", "x***@y.io"]


def test_findings_keep_the_index_of_their_value_and_their_order_within_it(call_operation):
    findings = scan(call_operation, "nothing here", f"{RESIDENT_ID} / 13800138000 / a@b.cn", "")

    assert [(f["index"], f["kind"]) for f in findings] == [
        (1, "resident_id"), (1, "mobile"), (1, "email")]


def test_a_thousand_values_are_accepted_and_one_more_is_refused(call_operation):
    assert len(scan(call_operation, *["13800138000"] * 1000)) == 1000

    with pytest.raises(BadInput, match="^values: List should have at most 1000 items"):
        scan(call_operation, *["x"] * 1001)


@pytest.mark.parametrize("payload, message", [
    ({}, "values: Field required"),
    ({"values": ["ok", 3]}, r"values\[1\]: Input should be a valid string"),
    ({"values": ["x" * 4097]}, r"values\[0\]: String should have at most 4096 characters"),
    ({"values": [], "mode": "deep"}, "mode: Extra inputs are not permitted"),
    ({"values": "13800138000"}, "values: Input should be a valid list"),
])
def test_bad_input_names_the_field(call_operation, payload, message):
    with pytest.raises(BadInput, match=message):
        call_operation(plugin, "pii_scan", payload)


def test_the_masks_hide_the_middle():
    assert mask_mobile("138-0013-8000") == "138****8000"
    assert mask_email("someone@example.com") == "s***@example.com"
    assert [m.kind for m in find_pii("")] == []
