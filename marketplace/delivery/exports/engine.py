"""The export engine: a dataset's record batches to a delivered file, one batch at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa

from marketplace.delivery.exports import watermark
from marketplace.delivery.exports.policy import ExportPolicy
from marketplace.delivery.exports.writers import ExportFormat, open_writer


@dataclass(frozen=True)
class ExportReport:
    """What was written."""

    rows: int
    #: Cells that carry the watermark; 0 when the delivered columns have no decimals, so the
    #: file cannot be traced (see docs/decisions.md).
    marked_cells: int


def _marked(batch: pa.RecordBatch, key: bytes) -> tuple[pa.RecordBatch, int]:
    columns, marked = [], 0
    for column in batch.columns:
        if pa.types.is_float64(column.type):
            column, count = watermark.mark(column, key)
            marked += count
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), marked


def export(batches: Iterable[pa.RecordBatch], schema: pa.Schema, *, policy: ExportPolicy,
           watermark_key: bytes, fmt: ExportFormat | str, out: BinaryIO,
           progress: Callable[[int], None] | None = None) -> ExportReport:
    """Write ``batches`` (of ``schema``) to ``out`` in ``fmt`` as their recipient may see them.

    Each batch goes through ``policy`` (columns outside the scope dropped, masked columns
    masked), then every decimal column gets the watermark of ``watermark_key``
    (:func:`watermark.entitlement_key`), then the writer (text cells of CSV and XLSX made safe
    against formula injection). Only one batch is held at a time, so memory does not grow
    with the number of rows.

    :param progress: called after each batch with the number of rows written so far.
    :raises ExportRefused: the policy leaves no column, or masks without a masker.
    :raises MaskingUnavailable, GovernanceStepFailed: a masking strategy is missing or failed;
        what was written to ``out`` must then be thrown away.
    """
    delivered = policy.output_schema(schema)
    writer = open_writer(ExportFormat(fmt), out, delivered)
    rows = marked = 0
    try:
        for batch in batches:
            if not batch.num_rows:
                continue
            batch, count = _marked(policy.apply(batch, delivered), watermark_key)
            writer.write(batch)
            rows += batch.num_rows
            marked += count
            if progress is not None:
                progress(rows)
    finally:
        writer.close()
    return ExportReport(rows, marked)
