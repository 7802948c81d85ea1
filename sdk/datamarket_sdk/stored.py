"""A dataset read from a local lookup store: a read-only SQLite file with an index per column.

The platform lends a granted dataset to a call as a :class:`StoredDataset`: it answers
:meth:`~StoredDataset.lookup`, ``len()``, :attr:`~StoredDataset.columns` and iteration by reading
only what is asked for, so a table of millions of rows is never copied into a call (nor onto the
pipe to a worker process: what travels is the file's path). The file is written once by
:func:`write_store` beside its final name and renamed into place, then only ever opened
read-only; a plugin holding one cannot change it.

Layout of a store file: a ``meta`` table (``columns``: the column names as a JSON list,
``booleans``: the positions of boolean columns, ``rows``: the row count) and a ``rows`` table
whose columns are ``c0``, ``c1``, ... in column order (the names are kept in ``meta``, so any
column name works), each with an index, rows in file order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from datamarket_sdk.context import CELL_TYPES, Dataset

#: Rows read from the file at a time while a plugin iterates over a dataset.
FETCH_ROWS = 1_000


def write_store(path: str | os.PathLike[str], columns: Sequence[str],
                batches: Iterable[Iterable[Sequence[Any]]],
                booleans: Iterable[int] = ()) -> int:
    """Write a lookup store at ``path`` from ``batches`` of rows (cells in column order).

    Written to a file beside ``path`` and renamed into place, so a reader never sees half a
    store; the finished file is made read-only. Returns the number of rows.

    :param booleans: positions of the columns whose cells are booleans (SQLite keeps them as
        0 and 1; readers give them back as ``False`` and ``True``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".partial-{os.getpid()}-{threading.get_ident()}-{target.name}")
    partial.unlink(missing_ok=True)
    names = [f"c{position}" for position in range(len(columns))]
    count = 0
    try:
        with sqlite3.connect(partial) as db:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            # No declared column types: SQLite then keeps each value as given.
            db.execute(f"CREATE TABLE rows ({', '.join(names) or 'c0'})")
            insert = (f"INSERT INTO rows ({', '.join(names)}) "
                      f"VALUES ({', '.join('?' for _ in names)})")
            for batch in batches:
                rows = [tuple(row) for row in batch]
                if names:
                    db.executemany(insert, rows)
                count += len(rows)
            for name in names:
                db.execute(f"CREATE INDEX rows_{name} ON rows ({name})")
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("columns", json.dumps(list(columns))),
                ("booleans", json.dumps(sorted(set(booleans)))),
                ("rows", str(count)),
            ])
        db.close()
        os.chmod(partial, 0o444)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


class StoredDataset(Dataset):
    """A granted dataset read from a lookup store file, read-only.

    Behaves as the in-memory :class:`~datamarket_sdk.Dataset` does (rows as read-only
    mappings, the same cell types), but reads the file only for what is asked: a
    :meth:`lookup` is one indexed query. The file is opened on first use.

    :param name: the dataset's name, as the product was granted it.
    :param path: the store file (see :func:`write_store`).
    """

    __slots__ = ("_path", "_db", "_lock", "_booleans", "_count")

    def __init__(self, name: str, path: str | os.PathLike[str]) -> None:  # noqa: D107
        for slot, value in (("_name", name), ("_path", str(path)), ("_db", None),
                            ("_lock", threading.Lock()), ("_indexes", {})):
            object.__setattr__(self, slot, value)

    @property
    def path(self) -> str:
        """The store file this dataset reads."""
        return self._path

    def _open(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        with self._lock:
            if self._db is None:
                uri = f"file:{quote(os.path.abspath(self._path))}?mode=ro&immutable=1"
                try:
                    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
                    meta = dict(db.execute("SELECT key, value FROM meta"))
                except sqlite3.Error as exc:
                    raise RuntimeError(f"dataset {self._name!r} cannot be read from its store "
                                       f"({exc})") from None
                db.execute("PRAGMA query_only = ON")
                object.__setattr__(self, "_columns", tuple(json.loads(meta["columns"])))
                object.__setattr__(self, "_booleans", frozenset(json.loads(meta["booleans"])))
                object.__setattr__(self, "_count", int(meta["rows"]))
                object.__setattr__(self, "_db", db)
        return self._db

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        self._open()
        return self._columns

    def __len__(self) -> int:
        self._open()
        return self._count

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        db = self._open()
        cursor = db.execute("SELECT * FROM rows ORDER BY rowid")
        try:
            while True:
                with self._lock:
                    rows = cursor.fetchmany(FETCH_ROWS)
                if not rows:
                    return
                for row in rows:
                    yield self._view(row)
        finally:
            cursor.close()

    def lookup(self, column: str, value: Any) -> list[Mapping[str, Any]]:
        """Every row whose ``column`` equals ``value`` (one indexed read of the store).

        :raises KeyError: the dataset has no such column (a fault of the plugin, not of the caller).
        :raises TypeError: ``value`` is not text, a number, a boolean or None.
        """
        db = self._open()
        if column not in self._columns:
            raise KeyError(f"dataset {self._name!r} has no column {column!r}; "
                           f"its columns are {', '.join(self._columns)}")
        if type(value) not in CELL_TYPES and not isinstance(value, CELL_TYPES):
            raise TypeError(f"dataset {self._name!r} is looked up by text, numbers, booleans or "
                            f"None, not by a {type(value).__name__}")
        operator = "IS" if value is None else "="
        position = self._columns.index(column)
        try:
            with self._lock:
                rows = db.execute(f"SELECT * FROM rows WHERE c{position} {operator} ? "
                                  f"ORDER BY rowid", (value,)).fetchall()
        except OverflowError:  # an integer wider than any the store can hold
            return []
        return [self._view(row) for row in rows]

    def _view(self, row: tuple[Any, ...]) -> Mapping[str, Any]:
        if self._booleans:
            row = tuple(bool(cell) if position in self._booleans and cell is not None else cell
                        for position, cell in enumerate(row))
        return MappingProxyType(dict(zip(self._columns, row, strict=True)))

    def to_wire(self) -> dict[str, Any]:
        """Where the dataset is (its name and store file): never its rows."""
        return {"name": self._name, "store": self._path}

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoredDataset, (self._name, self._path))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredDataset):
            return (self._name, self._path) == (other._name, other._path)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Dataset {self._name!r}: lookup store {self._path}>"
