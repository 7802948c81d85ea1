"""Naming the entitlement a leaked file was issued under (``datamarket watermark identify``).

The file may be CSV, XLSX or Parquet, whatever it was delivered as: only its decimals are
read (from any column, under any header, in any order), so a file whose rows were re-sorted,
whose columns were dropped or renamed, or that was converted between the three formats reads
the same. Each candidate entitlement is scored (:func:`watermark.score`) and named only when
the chance of its score by luck is below :data:`watermark.FALSE_ACCUSATION` over the number of
candidates; a file never exported, or too small to tell, names nobody.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zipfile import BadZipFile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from marketplace.delivery.exports import watermark

#: Text that is a decimal number with a fractional part (as CSV and some converters keep one).
DECIMAL_TEXT = r"^[+-]?(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+(?:\.\d+)?[eE][+-]?\d+)$"
_CHUNK = 65_536


class UnreadableFile(ValueError):
    """The file is not a CSV, XLSX or Parquet file that can be read."""


@dataclass(frozen=True)
class Candidate:
    """An entitlement a file may have been issued under."""

    entitlement_id: int
    buyer: str = ""


@dataclass(frozen=True)
class Finding:
    candidate: Candidate
    score: watermark.Score


@dataclass(frozen=True)
class Identification:
    """The verdict on one file: the candidates it names (usually one, none when unmarked)."""

    votes: int
    named: list[Finding]
    best: Finding | None

    @property
    def enough_decimals(self) -> bool:
        """Whether the file has enough distinct decimals for its issuer to be named at all."""
        return watermark.Score(self.votes, self.votes).chance < watermark.FALSE_ACCUSATION


def _decimals_of_text(column: pa.Array) -> pa.Array:
    column = pc.utf8_trim_whitespace(column.cast(pa.string()))
    looks = pc.fill_null(pc.match_substring_regex(column, DECIMAL_TEXT), False)
    return pc.filter(column, looks).cast(pa.float64())


def _decimals_of_batch(batch: pa.RecordBatch) -> Iterator[pa.Array]:
    for column in batch.columns:
        if pa.types.is_floating(column.type):
            yield column.cast(pa.float64())
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield _decimals_of_text(column)


def _csv_decimals(path: Path) -> Iterator[pa.Array]:
    # Every column as text: a column's type guessed from its first block could fail later.
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as file:
        names = next(csv.reader(file), [])
    reader = pa_csv.open_csv(path, convert_options=pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names}))
    for batch in reader:
        yield from _decimals_of_batch(batch)


def _xlsx_decimals(path: Path) -> Iterator[pa.Array]:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        numbers: list[float] = []
        texts: list[str] = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, float):
                        numbers.append(value)
                    elif isinstance(value, str) and ("." in value or "e" in value.lower()):
                        texts.append(value)
                if len(numbers) + len(texts) >= _CHUNK:
                    yield pa.array(numbers, pa.float64())
                    yield _decimals_of_text(pa.array(texts, pa.string()))
                    numbers, texts = [], []
        yield pa.array(numbers, pa.float64())
        yield _decimals_of_text(pa.array(texts, pa.string()))
    finally:
        book.close()


def _parquet_decimals(path: Path) -> Iterator[pa.Array]:
    for batch in pq.ParquetFile(path).iter_batches():
        yield from _decimals_of_batch(batch)


def file_votes(path: str | Path) -> pa.Array:
    """The distinct decimals of a CSV, XLSX or Parquet file, as :func:`watermark.votes`
    packs them (at most :data:`watermark.MAX_VOTES`)."""
    path = Path(path)
    with path.open("rb") as file:
        magic = file.read(4)
    if magic == b"PAR1":
        source = _parquet_decimals(path)
    elif magic.startswith(b"PK"):
        source = _xlsx_decimals(path)
    else:
        source = _csv_decimals(path)
    seen: list[pa.Array] = []
    total = 0
    try:
        for values in source:
            if len(values):
                seen.append(watermark.votes(values))
                total += len(seen[-1])
            if total >= 2 * watermark.MAX_VOTES:
                seen = [pc.unique(pa.concat_arrays(seen))]
                total = len(seen[0])
                if total >= watermark.MAX_VOTES:
                    break
    except (pa.ArrowInvalid, OSError, KeyError, ValueError, BadZipFile,
            InvalidFileException) as error:
        raise UnreadableFile(f"{path.name} could not be read as CSV, XLSX or Parquet: "
                             f"{error}") from error
    if not seen:
        return pa.array([], pa.uint64())
    return pc.unique(pa.concat_arrays(seen)).slice(0, watermark.MAX_VOTES)


def identify(path: str | Path, candidates: Iterable[Candidate], secret: str | bytes
             ) -> Identification:
    """Score every candidate against the file at ``path``; name those the file proves."""
    votes = file_votes(path)
    pool: Sequence[Candidate] = list(candidates)
    findings = [Finding(candidate, watermark.score(
        votes, watermark.entitlement_key(secret, candidate.entitlement_id)))
        for candidate in pool]
    findings.sort(key=lambda finding: finding.score.chance)
    named = [finding for finding in findings if finding.score.names(len(pool))]
    return Identification(len(votes), named, findings[0] if findings else None)
