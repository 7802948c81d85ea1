"""Reading files into Parquet: encodings, column types, and the messages of broken files."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketplace.datasets import ingest
from marketplace.datasets.column_types import TypeGuess, dictionary_type
from marketplace.datasets.ingest import UploadRefused
from tests.dataset_support import csv_bytes


@pytest.fixture
def files(tmp_path, app):
    """Write bytes to a file and read it; inside an app (messages are translated)."""
    with app.test_request_context():
        def read(data: bytes, fmt: str = "csv"):
            source = tmp_path / f"upload.{fmt}"
            source.write_bytes(data)
            target = tmp_path / "data.parquet"
            found = ingest.ingest(source, fmt, target)
            return found, pq.read_table(target)
        yield read


def test_gbk_text_is_detected_when_it_is_not_utf8(files):
    found, table = files(csv_bytes([["姓名", "城市"], ["张三", "北京"]], "gbk"))
    assert found.encoding == "GBK"
    assert table.to_pylist() == [{"姓名": "张三", "城市": "北京"}]


def test_a_bom_is_named_and_kept_out_of_the_first_column_name(files):
    found, table = files(csv_bytes([["id"], ["1"]], "utf-8-sig"))
    assert found.encoding == "UTF-8 with BOM" and table.column_names == ["id"]


def test_a_non_utf8_byte_on_the_last_line_still_counts(files):
    data = csv_bytes([["a"], *[["x"]] * 100_000]) + "张三".encode("gbk") + b"\n"
    assert files(data)[0].encoding == "GBK"


def test_identifiers_that_look_like_numbers_stay_text(files):
    rows = [["postcode", "id_number", "count", "ratio", "flag", "day", "at"],
            ["010010", "110105199003071239", "3", "0.5", "false", "2026-01-31",
             "2026-01-31 08:30:00"],
            ["100020", "110105199003071247", "-4", "2", "true", "2026-02-01",
             "2026-02-01T09:00:00"]]
    found, _table = files(csv_bytes(rows))
    assert {c["name"]: c["type"] for c in found.columns} == {
        "postcode": "string", "id_number": "string", "count": "integer", "ratio": "decimal",
        "flag": "boolean", "day": "date", "at": "datetime"}


def test_a_type_seen_in_an_early_batch_gives_way_to_a_later_value(files, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_ROWS", 2)
    found, table = files(csv_bytes([["n"], ["1"], ["2"], ["3"], ["three"]]))
    assert found.columns[0]["type"] == "string" and table.column("n").to_pylist()[-1] == "three"
    assert table.num_rows == 4


def test_unnamed_trailing_header_cells_are_left_out_but_extra_values_are_refused(files):
    found, table = files(b"a,b,\n1,2,\n3,4,\n")
    assert found.row_count == 2 and table.column_names == ["a", "b"]
    with pytest.raises(UploadRefused, match=r"^Row 3 has 3 cells; the header has 2\.$"):
        files(b"a,b\n1,2\n3,4,5\n")


def test_quoted_cells_may_hold_commas_and_line_breaks(files):
    found, table = files(b'name,note\n"Li, Wei","line one\nline two"\n')
    assert table.to_pylist() == [{"name": "Li, Wei", "note": "line one\nline two"}]


def test_row_numbers_are_written_with_thousands_separators(files):
    rows = [["a", "b"], *[["1", "2"]] * 1_500, ["1"]]
    with pytest.raises(UploadRefused, match=r"^Row 1,502 has 1 cells; the header has 2\.$"):
        files(csv_bytes(rows))


@pytest.mark.parametrize("header, message", [
    (b"a,,c\n1,2,3\n", "Column 2 of the header (row 1) has no name."),
    (b"a,b,a\n1,2,3\n", "The header (row 1) names the column “a” twice."),
    (b"\n", "Row 1 should name the columns, but it is empty."),
])
def test_a_header_that_cannot_name_the_columns_is_refused(files, header, message):
    with pytest.raises(UploadRefused) as refused:
        files(header)
    assert str(refused.value) == message


def test_a_cut_parquet_file_is_refused_not_a_server_error(files, tmp_path):
    pq.write_table(pa.table({"a": [1, 2, 3]}), tmp_path / "whole.parquet")
    whole = (tmp_path / "whole.parquet").read_bytes()
    with pytest.raises(UploadRefused, match="cannot be read"):
        files(whole[:20] + whole[-8:], "parquet")


def test_arrow_types_map_to_dictionary_types():
    assert [dictionary_type(t) for t in (pa.int8(), pa.float32(), pa.decimal128(10, 2),
                                         pa.bool_(), pa.date32(), pa.timestamp("ms"),
                                         pa.string(), pa.list_(pa.int64()))] == [
        "integer", "decimal", "decimal", "boolean", "date", "datetime", "string", "json"]


def test_a_column_with_no_values_is_text():
    guess = TypeGuess()
    guess.observe(pa.array([None, None], pa.string()))
    assert guess.type_name == "string"
