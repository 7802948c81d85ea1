"""Reading an uploaded file (CSV, XLSX or Parquet) into the normalized Parquet file.

Every reader streams: a CSV file is parsed by Arrow's streaming CSV reader (all text) and
XLSX rows are gathered :data:`BATCH_ROWS` at a time, into record batches of text written to a
staging Parquet file while each column's type is narrowed (:mod:`.column_types`); a second pass
casts the staged batches to those types. A Parquet upload is rewritten batch by batch with its
own types. Nothing holds the whole file in memory.

Row numbers in messages count the header as row 1, as a spreadsheet shows them (in CSV, blank
lines are skipped and not counted).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from flask_babel import lazy_gettext as _l

from marketplace.datasets.column_types import TypeGuess, describe
from marketplace.datasets.storage import CHUNK_BYTES
from marketplace.errors import DomainError

BATCH_ROWS = 50_000
MAX_COLUMNS = 500
FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
#: Codecs tried in order on a CSV file, with the name the merchant is shown.
ENCODINGS = (("utf-8", "UTF-8"), ("gbk", "GBK"))


class UploadRefused(DomainError):
    """The file cannot become a dataset; the message says why and what to do."""

    status_code = 422


@dataclass(frozen=True)
class Ingested:
    """What reading an upload found."""

    row_count: int
    columns: list[dict[str, str]]
    #: The encoding a CSV file was read in; None for the other formats.
    encoding: str | None


def format_of(filename: str, path: Path) -> str:
    """The upload's format (csv, xlsx or parquet), from its name, checked against its bytes."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise UploadRefused(_l("Upload a CSV, XLSX or Parquet file (named .csv, .xlsx or "
                               ".parquet); “%(name)s” is none of these.", name=filename))
    fmt = FORMATS[suffix]
    with path.open("rb") as fh:
        head = fh.read(4)
    if fmt == "xlsx" and head != b"PK\x03\x04":
        raise UploadRefused(_l("“%(name)s” is not an Excel workbook (.xlsx); save it from "
                               "Excel as .xlsx, or upload it as CSV.", name=filename))
    if fmt == "parquet" and head != b"PAR1":
        raise UploadRefused(_l("“%(name)s” is not a Parquet file.", name=filename))
    return fmt


def ingest(source: Path, fmt: str, target: Path) -> Ingested:
    """Read ``source`` (of format ``fmt``) and write the normalized Parquet file ``target``.

    :raises UploadRefused: naming the row, column or byte that could not be read.
    """
    if fmt == "parquet":
        return _rewrite_parquet(source, target)
    encoding = None
    if fmt == "csv":
        codec, encoding = detect_encoding(source)
        names, batches = _csv_batches(source, codec)
    else:
        rows = _xlsx_rows(source)
        names = next(rows)
        batches = _batches(rows, _text_schema(names))
    staging = target.with_name(target.name + ".staging")
    try:
        row_count, guesses = _stage(names, batches, staging)
        _cast(staging, target, guesses)
    finally:
        staging.unlink(missing_ok=True)
    return Ingested(row_count, describe(pq.read_schema(target)), encoding)


def detect_encoding(path: Path) -> tuple[str, str]:
    """The codec to read a CSV file with and its name: UTF-8 (with or without a BOM), else GBK.

    The whole file is decoded strictly, in chunks, since a character that is not UTF-8 may
    first appear on its last line.
    """
    with path.open("rb") as fh:
        has_bom = fh.read(3) == codecs.BOM_UTF8
    for codec, name in ENCODINGS:
        decoder = codecs.getincrementaldecoder(codec)("strict")
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK_BYTES):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8" and has_bom:
            return "utf-8-sig", "UTF-8 with BOM"
        return codec, name
    raise UploadRefused(_l("The file's text is neither UTF-8 nor GBK. Save it as “CSV UTF-8” "
                           "and upload it again."))


def _header(cells: Iterable[object]) -> list[str]:
    names = [str(cell).strip() if cell is not None else "" for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise UploadRefused(_l("Row 1 should name the columns, but it is empty."))
    if len(names) > MAX_COLUMNS:
        raise UploadRefused(_l("The file has %(n)s columns; a dataset has at most %(most)s.",
                               n=f"{len(names):,}", most=MAX_COLUMNS))
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            raise UploadRefused(_l("Column %(n)d of the header (row 1) has no name.",
                                   n=position))
        if name in seen:
            raise UploadRefused(_l("The header (row 1) names the column “%(name)s” twice.",
                                   name=name))
        seen.add(name)
    return names


def _fitted(cells: list, width: int, row: int) -> list:
    """A spreadsheet row's ``cells`` made at most ``width`` long: empty trailing cells are
    dropped; a value beyond the header's columns is refused."""
    if len(cells) > width:
        if any(cell not in (None, "") for cell in cells[width:]):
            raise UploadRefused(_l("Row %(row)s has %(cells)d cells; the header has %(width)d.",
                                   row=f"{row:,}", cells=len(cells), width=width))
        cells = cells[:width]
    return cells


def _csv_batches(path: Path, codec: str) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """The CSV file's column names, and its rows as batches of text (empty cells null),
    parsed by Arrow's streaming CSV reader. Columns the header leaves unnamed at its end are
    left out."""
    with path.open("r", encoding=codec, newline="") as fh:
        try:
            raw = next(csv.reader(fh), [])
        except csv.Error as exc:
            raise UploadRefused(_l("Row %(row)s cannot be read as CSV (%(error)s).",
                                   row=1, error=str(exc))) from None
    names = _header(raw)
    # Unnamed trailing columns get placeholder names, so rows that fill them still parse.
    placeholders = [f"\x00unnamed{i}" for i in range(len(raw) - len(names))]
    invalid: list = []

    def refuse_row(row) -> str:
        invalid.append(row)
        return "error"

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=8 * CHUNK_BYTES, skip_rows=1,
                    column_names=names + placeholders, encoding=codec),
                parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                                 invalid_row_handler=refuse_row),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in names}, include_columns=names,
                    strings_can_be_null=True, quoted_strings_can_be_null=True))
        except pa.ArrowInvalid as exc:
            if invalid:
                row = invalid[0]
                raise UploadRefused(_l(
                    "Row %(row)s has %(cells)d cells; the header has %(width)d.",
                    row=f"{row.number:,}" if row.number else "?", cells=row.actual_columns,
                    width=row.expected_columns)) from None
            raise UploadRefused(_l("The file cannot be read as CSV (%(error)s).",
                                   error=str(exc))) from None

    return names, batches()


def _xlsx_cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # Opened as a file: the upload's work file has no .xlsx suffix for openpyxl to check.
    handle = path.open("rb")
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        handle.close()
        raise UploadRefused(_l("The workbook cannot be opened; save it from Excel as .xlsx "
                               "and upload it again.")) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = _header(next(rows, ()))
        yield header
        for row, values in enumerate(rows, start=2):
            cells = _fitted([_xlsx_cell(v) for v in values], len(header), row)
            if all(cell is None for cell in cells):
                continue  # an empty row
            yield cells + [None] * (len(header) - len(cells))
    finally:
        workbook.close()
        handle.close()


def _text_schema(names: list[str]) -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in names])


def _stage(names: list[str], batches: Iterator[pa.RecordBatch],
           staging: Path) -> tuple[int, list[TypeGuess]]:
    """Write the text batches to ``staging``, narrowing each column's type on the way."""
    schema = _text_schema(names)
    guesses = [TypeGuess() for _ in names]
    count = 0
    # Uncompressed: the staging file is read once and deleted; compressing it cost more time
    # than any other step.
    with pq.ParquetWriter(staging, schema, compression="none") as writer:
        for batch in batches:
            for guess, column in zip(guesses, batch.columns, strict=True):
                guess.observe(column)
            writer.write_batch(batch)
            count += batch.num_rows
    if count == 0:
        raise UploadRefused(_l("The file names its columns but has no rows of data."))
    return count, guesses


def _batches(rows: Iterator[list], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    buffered: list[list] = []
    for cells in rows:
        buffered.append(cells)
        if len(buffered) == BATCH_ROWS:
            yield _batch(buffered, schema)
            buffered = []
    if buffered:
        yield _batch(buffered, schema)


def _batch(rows: list[list], schema: pa.Schema) -> pa.RecordBatch:
    columns = [pa.array(list(values), pa.string()) for values in zip(*rows, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _cast(staging: Path, target: Path, guesses: list[TypeGuess]) -> None:
    staged = pq.ParquetFile(staging)
    schema = pa.schema([(field.name, guess.arrow_type)
                        for field, guess in zip(staged.schema_arrow, guesses, strict=True)])
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in staged.iter_batches(batch_size=BATCH_ROWS):
            writer.write_batch(batch.cast(schema))


def _rewrite_parquet(source: Path, target: Path) -> Ingested:
    try:
        parquet = pq.ParquetFile(source)
        schema = parquet.schema_arrow
        _header(schema.names)
        count = 0
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                writer.write_batch(batch)
                count += batch.num_rows
    except (pa.ArrowException, OSError):
        raise UploadRefused(_l("The Parquet file cannot be read; it may be damaged or cut "
                               "short. Write it again and upload it.")) from None
    if count == 0:
        raise UploadRefused(_l("The file names its columns but has no rows of data."))
    return Ingested(count, describe(schema), None)
