"""The export engine on a real app with the real governance plugin: the output policy on
columns, the three formats read back, formula injection neutralised, failing closed."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from marketplace.delivery.exports import writers
from marketplace.delivery.exports.engine import export
from marketplace.delivery.exports.policy import ExportPolicy, ExportRefused
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.output_policy import MaskingUnavailable
from marketplace.delivery.scope import OperationGrant
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import GovernanceStepFailed
from tests.unit.exports.support import SCHEMA, batches, export_to
from tests.unit.test_output_policy import change

FORMULAS = {"=HYPERLINK(\"http://x\")", "@SUM(A1)", "+86 138"}


@pytest.fixture
def runtime(app):
    runtime = get_runtime(app)
    runtime.sync()
    yield runtime
    runtime.close()


def read_back(data: bytes, fmt: str) -> list[dict]:
    if fmt == "csv":
        assert data.startswith("\ufeff".encode())
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data)).to_pylist()
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def run(fmt: str, policy: ExportPolicy, rows: int = 1200) -> tuple[bytes, int]:
    out = io.BytesIO()
    report = export(batches(rows), SCHEMA, policy=policy, watermark_key=b"k" * 32, fmt=fmt,
                    out=out)
    return out.getvalue(), report.rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_the_output_policy_drops_and_masks_columns_in_every_format(runtime, fmt):
    grant = OperationGrant("data.package", fields=frozenset({"customer_no", "name", "balance"}),
                           masking={"name": "full_mask", "city": "full_mask"})
    data, rows = run(fmt, ExportPolicy.of(grant, runtime, buyer="buyer-a"))
    records = read_back(data, fmt)
    assert rows == len(records) == 1200
    assert list(records[0]) == ["customer_no", "name", "balance"]
    original = next(batches(1200)).to_pylist()
    for record, source in zip(records, original, strict=False):
        assert record["name"] != source["name"] and set(record["name"]) == {"*"}
        assert float(record["balance"]) == pytest.approx(source["balance"], rel=1e-9)
        assert str(record["customer_no"]) == str(source["customer_no"])


def test_keyed_masking_is_keyed_for_the_buyer(runtime):
    grant = OperationGrant("data.package", fields=frozenset({"name"}),
                           masking={"name": "pseudonymize"})
    first, _ = run("parquet", ExportPolicy.of(grant, runtime, buyer="buyer-a"), rows=20)
    again, _ = run("parquet", ExportPolicy.of(grant, runtime, buyer="buyer-a"), rows=20)
    other, _ = run("parquet", ExportPolicy.of(grant, runtime, buyer="buyer-b"), rows=20)
    names = [row["name"] for row in read_back(first, "parquet")]
    assert names == [row["name"] for row in read_back(again, "parquet")]
    assert not set(names) & {row["name"] for row in read_back(other, "parquet")}
    assert not any(name.startswith("客户") for name in names)


@pytest.mark.parametrize("strategy", ["partial_mask", "pseudonymize"])
def test_a_trusted_plugin_masks_whole_columns_as_the_worker_does_value_by_value(app, runtime,
                                                                               strategy):
    grant = OperationGrant("data.package", fields=frozenset({"name", "city"}),
                           masking={"name": strategy, "city": "full_mask"})
    columnar = ExportPolicy.of(grant, runtime, buyer="buyer-a")
    assert columnar.batch_masker is not None
    in_columns, _ = run("csv", columnar, rows=600)
    change(app, "governance_tools", trusted=False)
    by_value = ExportPolicy.of(grant, runtime, buyer="buyer-a")
    assert by_value.batch_masker is None
    in_values, _ = run("csv", by_value, rows=600)
    assert runtime.worker_pid("governance_tools") is not None
    assert in_columns == in_values
    assert "客户" not in in_columns.decode("utf-8-sig")


def test_a_masking_strategy_no_plugin_offers_refuses_before_anything_is_written(runtime):
    grant = OperationGrant("data.package", masking={"name": "no_such_strategy"})
    with pytest.raises(MaskingUnavailable):
        ExportPolicy.of(grant, runtime, buyer="buyer-a")


def test_a_scope_that_covers_no_column_is_refused():
    with pytest.raises(ExportRefused, match="covers none of this dataset's columns"):
        run("csv", ExportPolicy(fields=frozenset({"not_a_column"})))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_neutralised_and_plain_numbers_kept(fmt):
    data, _ = run(fmt, ExportPolicy())
    notes = {record["note"] for record in read_back(data, fmt)}
    assert notes == {"ok", "-12.5"} | {"'" + formula for formula in FORMULAS}


def test_parquet_keeps_text_as_it_is_and_types_as_they_are():
    data, _ = run("parquet", ExportPolicy())
    table = pq.read_table(io.BytesIO(data))
    assert table.schema == SCHEMA
    assert set(table.column("note").to_pylist()) == {"ok", "-12.5"} | FORMULAS


def test_the_column_rule_agrees_with_the_sdks_cell_rule():
    from datamarket_sdk.csv_cells import safe_text

    cells = ["=1+1", "-12.5", "+3", "1e-3", "-2+3", "-inf", "@x", "\tx", "\rx", "", "plain",
             "'=already", "+86 138 0013 8000", "-", "=", "中文", "-.5", "+.5e3"]
    neutralised = writers.neutralise_formulas(pa.array(cells + [None]))
    assert neutralised.to_pylist() == [safe_text(cell) for cell in cells] + [None]
    for cell in cells:  # alone, and in a slice of a longer column (offsets not from zero)
        alone = writers.neutralise_formulas(pa.array([cell]))
        sliced = writers.neutralise_formulas(pa.array(["plain", None, cell, "x"]).slice(2, 1))
        assert alone.to_pylist() == sliced.to_pylist() == [safe_text(cell)]


def test_xlsx_starts_a_new_sheet_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_SHEET_ROWS", 500)
    data, _ = run("xlsx", ExportPolicy(), rows=1200)
    book = load_workbook(io.BytesIO(data), read_only=True)
    counts = [sum(1 for _ in sheet.iter_rows()) for sheet in book.worksheets]
    assert counts == [501, 501, 201]


def test_xlsx_replaces_characters_xml_cannot_hold():
    schema = pa.schema([("text", pa.string()), ("at", pa.timestamp("s", tz="Asia/Shanghai"))])
    batch = pa.record_batch([["a\x00b\x1fc"], pa.array([0], schema.field("at").type)],
                            schema=schema)
    out = io.BytesIO()
    export([batch], schema, policy=ExportPolicy(), watermark_key=b"k" * 32, fmt="xlsx", out=out)
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0]
    row = list(sheet.iter_rows(values_only=True))[1]
    assert row[0] == "a\ufffdb\ufffdc" and row[1].year == 1970


def test_progress_is_reported_after_each_batch(tmp_path):
    seen: list[int] = []
    with (tmp_path / "a.csv").open("wb") as out:
        export(batches(1200, size=500), SCHEMA, policy=ExportPolicy(), watermark_key=b"k" * 32,
               fmt=ExportFormat.CSV, out=out, progress=seen.append)
    assert seen == [500, 1000, 1200]


def test_a_dataset_without_decimals_is_exported_and_reported_unmarked(tmp_path):
    report = export_to(tmp_path / "a.csv", 1, "csv",
                       policy=ExportPolicy(fields=frozenset({"customer_no", "name"})))
    assert report.rows == 1500 and report.marked_cells == 0


def test_a_batch_masking_failure_is_an_incident_and_returns_nothing(runtime):
    mask = runtime.batch_masker("governance_tools")
    batch = next(batches(10))
    with pytest.raises(GovernanceStepFailed) as failure:
        mask(batch, [{"field": "no_such_column", "strategy": "full_mask"}], None)
    assert failure.value.incident is not None
    assert runtime.batch_masker("no_such_plugin") is None


class FullDisk(io.RawIOBase):
    """A file that takes a few kilobytes, then fails as a full disk does."""

    def __init__(self) -> None:
        self.taken = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.taken += len(data)
        if self.taken > 20_000:
            raise OSError(28, "No space left on device")
        return len(data)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_failing_destination_fails_the_export(fmt):
    with pytest.raises(OSError, match="No space left"):
        export(batches(3000), SCHEMA, policy=ExportPolicy(), watermark_key=b"k" * 32, fmt=fmt,
               out=FullDisk())
