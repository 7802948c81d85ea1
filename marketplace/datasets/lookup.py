"""Lookup stores: each dataset once as a local read-only SQLite file, for plugins' lookups.

A listing grants its operations datasets (see :mod:`marketplace.catalog.dataset_grants`); a
call gets each as a :class:`~datamarket_sdk.stored.StoredDataset` reading the dataset's lookup
store, so a call reads only the rows it looks up and nothing is copied per call (a worker
process gets the file's path, not rows). A dataset never changes, so its store is built once,
from its normalized Parquet file in the dataset store (local or S3), and kept under
``LOOKUP_STORES_DIR`` (``instance/lookup``) named by the dataset's storage key. A missing store
(a new server, a cleared folder) is built again on first use.

Cells are what the in-memory dataset holds: text, numbers, booleans and None; dates and times
become ISO text, nested values JSON text, anything else its text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from datamarket_sdk.stored import StoredDataset, write_store

from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import read_batches
from marketplace.datasets.storage import DatasetStore, check_key

_PLAIN = (str, int, float, bool, type(None))
#: Rows read from the Parquet file at a time while a store is built.
BUILD_BATCH_ROWS = 20_000


def _cell(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _rows(batches: Iterator[pa.RecordBatch]) -> Iterator[list[tuple[Any, ...]]]:
    for batch in batches:
        columns = []
        for array in batch.columns:
            values = array.to_pylist()
            if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
                    or pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
                    or pa.types.is_boolean(array.type)):
                values = [_cell(value) for value in values]
            columns.append(values)
        yield list(zip(*columns, strict=True)) if columns else [()] * batch.num_rows


class LookupStores:
    """The lookup stores of one dataset store, kept in ``folder``."""

    def __init__(self, folder: Path, store: DatasetStore):
        self.folder = Path(folder).resolve()
        self.store = store
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        # Opened datasets, shared by calls on this process's threads (each keeps its connection
        # open: a trusted call then reads without opening the file again).
        self._opened: dict[tuple[str, str], StoredDataset] = {}

    def path_of(self, dataset: Dataset) -> Path:
        """Where the dataset's lookup store is (or will be)."""
        return self.folder / f"{check_key(dataset.storage_key)}.sqlite"

    def ensure(self, dataset: Dataset) -> Path:
        """The dataset's lookup store, built first if it is missing (once at a time per
        dataset in this process; two processes building at once each rename a whole file)."""
        path = self.path_of(dataset)
        if path.is_file():
            return path
        with self._locks_lock:
            lock = self._locks.setdefault(dataset.storage_key, threading.Lock())
        with lock:
            if not path.is_file():
                self.build(dataset)
        return path

    def build(self, dataset: Dataset) -> int:
        """Build (or rebuild) the dataset's lookup store; returns its row count."""
        columns = [column["name"] for column in dataset.columns]
        booleans = [position for position, column in enumerate(dataset.columns)
                    if column.get("type") == "boolean"]
        batches = read_batches(dataset, BUILD_BATCH_ROWS, columns=columns, store=self.store)
        return write_store(self.path_of(dataset), columns, _rows(batches), booleans)

    def open(self, dataset: Dataset, name: str) -> StoredDataset:
        """The dataset as a call sees it under the granted ``name`` (its store built if
        missing); the same object for every call of this process."""
        path = self.ensure(dataset)
        key = (dataset.storage_key, name)
        opened = self._opened.get(key)
        if opened is None:
            opened = self._opened.setdefault(key, StoredDataset(name, path))
        return opened
