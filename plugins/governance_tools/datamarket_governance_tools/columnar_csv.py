"""Streaming a CSV file through the columnar masking of :mod:`.columnar`.

:func:`mask_csv` reads the file in blocks with pyarrow's CSV reader (every column as text, so
identifiers keep their leading zeros), masks each record batch and writes it with pyarrow's
CSV writer. Reading runs ahead and writing behind on threads of their own, since Arrow parses
and writes without holding the interpreter while the masking of pseudonyms holds it: on two
cores the three overlap. Two batches at most wait at each step, so memory stays flat.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from datamarket_sdk.csv_cells import FORMULA_START, FORMULA_START_PATTERN, PLAIN_NUMBER_PATTERN

from datamarket_governance_tools.columnar import bytes_and_starts, is_text, mask_batches
from datamarket_governance_tools.masking import FieldPolicy, MaskingError

#: Bytes of CSV read per record batch.
CSV_BLOCK_SIZE = 4 << 20

_FORMULA_BYTES = pa.array([ord(character) for character in FORMULA_START], pa.uint8())


def neutralise_formulas(array: pa.Array) -> pa.Array:
    """Text cells that a spreadsheet would run as a formula, with a leading ``'``; plain
    numbers such as ``-12.5`` are left alone (the SDK's rule, :mod:`datamarket_sdk.csv_cells`,
    applied to a whole column at once)."""
    if not is_text(array):
        return array
    data, starts = bytes_and_starts(array)
    present = pc.greater(pc.binary_length(array), 0)
    if not len(data) or not pc.any(pc.is_in(data.take(pc.filter(starts, present)),
                                            value_set=_FORMULA_BYTES)).as_py():
        return array
    risky = pc.match_substring_regex(array, FORMULA_START_PATTERN)
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(array, PLAIN_NUMBER_PATTERN)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def _header(source: Path) -> list[str]:
    with source.open(encoding="utf-8-sig", newline="") as file:
        return next(csv.reader(file), [])


def mask_csv(source: str | Path, target: str | Path | IO[bytes],
             policies: Sequence[FieldPolicy | dict[str, Any]], key: bytes | None, *,
             block_size: int = CSV_BLOCK_SIZE) -> int:
    """Stream the UTF-8 CSV file ``source`` into ``target`` with its fields masked; return the
    number of rows.

    Every column is read as text, so identifiers keep their leading zeros; the output is UTF-8
    with a BOM (for Excel), the header first, formula-looking cells neutralised. Memory holds
    about two blocks of ``block_size`` bytes at a time, whatever the file's size.

    :raises MaskingError: as :func:`mask_batches`, or the file has no header.
    """
    source = Path(source)
    columns = _header(source)
    if not columns:
        raise MaskingError(f"{source.name} has no header: its first row must name the columns")
    reader = pa_csv.open_csv(
        source, read_options=pa_csv.ReadOptions(block_size=block_size),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string()
                                                            for name in columns}))
    sink = target if hasattr(target, "write") else open(target, "wb")  # noqa: SIM115
    try:
        sink.write("\ufeff".encode())
        with pa_csv.CSVWriter(sink, reader.schema) as writer:
            return _write_behind(mask_batches(_read_ahead(reader), policies, key), writer)
    finally:
        if sink is not target:
            sink.close()


_DONE = object()


def _read_ahead(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``batches``, read on a thread of their own up to two ahead of the caller, so parsing
    overlaps masking (Arrow parses without holding the interpreter)."""
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        ready.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer below
            ready.put(error)
            return
        ready.put(_DONE)

    thread = threading.Thread(target=read, name="mask-csv-reader", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _write_behind(batches: Iterator[pa.RecordBatch], writer: pa_csv.CSVWriter) -> int:
    """Write ``batches`` on a thread of their own while the next ones are masked.

    Masking holds the interpreter for pseudonyms while Arrow writes without it, so the two
    overlap on two cores; the queue holds at most two batches, so memory stays flat.
    """
    waiting: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def write() -> None:
        while (batch := waiting.get()) is not _DONE:
            if failure:
                continue  # drain, so the producer never blocks on a dead writer
            try:
                writer.write_batch(pa.RecordBatch.from_arrays(
                    [neutralise_formulas(column) for column in batch.columns],
                    names=batch.schema.names))
            except BaseException as error:  # handed to the caller below
                failure.append(error)

    thread = threading.Thread(target=write, name="mask-csv-writer", daemon=True)
    thread.start()
    rows = 0
    try:
        for batch in batches:
            if failure:
                break
            waiting.put(batch)
            rows += batch.num_rows
    finally:
        waiting.put(_DONE)
        thread.join()
    if failure:
        raise failure[0]
    return rows
