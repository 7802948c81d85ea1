"""The columnar path masks exactly as the row path does, value for value, streams CSV files,
and refuses what the row path refuses."""

import csv
import io
import random

import pyarrow as pa
import pytest

from datamarket_governance_tools import synthetic
from datamarket_governance_tools.columnar import STEPS, mask_batches, mask_table
from datamarket_governance_tools.columnar_csv import mask_csv, neutralise_formulas
from datamarket_governance_tools.masking import FieldPolicy, MaskingError, apply_policy
from datamarket_governance_tools.tabular import write_csv

KEY = b"columnar-test-key-0123456789"
EDGES = [None, "", " ", "  13800138000 ", "１３８００１３８０００", "11010519491231002x", "ab",
         "张三", "欧阳娜娜", "=1+2", "-12.5", "中国 广东省深圳市南山区1号", "\u3000北京市朝阳区",
         "广东深圳市南山区1号", "深圳市南山区", "江苏镇江市京口区3号", "吉林省吉林市船营区2号",
         "广东省 深圳市 南山区", "广东省杭州市西湖区", "火星基地1号", "1990-03-07", "1990/3/7",
         "19900307", "1990年3月7日"]


def column(maker, rows: int = 400, seed: int = 3) -> list:
    rng = random.Random(seed)
    return EDGES + [maker(rng) for _ in range(rows)]


COLUMNS = {
    "id": column(synthetic.resident_id), "name": column(synthetic.person_name),
    "mobile": column(synthetic.mobile), "card": column(synthetic.bank_card),
    "address": column(synthetic.address) + [synthetic.place(random.Random(n)) + "人民路1号"
                                            for n in range(300)],
    "born": column(synthetic.date_of_birth),
    "email": ["Zhang.Wei@Example.com", " li@example.cn ", "ＡＢ＠ｘ．ｃｎ",
              *column(synthetic.email)],
}
COLUMNS = {name: values[:len(COLUMNS["id"])] for name, values in COLUMNS.items()}

POLICIES = [
    [{"field": "id", "strategy": "pseudonymize"},
     {"field": "name", "strategy": "full_mask"},
     {"field": "mobile", "strategy": "partial_mask"},
     {"field": "card", "strategy": "truncate", "params": {"length": 6}},
     {"field": "address", "strategy": "generalize_address", "params": {"to": "city"}}],
    [{"field": "id", "strategy": "pseudonymize", "params": {"prefix": "P", "length": 20}},
     {"field": "name", "strategy": "partial_mask", "params": {"keep_first": 1, "keep_last": 0}},
     {"field": "mobile", "strategy": "full_mask", "params": {"keep_length": False}},
     {"field": "card", "strategy": "nullify"},
     {"field": "address", "strategy": "generalize_address"},
     {"field": "email", "strategy": "pseudonymize"}],
]


def row_path(table: dict[str, list], policies: list[dict]) -> dict[str, list]:
    names = list(table)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*table.values(), strict=True)]
    masked = list(apply_policy(rows, [FieldPolicy(**p) for p in policies], KEY))
    return {name: [row[name] for row in masked] for name in names}


@pytest.mark.parametrize("policies", POLICIES)
def test_the_columnar_path_gives_the_row_paths_results(policies):
    table = pa.table(COLUMNS)
    masked = mask_table(table, policies, KEY)
    assert masked.to_pydict() == row_path(COLUMNS, policies)
    assert masked.schema.names == table.schema.names


def test_dates_are_generalized_and_shifted_as_the_row_path_does():
    born = [None, "", "1990-03-07", "1990/3/7", "19900307", "1990年3月7日",
            *COLUMNS["born"][len(EDGES):]]
    ids = COLUMNS["id"][:len(born)]
    table = {"id": ids, "born": born}
    for policies in ([{"field": "born", "strategy": "generalize_date", "params": {"to": "month"}}],
                     [{"field": "born", "strategy": "shift_date"}],
                     [{"field": "born", "strategy": "shift_date",
                       "params": {"entity_field": "id", "max_days": 400}},
                      {"field": "id", "strategy": "pseudonymize"}]):
        assert mask_table(pa.table(table), policies, KEY).to_pydict() == row_path(table, policies)


def test_columns_that_are_not_text_are_masked_value_by_value_alike():
    table = {"age": [34, None, 90, 7], "score": [1.5, 2.0, None, 3.25]}
    policies = [{"field": "age", "strategy": "generalize_age"},
                {"field": "score", "strategy": "partial_mask", "params": {"keep_first": 1,
                                                                          "keep_last": 0}}]
    assert mask_table(pa.table(table), policies, KEY).to_pydict() == row_path(table, policies)


def test_batches_stream_one_at_a_time():
    batches = (pa.record_batch({"mobile": [f"1380013{n:04d}"]}) for n in range(3))
    masked = mask_batches(batches, [{"field": "mobile", "strategy": "partial_mask"}], KEY)
    assert next(masked).column("mobile").to_pylist() == ["138****0000"]
    assert [batch.num_rows for batch in masked] == [1, 1]


def test_what_the_row_path_refuses_is_refused():
    with pytest.raises(MaskingError, match="needs a key of at least 16 bytes"):
        mask_batches([], [{"field": "id", "strategy": "pseudonymize"}], b"short")
    with pytest.raises(MaskingError, match="field 'id' has two policies"):
        mask_batches([], [{"field": "id", "strategy": "nullify"},
                          {"field": "id", "strategy": "full_mask"}], KEY)
    batches = mask_batches([pa.record_batch({"a": ["x"]})],
                           [{"field": "id", "strategy": "nullify"}], KEY)
    with pytest.raises(MaskingError, match="no field 'id'; its fields are a"):
        list(batches)
    batches = mask_batches([pa.record_batch({"d": ["2020-01-01"]}),
                            pa.record_batch({"d": ["soon"]})],
                           [{"field": "d", "strategy": "generalize_date"}], KEY)
    with pytest.raises(MaskingError, match="batch 2, field 'd': 'soon' is not a date"):
        list(batches)


def test_a_csv_file_streams_into_a_masked_csv_file(tmp_path):
    source = tmp_path / "people.csv"
    names = list(COLUMNS)
    with source.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(names)
        for values in zip(*COLUMNS.values(), strict=True):
            writer.writerow(["" if value is None else value for value in values])
    target = tmp_path / "masked.csv"
    # Small blocks, so the file arrives in many batches.
    assert mask_csv(source, target, POLICIES[0], KEY, block_size=4096) == len(COLUMNS["id"])
    content = target.read_bytes()
    assert content.startswith("\ufeff".encode())
    read = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert read[0] == names
    # The row path over the same cells, written by the row path's CSV writer.
    rows = [{name: "" if value is None else value for name, value in zip(names, values,
                                                                          strict=True)}
            for values in zip(*COLUMNS.values(), strict=True)]
    masked = apply_policy(rows, [FieldPolicy(**p) for p in POLICIES[0]], KEY)
    expected = write_csv(names, masked).decode("utf-8-sig")
    assert read == list(csv.reader(io.StringIO(expected)))


def test_formula_cells_are_neutralised_and_numbers_are_not():
    cells = pa.array(["=SUM(A1)", "+86 138", "-12.5", "@x", "plain", None, "\tx"])
    assert neutralise_formulas(cells).to_pylist() == [
        "'=SUM(A1)", "'+86 138", "-12.5", "'@x", "plain", None, "'\tx"]


def test_the_columnar_path_is_a_governance_step():
    (step,) = STEPS
    assert (step.kind, step.name, step.function) == ("batch_masking", "mask_record_batches",
                                                     mask_batches)
