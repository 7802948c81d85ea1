"""StoredDataset: a granted dataset read from a lookup store file behaves as the in-memory
Dataset does, crosses to a worker as its path (never its rows), and cannot be changed."""

import json
import logging
import os
import pickle
import sqlite3
import threading
import time

import pytest

from datamarket_sdk import Context, Dataset, Scope
from datamarket_sdk.stored import StoredDataset, write_store

COLUMNS = ["credit_code", "name", "active", "capital", "closed_on"]
ROWS = [
    ["91110000100000000A", "Acme", True, 1_000_000, None],
    ["91110000100000001B", "Beta", False, 2.5, "2024-03-01"],
    ["91110000100000002C", "Gamma", True, 7, None],
    ["91110000100000000A", "Acme (branch)", None, 0, None],
]


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store.sqlite"
    # Two batches, as the platform writes them from Parquet record batches.
    assert write_store(path, COLUMNS, [ROWS[:2], ROWS[2:]], booleans=[2]) == 4
    return path


def in_memory() -> Dataset:
    return Dataset("registry", COLUMNS, ROWS)


def test_it_answers_as_the_in_memory_dataset_does(store):
    stored, memory = StoredDataset("registry", store), in_memory()
    assert isinstance(stored, Dataset)
    assert stored.name == "registry"
    assert stored.columns == memory.columns
    assert len(stored) == len(memory) == 4
    assert [dict(row) for row in stored] == [dict(row) for row in memory]
    for column, value in [("credit_code", "91110000100000000A"), ("active", True),
                          ("active", None), ("capital", 7), ("capital", 7.0), ("capital", 2.5),
                          ("closed_on", "2024-03-01"), ("name", "nobody")]:
        assert [dict(r) for r in stored.lookup(column, value)] == \
            [dict(r) for r in memory.lookup(column, value)], (column, value)


def test_cells_keep_their_types(store):
    row = StoredDataset("registry", store).lookup("name", "Acme")[0]
    assert type(row["active"]) is bool and row["active"] is True
    assert type(row["capital"]) is int
    assert StoredDataset("registry", store).lookup("name", "Beta")[0]["capital"] == 2.5


def test_rows_are_read_only_and_the_store_cannot_be_changed(store):
    stored = StoredDataset("registry", store)
    row = stored.lookup("name", "Gamma")[0]
    with pytest.raises(TypeError):
        row["name"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        stored._path = "/elsewhere"
    # Even through the connection itself, a write is refused: the store is opened read-only.
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        stored._db.execute("DELETE FROM rows")
    assert len(StoredDataset("registry", store)) == 4
    assert not os.stat(store).st_mode & 0o222  # and the file itself is not writable


def test_a_missing_column_and_a_bad_value_are_the_plugins_fault(store):
    stored = StoredDataset("registry", store)
    with pytest.raises(KeyError, match="no column 'nope'"):
        stored.lookup("nope", 1)
    with pytest.raises(TypeError, match="not by a list"):
        stored.lookup("name", ["Acme"])
    assert stored.lookup("capital", 2**70) == []


def test_it_crosses_to_a_worker_as_its_path_never_its_rows(store):
    stored = StoredDataset("registry", store)
    context = Context(buyer="b", scope=Scope(), settings=None, logger=logging.getLogger("t"),
                      deadline=time.monotonic() + 5, datasets={"registry": stored})
    wire = json.loads(json.dumps(context.to_wire()))
    assert wire["datasets"] == {"registry": {"name": "registry", "store": str(store)}}
    again = Context.from_wire(wire, logging.getLogger("t")).dataset("registry")
    assert isinstance(again, StoredDataset) and again == stored
    assert again.lookup("name", "Beta")[0]["active"] is False
    assert pickle.loads(pickle.dumps(stored)).lookup("name", "Gamma")[0]["capital"] == 7


def test_threads_share_one_dataset(store):
    stored = StoredDataset("registry", store)
    found = []

    def look() -> None:
        for _ in range(50):
            found.append(len(stored.lookup("credit_code", "91110000100000000A")))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [2] * 200


def test_a_missing_store_says_so(tmp_path):
    with pytest.raises(RuntimeError, match="cannot be read from its store"):
        len(StoredDataset("registry", tmp_path / "absent.sqlite"))


def test_the_in_memory_dataset_still_travels_with_its_rows():
    wire = in_memory().to_wire()
    assert wire["rows"][0][0] == "91110000100000000A"
    assert Dataset.from_wire(wire) == in_memory()
