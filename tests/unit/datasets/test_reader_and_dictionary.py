"""The read API over a local store, and the data dictionary checked against columns."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketplace.datasets.dictionary import disagreements
from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import read_batches, sample_rows, schema
from marketplace.datasets.storage import LocalStore


@pytest.fixture
def stored(tmp_path):
    store = LocalStore(tmp_path)
    out = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(2_345)), "s": [f"v{i}" for i in range(2_345)]}),
                   out, row_group_size=500)
    out.seek(0)
    dataset = Dataset(storage_key="abc", product_id=1, organization_id=1, listing_id=1,
                      row_count=2_345, original_name="x.parquet", original_format="parquet",
                      size_bytes=0, sha256="", parquet_bytes=0, uploaded_by_id=1)
    store.put(dataset.parquet_path, out)
    return store, dataset


def test_batches_stream_every_row_in_order_in_the_size_asked(stored):
    store, dataset = stored
    batches = list(read_batches(dataset, batch_size=1_000, store=store))
    assert all(batch.num_rows <= 1_000 for batch in batches)
    assert pa.Table.from_batches(batches).column("n").to_pylist() == list(range(2_345))
    assert schema(dataset, store=store).names == ["n", "s"]
    only = next(read_batches(dataset, columns=["s"], store=store))
    assert only.schema.names == ["s"]


def test_the_scan_sample_is_spread_over_the_whole_dataset(stored):
    store, dataset = stored
    picked = [row["n"] for row in sample_rows(dataset, 100, store=store)]
    assert len(picked) == 100 and picked == sorted(set(picked))
    assert picked[0] == 0 and picked[-1] >= 2_300  # the end of the file too, not the head only
    assert len(sample_rows(dataset, 5_000, store=store)) == 2_345


def test_store_keys_cannot_leave_the_store(stored):
    store, _dataset = stored
    for key in ("../secret", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            store.exists(key)


def test_disagreements_name_missing_extra_and_mistyped_columns(app):
    dictionary = [{"name": "a", "type": "integer"}, {"name": "b", "type": "decimal"},
                  {"name": "c", "type": "string"}, {"name": "gone", "type": "date"}]
    columns = [{"name": "a", "type": "string"}, {"name": "b", "type": "integer"},
               {"name": "c", "type": "datetime"}, {"name": "new", "type": "boolean"}]
    with app.test_request_context():
        problems = disagreements(dictionary, columns)
    assert problems == [
        "“a” is declared as integer in the data dictionary, but the file's column holds string "
        "values.",
        "The data dictionary describes “gone”, but the file has no such column.",
        "The file has a column “new” that the data dictionary does not describe.",
    ]
    assert disagreements(dictionary[:3], columns[:3]) == [problems[0]]
