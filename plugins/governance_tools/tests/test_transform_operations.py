"""desensitize and quality_report through the SDK's fixtures, as the platform would call them."""

import base64
import datetime as dt
import io
import json

import openpyxl
import pytest
from datamarket_sdk import BadInput, DeadlineExceeded, hookimpl
from stdnum.cn import ric

from datamarket_governance_tools import plugin, transform_operations
from datamarket_governance_tools.tabular import read_table, write_csv, write_xlsx
from datamarket_governance_tools.transform_operations import (
    DESENSITIZE,
    OPERATIONS,
    QUALITY_REPORT,
    STEPS,
)

BUYER_KEY = "my-own-key-0123456789"


class TransformPlugin:
    """The plugin with these operations registered, as plugin.py registers its operations."""

    @hookimpl
    def datamarket_plugin_manifest(self):
        return plugin.datamarket_plugin_manifest()

    @hookimpl
    def datamarket_operations(self):
        return OPERATIONS


PLUGIN = TransformPlugin()


def resident_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


PEOPLE = [
    {"name": "张三", "id": resident_id("44030519900307123"), "phone": "13800138000",
     "birth": "1990-03-07", "address": "广东省深圳市南山区科技园路1号"},
    {"name": "欧阳娜娜", "id": resident_id("31010419850612456"), "phone": "19912345678",
     "birth": "1985/6/12", "address": "上海市徐汇区漕溪北路2号"},
]
POLICIES = [
    {"field": "name", "strategy": "partial_mask", "params": {"keep_first": 1, "keep_last": 0}},
    {"field": "id", "strategy": "pseudonymize"},
    {"field": "phone", "strategy": "partial_mask"},
    {"field": "birth", "strategy": "generalize_date"},
    {"field": "address", "strategy": "generalize_address", "params": {"to": "city"}},
]
COLUMNS = ["name", "id", "phone", "birth", "address"]


def as_file(filename: str, content: bytes) -> dict:
    return {"filename": filename, "content_base64": base64.b64encode(content).decode()}


def desensitize(call_operation, **payload):
    payload.setdefault("policies", POLICIES)
    buyer = payload.pop("buyer", "buyer-test")
    settings = payload.pop("settings", None)
    return call_operation(PLUGIN, "desensitize", payload, buyer=buyer, settings=settings)


def test_rows_in_rows_out_with_what_each_strategy_keeps(call_operation):
    result = desensitize(call_operation, rows=PEOPLE)

    assert result["row_count"] == 2 and result["columns"] == COLUMNS and result["file"] is None
    first, second = result["rows"]
    assert first["name"] == "张*" and second["name"] == "欧***"
    assert first["phone"] == "138****8000" and first["birth"] == "1990"
    assert first["address"] == "广东省深圳市" and second["address"] == "上海市"
    assert len(first["id"]) == 16 and first["id"] != second["id"]
    assert [f["strategy"] for f in result["fields"]] == [p["strategy"] for p in POLICIES]
    pseudonym = result["fields"][1]
    assert pseudonym["params"] == {"prefix": "", "length": 16}
    assert pseudonym["deterministic"] == "yes, per key" and "join" in pseudonym["keeps"]
    assert result["key_source"] == "account"


def test_the_example_input_runs(plugin_operations, call_operation):
    for name, operation in plugin_operations(PLUGIN).items():
        assert call_operation(PLUGIN, name, operation.example_input)


def test_a_buyers_key_gives_the_same_tokens_in_every_call_and_is_never_returned(call_operation):
    first = desensitize(call_operation, rows=PEOPLE, key=BUYER_KEY, buyer="buyer-a")
    again = desensitize(call_operation, rows=PEOPLE[:1], key=BUYER_KEY, buyer="buyer-b")

    assert again["rows"][0]["id"] == first["rows"][0]["id"]
    assert first["key_source"] == "buyer"
    assert BUYER_KEY not in json.dumps(first)


def test_without_a_key_each_buyer_gets_their_own_tokens(call_operation):
    def token(**context):
        return desensitize(call_operation, rows=PEOPLE[:1], **context)["rows"][0]["id"]

    assert token(buyer="buyer-a") == token(buyer="buyer-a")
    assert token(buyer="buyer-a") != token(buyer="buyer-b")
    assert token(buyer="buyer-a") != token(buyer="buyer-a", key=BUYER_KEY)
    secret = {"pseudonymization_secret": "platform-secret-0123456789"}
    assert token(buyer="buyer-a", settings=secret) != token(buyer="buyer-a")
    assert token(buyer="buyer-a", settings=secret) == token(buyer="buyer-a", settings=secret)


def test_strategies_without_a_key_report_none(call_operation):
    result = desensitize(call_operation, rows=PEOPLE,
                         policies=[{"field": "phone", "strategy": "full_mask"}])
    assert result["key_source"] == "none" and result["rows"][0]["id"] == PEOPLE[0]["id"]


def test_a_csv_file_comes_back_as_csv(call_operation):
    upload = write_csv(COLUMNS, PEOPLE)

    result = desensitize(call_operation, file=as_file("people.csv", upload))

    assert result["rows"] is None
    assert result["file"]["filename"] == "people-desensitized.csv"
    assert result["file"]["media_type"] == "text/csv; charset=utf-8"
    table = read_table(base64.b64decode(result["file"]["content_base64"]), "out.csv")
    assert table.columns == COLUMNS and table.rows[0]["phone"] == "138****8000"
    assert table.rows == desensitize(call_operation, rows=PEOPLE)["rows"]


def test_a_csv_files_bad_value_is_reported_with_its_row(call_operation):
    rows = [*PEOPLE, {**PEOPLE[0], "birth": "soon"}]
    with pytest.raises(BadInput, match="row 3, field 'birth': 'soon' is not a date"):
        desensitize(call_operation, file=as_file("people.csv", write_csv(COLUMNS, rows)))


def test_csv_in_xlsx_out(call_operation):
    result = desensitize(call_operation, file=as_file("people.csv", write_csv(COLUMNS, PEOPLE)),
                         output_format="xlsx")

    content = base64.b64decode(result["file"]["content_base64"])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert sheet["C2"].value == "138****8000"
    assert result["file"]["filename"] == "people-desensitized.xlsx"


def test_xlsx_in_rows_out(call_operation):
    upload = write_xlsx(COLUMNS, PEOPLE)
    result = desensitize(call_operation, file=as_file("people.xlsx", upload),
                         output_format="rows")
    assert result["rows"] == desensitize(call_operation, rows=PEOPLE)["rows"]


def test_too_many_rows_to_return_inline_asks_for_a_file(call_operation, monkeypatch):
    monkeypatch.setattr(transform_operations, "MAX_INLINE_ROWS", 1)
    upload = as_file("people.csv", write_csv(COLUMNS, PEOPLE))
    with pytest.raises(BadInput, match="at most 1 can be returned as rows, so ask for csv"):
        desensitize(call_operation, file=upload, output_format="rows")


@pytest.mark.parametrize("payload, message", [
    ({}, "send the table either as rows or as a file, exactly one of the two"),
    ({"rows": PEOPLE, "file": as_file("a.csv", b"a\n1\n")}, "exactly one of the two"),
    ({"rows": []}, "rows: List should have at least 1 item"),
    ({"rows": PEOPLE, "policies": []}, "policies: List should have at least 1 item"),
    ({"rows": PEOPLE, "key": "short"}, "key: the key must be 16 to 256 characters long"),
    ({"rows": PEOPLE, "policies": [{"field": "id", "strategy": "hash"}]},
     r"policies\[0\]: unknown strategy 'hash' for field 'id'; choose one of partial_mask"),
    ({"rows": PEOPLE, "output_format": "pdf"}, "output_format: Input should be 'rows', 'csv'"),
    ({"rows": PEOPLE, "policies": [{"field": "mobile", "strategy": "full_mask"}]},
     "policy field 'mobile' is not a column of the table; its columns are name, id, phone"),
    ({"rows": PEOPLE, "policies": [{"field": "birth", "strategy": "shift_date",
                                    "params": {"entity_field": "person"}}]},
     "entity_field 'person' is not a column"),
    ({"rows": PEOPLE, "policies": [{"field": "name", "strategy": "generalize_date"}]},
     "row 1, field 'name': '张三' is not a date"),
    ({"rows": [{"phone": "1"}, {"mobile": "2"}],
      "policies": [{"field": "phone", "strategy": "full_mask"}]},
     "row 2 has no field 'phone'; its fields are mobile"),
    ({"file": {"filename": "a.csv", "content_base64": "not base64!"}},
     "file.content_base64 is not valid base64"),
    ({"file": as_file("a.xls", b"\xd0\xcf\x11\xe0")}, "legacy Excel .xls workbook"),
    ({"file": as_file("a.csv", b"id,id\n")}, "names 'id' twice"),
])
def test_bad_input_says_what_to_fix(call_operation, payload, message):
    payload.setdefault("policies", POLICIES)
    with pytest.raises(BadInput, match=message):
        call_operation(PLUGIN, "desensitize", payload)


def test_the_key_is_never_echoed_in_an_error(call_operation):
    with pytest.raises(BadInput) as error:
        call_operation(PLUGIN, "desensitize", {"rows": PEOPLE, "policies": POLICIES,
                                               "key": "x" * 300})
    assert "x" * 20 not in str(error.value)


def test_the_handlers_check_the_deadline_while_they_work(make_context):
    request = DESENSITIZE.input_model.model_validate({"rows": PEOPLE, "policies": POLICIES})
    with pytest.raises(DeadlineExceeded):
        DESENSITIZE.handler(make_context(timeout=-1), request)
    request = QUALITY_REPORT.input_model.model_validate(QUALITY_REPORT.example_input)
    with pytest.raises(DeadlineExceeded):
        QUALITY_REPORT.handler(make_context(timeout=-1), request)


def test_the_schemas_describe_the_limits():
    schema = DESENSITIZE.input_schema()
    assert schema["properties"]["rows"]["anyOf"][0]["maxItems"] == 10_000
    key = schema["properties"]["key"]
    assert key["anyOf"][0]["writeOnly"] is True
    assert (key["minLength"], key["maxLength"]) == (16, 256)
    assert QUALITY_REPORT.input_schema()["properties"]["rules"]["maxItems"] == 100


def test_quality_report_on_rows(call_operation):
    rows = [*PEOPLE, {**PEOPLE[0], "id": PEOPLE[0]["id"][:-1] + "0"}]
    report = call_operation(PLUGIN, "quality_report", {
        "rows": rows, "today": "2025-01-01",
        "rules": [{"column": "id", "rule": "checksum", "params": {"kind": "resident_id"}},
                  {"column": "birth", "rule": "freshness", "params": {"max_age_days": 365}}]})

    checksum, freshness = report["results"]
    assert checksum["failing_rows"] == [3] and checksum["example"].startswith("4*")
    assert freshness["failed"] == 1 and "the limit is 365 days" in freshness["message"]
    assert report["rows"] == 3 and report["score"] == 50.0


def test_quality_report_on_an_xlsx_file(call_operation):
    upload = as_file("people.xlsx", write_xlsx(COLUMNS, PEOPLE))
    report = call_operation(PLUGIN, "quality_report", {
        "file": upload, "rules": [{"column": "phone", "rule": "pattern",
                                   "params": {"regex": r"1[3-9]\d{9}"}}]})
    assert report["score"] == 100.0 and report["rows"] == 2


@pytest.mark.parametrize("rules, message", [
    ([{"column": "mobile", "rule": "not_null"}],
     "rule column 'mobile' is not a column of the table; its columns are name, id"),
    ([{"column": "id", "rule": "referential", "params": {"reference_column": "person"}}],
     "reference_column 'person' is not a column"),
    ([{"column": "id", "rule": "pattern", "params": {"regex": "("}}],
     r"rules\[0\]: rule 'pattern' on column 'id' has bad params"),
    ([], "rules: List should have at least 1 item"),
])
def test_quality_report_bad_input(call_operation, rules, message):
    with pytest.raises(BadInput, match=message):
        call_operation(PLUGIN, "quality_report", {"rows": PEOPLE, "rules": rules})


def test_the_exports_for_the_plugin():
    assert [operation.name for operation in OPERATIONS] == ["desensitize", "quality_report"]
    kinds = [(step.kind, step.name) for step in STEPS]
    assert len(kinds) == len(set(kinds)) == 18
    assert {kind for kind, _name in kinds} == {"masking", "quality_rule"}


def test_today_defaults_to_the_real_date(call_operation):
    today = dt.date.today().isoformat()
    report = call_operation(PLUGIN, "quality_report", {
        "rows": [{"updated": today}],
        "rules": [{"column": "updated", "rule": "freshness", "params": {"max_age_days": 0}}]})
    assert report["score"] == 100.0
