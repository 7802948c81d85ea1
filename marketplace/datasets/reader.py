"""The one way other packages read a dataset: its schema, and its rows in record batches.

Downloads, exports and the compliance scan read through here and never open the store's files
themselves, so the storage layout can change without them::

    from marketplace.datasets.reader import read_batches, schema

    for batch in read_batches(dataset, batch_size=10_000):
        ...  # a pyarrow.RecordBatch of at most 10,000 rows, columns as in schema(dataset)

Both read the normalized Parquet file (never the original upload) and stream it: memory stays
flat in the dataset's size. ``store`` defaults to the current app's dataset store.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from marketplace.datasets.models import Dataset
from marketplace.datasets.storage import DatasetStore

#: How many of the dataset's rows the compliance scan reads (see :func:`sample_rows`).
SCAN_SAMPLE_ROWS = 1_000


def _store(store: DatasetStore | None) -> DatasetStore:
    if store is not None:
        return store
    from marketplace.datasets import get_store

    return get_store()


def schema(dataset: Dataset, *, store: DatasetStore | None = None) -> pa.Schema:
    """The Arrow schema of the dataset's rows (column names and types, in file order)."""
    with _store(store).open(dataset.parquet_path) as fh:
        return pq.read_schema(fh)


def read_batches(dataset: Dataset, batch_size: int = 65_536, *,
                 columns: list[str] | None = None,
                 store: DatasetStore | None = None) -> Iterator[pa.RecordBatch]:
    """The dataset's rows, in file order, as record batches of at most ``batch_size`` rows.

    :param columns: read only these columns (in this order); all of them when None.
    """
    with _store(store).open(dataset.parquet_path) as fh:
        parquet = pq.ParquetFile(fh)
        yield from parquet.iter_batches(batch_size=batch_size, columns=columns)


def sample_rows(dataset: Dataset, limit: int = SCAN_SAMPLE_ROWS, *,
                store: DatasetStore | None = None) -> list[dict[str, Any]]:
    """At most ``limit`` rows spread evenly over the whole dataset, as dicts
    of JSON-safe values (dates and times as ISO text).

    Evenly spread rather than the first ones, so a file sorted by region or date is seen
    across its whole range.
    """
    total = dataset.row_count
    wanted = range(total) if total <= limit else [i * total // limit for i in range(limit)]
    picked: list[dict[str, Any]] = []
    offset = 0
    for batch in read_batches(dataset, store=store):
        start = bisect_left(wanted, offset)
        end = bisect_left(wanted, offset + batch.num_rows)
        if start < end:
            chosen = batch.take(pa.array([wanted[i] - offset for i in range(start, end)]))
            picked += [{k: _json_safe(v) for k, v in row.items()} for row in chosen.to_pylist()]
        offset += batch.num_rows
        if end >= len(wanted):
            break
    return picked


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
