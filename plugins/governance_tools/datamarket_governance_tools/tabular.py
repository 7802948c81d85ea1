"""Reading and writing the tables merchants and buyers send: CSV and XLSX.

Reading: :func:`read_table` takes the bytes of an upload and its file name. CSV may be UTF-8 (with
or without the BOM Excel adds), UTF-16 with a BOM (Excel's "Unicode text"), or GB18030 (what
Chinese Excel exports as "CSV"); the delimiter is a comma, semicolon or tab, whichever the header
line uses most. XLSX is read from its first sheet, dates becoming ISO text. The first row is the
header. Rows whose every cell is empty are skipped; row numbers in messages count lines of the
file (CSV) or rows of the sheet (XLSX), header included, as a spreadsheet shows them.

Writing: :func:`write_csv` (UTF-8 with a BOM, so Excel shows Chinese correctly) and
:func:`write_xlsx`. Both keep a cell from being run as a formula: a CSV cell starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` (plain numbers such as
``-12.5`` are left alone), and an XLSX cell is always stored as text, never as a formula.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal, TextIO

import openpyxl
from datamarket_sdk.csv_cells import safe_text
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the legacy .xls container

Cell = str | int | float | bool | None


class TableError(ValueError):
    """A file cannot be read as a table; the message says what to fix."""


@dataclass(frozen=True)
class Table:
    """A table read from a file: the header's column names and one dict per row.

    :param format: ``"csv"`` or ``"xlsx"``, what the file was.
    """

    columns: list[str]
    rows: list[dict[str, Cell]]
    format: Literal["csv", "xlsx"]


def _check_header(names: Sequence[Any], where: str) -> list[str]:
    columns = [str(name).strip() if name is not None else "" for name in names]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise TableError(f"{where} has no header: its first row must name the columns")
    if len(columns) > MAX_COLUMNS:
        raise TableError(f"{where} has {len(columns)} columns; at most {MAX_COLUMNS} are allowed")
    seen: dict[str, int] = {}
    for number, name in enumerate(columns, start=1):
        if not name:
            raise TableError(f"column {number} of the header in {where} has no name; "
                             "name every column")
        if name in seen:
            raise TableError(f"the header in {where} names {name!r} twice (columns "
                             f"{seen[name]} and {number}); column names must be unique")
        seen[name] = number
    return columns


class CsvRowReader:
    """The rows of a CSV text file as dicts keyed by the header, read one at a time.

    The header is read when the reader is made, so :attr:`columns` is known before any row.

    :raises TableError: the header is missing, or has a blank or repeated name; while
        iterating, a row has more or fewer values than the header (the message gives its line).
    """

    def __init__(self, file: TextIO, delimiter: str = ",", where: str = "the file") -> None:
        self._reader = csv.reader(file, delimiter=delimiter)
        self._where = where
        header = next((row for row in self._reader if row), None)
        if header is None:
            raise TableError(f"{where} has no header: its first row must name the columns")
        self.columns = _check_header(header, where)
        self._width = len(header)

    def __iter__(self) -> Iterator[dict[str, str]]:
        reader, where, columns, width = self._reader, self._where, self.columns, self._width
        named = len(columns)
        for row in reader:
            if len(row) != width:
                if not any(row):
                    continue  # an empty line, or a row of empty cells
                raise TableError(f"line {reader.line_num} of {where} has {len(row)} values "
                                 f"but the header has {width}")
            if width != named:  # the header ended in unnamed, empty columns
                if any(row[named:]):
                    raise TableError(f"line {reader.line_num} of {where} has a value in a "
                                     "column that has no name in the header")
                row = row[:named]
            if any(row):
                yield dict(zip(columns, row, strict=True))


def _decode(content: bytes, where: str) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    if b"\x00" in content[:8192]:
        raise TableError(f"{where} is not a text file, so it cannot be CSV; upload CSV or XLSX")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(f"{where} is neither UTF-8 nor GB18030 text; save it as CSV UTF-8 "
                         "and upload it again") from None


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties go to the comma
    return best if counts[best] else ","


def _limited(rows: Iterable[dict[str, Cell]], where: str) -> list[dict[str, Cell]]:
    kept = []
    for row in rows:
        if len(kept) == MAX_ROWS:
            raise TableError(f"{where} has more than {MAX_ROWS:,} rows; split it into smaller "
                             "files")
        kept.append(row)
    return kept


def _read_csv(content: bytes, where: str) -> Table:
    text = _decode(content, where)
    try:
        reader = CsvRowReader(io.StringIO(text, newline=""), _sniff_delimiter(text), where)
        return Table(reader.columns, _limited(reader, where), "csv")
    except csv.Error as error:
        raise TableError(f"{where} is not valid CSV: {error}") from None


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def _read_xlsx(content: bytes, where: str) -> Table:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise TableError(f"{where} is not a readable XLSX workbook; open it in Excel and save "
                         "it again as .xlsx") from None
    try:
        sheet = book.worksheets[0]
        # Files from some tools declare wrong dimensions; read what is really there.
        sheet.reset_dimensions()
        lines = enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1)
        header = next((line for _number, line in lines
                       if any(value is not None for value in line)), None)
        if header is None:
            raise TableError(f"{where} has no header: its first sheet is empty")
        columns = _check_header(header, where)
        width = len(columns)

        def rows() -> Iterator[dict[str, Cell]]:
            for number, line in lines:
                values = [_xlsx_cell(value) for value in line]
                if any(value is not None for value in values[width:]):
                    raise TableError(f"row {number} of {where} has a value in a column that "
                                     "has no name in the header")
                values = values[:width] + [None] * (width - len(values))
                if any(value is not None for value in values):
                    yield dict(zip(columns, values, strict=True))

        return Table(columns, _limited(rows(), where), "xlsx")
    finally:
        book.close()


def read_table(content: bytes, filename: str) -> Table:
    """The table in an uploaded CSV or XLSX file (see the module's docstring for what is read).

    :raises TableError: the file is empty, too large (over 20 MB, 200,000 rows or 200 columns),
        a legacy .xls workbook, neither CSV nor XLSX, has no header or a blank or repeated
        column name, or has a row of the wrong length (the message gives its line).
    """
    where = repr(filename) if filename else "the file"
    suffix = PurePath(filename).suffix.lower()
    if not content:
        raise TableError(f"{where} is empty")
    if len(content) > MAX_BYTES:
        raise TableError(f"{where} is {len(content) / 2**20:.1f} MB; at most "
                         f"{MAX_BYTES // 2**20} MB can be uploaded")
    if suffix == ".xls" or content.startswith(_OLE_MAGIC):
        raise TableError(f"{where} is a legacy Excel .xls workbook; open it in Excel and save it "
                         "as .xlsx (or CSV UTF-8)")
    if suffix == ".xlsx":
        return _read_xlsx(content, where)
    if suffix in CSV_SUFFIXES:
        return _read_csv(content, where)
    raise TableError(f"{where} is neither CSV nor XLSX; upload a .csv or .xlsx file")


def _csv_cell(value: Any) -> Any:
    if type(value) is str:
        return safe_text(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class CsvRowWriter:
    """Writes rows (dicts) to a CSV text file under a header, protected against formulas.

    A row's missing fields are written empty; fields not in ``columns`` are not written.
    """

    def __init__(self, file: TextIO, columns: Sequence[str], *, bom: bool = True) -> None:
        if bom:
            file.write("\ufeff")
        self._columns = list(columns)
        self._writer = csv.writer(file)
        self._writer.writerow([_csv_cell(column) for column in self._columns])

    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row."""
        self._writer.writerow([_csv_cell(row.get(column)) for column in self._columns])

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Write every row of ``rows``; return how many there were."""
        columns, count = self._columns, 0
        for row in rows:
            self._writer.writerow([_csv_cell(row.get(column)) for column in columns])
            count += 1
        return count


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as a CSV file: UTF-8 with a BOM, CRLF line ends, formula-safe cells."""
    text = io.StringIO(newline="")
    CsvRowWriter(text, columns).write_rows(rows)
    return text.getvalue().encode("utf-8")


def write_xlsx(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as an XLSX workbook of one sheet; text is stored as text, never as a formula.

    Characters that XLSX cannot hold (control characters other than tab and line breaks) are
    removed.
    """
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not text.startswith("="):
            return text
        safe = WriteOnlyCell(sheet, text)
        safe.data_type = "s"  # openpyxl would otherwise store it as a formula
        return safe

    sheet.append([cell(column) for column in columns])
    for row in rows:
        sheet.append([cell(row.get(column)) for column in columns])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
