"""Writing record batches as CSV, XLSX or Parquet, a batch at a time.

CSV and XLSX are opened by spreadsheet programs, so their text cells go through the one rule
against formula injection (:mod:`datamarket_sdk.csv_cells`), applied here to whole columns at
once with its own regular expressions: a cell that starts like a formula and is not a plain
number gets a leading ``'``. Parquet is not opened by spreadsheets and is written as is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from datamarket_sdk.csv_cells import FORMULA_START, FORMULA_START_PATTERN, PLAIN_NUMBER_PATTERN
from openpyxl import Workbook

#: Rows of data per XLSX sheet: Excel's limit of 1,048,576 rows, less the header.
XLSX_SHEET_ROWS = 1_048_575
_FORMULA_BYTES = pa.array([ord(character) for character in FORMULA_START], pa.uint8())
#: Characters XML 1.0 (and so XLSX) cannot hold; each becomes U+FFFD.
_XML_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {ExportFormat.CSV: "text/csv; charset=utf-8",
                ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                ExportFormat.PARQUET: "application/vnd.apache.parquet"}[self]


def _is_text(array: pa.Array) -> bool:
    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def _may_hold_formulas(array: pa.Array) -> bool:
    """Whether any value of a text column starts with a character a formula can start with,
    read from the first byte of each value (no string is looked at: the common case, a
    column without any, costs one gather)."""
    offset_type = pa.int64() if pa.types.is_large_string(array.type) else pa.int32()
    _validity, offsets_buffer, data_buffer = array.buffers()
    offsets = pa.Array.from_buffers(offset_type, len(array) + 1, [None, offsets_buffer],
                                    offset=array.offset)
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    if data_buffer is None or last == first:
        return False
    data = pa.Array.from_buffers(pa.uint8(), last, [None, data_buffer]).slice(first, last - first)
    starts, ends = offsets.slice(0, len(array)), offsets.slice(1)
    starts = pc.subtract(pc.filter(starts, pc.greater(ends, starts)), first)
    return bool(pc.any(pc.is_in(data.take(starts), value_set=_FORMULA_BYTES)).as_py())


def neutralise_formulas(array: pa.Array) -> pa.Array:
    """A text column with each cell a spreadsheet would run as a formula quoted with ``'``
    (the rule of :func:`datamarket_sdk.csv_cells.safe_text`, on a whole column)."""
    if not _is_text(array) or len(array) == 0 or not _may_hold_formulas(array):
        return array
    risky = pc.fill_null(pc.match_substring_regex(array, FORMULA_START_PATTERN), False)
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(array, PLAIN_NUMBER_PATTERN)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def spreadsheet_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with its text cells safe to open in a spreadsheet."""
    return pa.RecordBatch.from_arrays([neutralise_formulas(column) for column in batch.columns],
                                      schema=batch.schema)


class BatchWriter(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


class CsvBatchWriter:
    """UTF-8 CSV with a byte-order mark (so Excel reads it as UTF-8), the header first."""

    def __init__(self, out: BinaryIO, schema: pa.Schema) -> None:
        out.write("\ufeff".encode())
        self._writer = pa_csv.CSVWriter(out, schema)

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(spreadsheet_batch(batch))

    def close(self) -> None:
        self._writer.close()


class ParquetBatchWriter:
    def __init__(self, out: BinaryIO, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(out, schema, compression="snappy")

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


def _for_cells(array: pa.Array) -> pa.Array:
    """A column as openpyxl can write it: time zones as UTC wall time (Excel has none),
    text without the control characters XML refuses."""
    kind = array.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return array.cast(pa.timestamp(kind.unit))
    if _is_text(array):
        return pc.replace_substring_regex(neutralise_formulas(array), _XML_ILLEGAL, "\ufffd")
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return pa.array([None if value is None else value.hex() for value in array.to_pylist()],
                        pa.string())
    return array


class XlsxBatchWriter:
    """XLSX through openpyxl's write-only mode, which streams rows to a temporary file; a new
    sheet (with the header again) every :data:`XLSX_SHEET_ROWS` rows."""

    def __init__(self, out: BinaryIO, schema: pa.Schema) -> None:
        self._out = out
        self._header = list(schema.names)
        self._book = Workbook(write_only=True)
        self._sheet = None
        self._rows_in_sheet = XLSX_SHEET_ROWS

    def _next_sheet(self) -> None:
        number = len(self._book.worksheets) + 1
        self._sheet = self._book.create_sheet("data" if number == 1 else f"data {number}")
        self._sheet.append(self._header)
        self._rows_in_sheet = 0

    def write(self, batch: pa.RecordBatch) -> None:
        columns = [_for_cells(column).to_pylist() for column in batch.columns]
        for row in zip(*columns, strict=True):
            if self._rows_in_sheet >= XLSX_SHEET_ROWS:
                self._next_sheet()
            self._sheet.append(row)
            self._rows_in_sheet += 1

    def close(self) -> None:
        if self._sheet is None:
            self._next_sheet()
        self._book.save(self._out)


def open_writer(fmt: ExportFormat, out: BinaryIO, schema: pa.Schema) -> BatchWriter:
    """A writer of ``fmt`` into ``out`` for batches of ``schema``."""
    match ExportFormat(fmt):
        case ExportFormat.CSV:
            return CsvBatchWriter(out, schema)
        case ExportFormat.XLSX:
            return XlsxBatchWriter(out, schema)
        case ExportFormat.PARQUET:
            return ParquetBatchWriter(out, schema)
