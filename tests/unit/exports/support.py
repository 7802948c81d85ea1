"""A synthetic dataset of customer accounts, and the moves a buyer might make with a download:
shuffling its rows, dropping a column, converting CSV to XLSX as a spreadsheet program would."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from openpyxl import Workbook

from marketplace.delivery.exports.engine import ExportReport, export
from marketplace.delivery.exports.policy import ExportPolicy
from marketplace.delivery.exports.watermark import entitlement_key

SECRET = "test-secret-key"
SCHEMA = pa.schema([("customer_no", pa.int64()), ("name", pa.string()), ("city", pa.string()),
                    ("balance", pa.float64()), ("rate", pa.float64()), ("note", pa.string())])
CITIES = ["北京", "上海", "广州", "深圳", "杭州"]


def batches(rows: int = 1500, *, seed: int = 5, size: int = 500) -> Iterator[pa.RecordBatch]:
    rng = random.Random(seed)
    for start in range(0, rows, size):
        count = min(size, rows - start)
        yield pa.record_batch([
            list(range(start, start + count)),
            [f"客户{number}" for number in range(start, start + count)],
            [rng.choice(CITIES) for _ in range(count)],
            [round(rng.uniform(-5000, 50000), 2) for _ in range(count)],
            [round(rng.uniform(0, 0.2), 4) for _ in range(count)],
            [rng.choice(["ok", "=HYPERLINK(\"http://x\")", "-12.5", "@SUM(A1)", "+86 138"])
             for _ in range(count)],
        ], schema=SCHEMA)


def export_to(path: Path, entitlement_id: int, fmt: str, *, policy: ExportPolicy | None = None,
              rows: int = 1500) -> ExportReport:
    with path.open("wb") as out:
        return export(batches(rows), SCHEMA, policy=policy or ExportPolicy(),
                      watermark_key=entitlement_key(SECRET, entitlement_id), fmt=fmt, out=out)


def shuffle_drop_and_convert(source: Path, target: Path, drop: str, *, seed: int = 9) -> None:
    """Read a delivered CSV, shuffle its rows, drop the column ``drop`` and save the rest as
    XLSX with numbers as numbers (what opening it in a spreadsheet and saving does)."""
    with source.open(encoding="utf-8-sig", newline="") as file:
        header, *rows = list(csv.reader(file))
    random.Random(seed).shuffle(rows)
    keep = [index for index, name in enumerate(header) if name != drop]
    book = Workbook()
    sheet = book.active
    sheet.append([header[index] for index in keep])
    for row in rows:
        sheet.append([_spreadsheet_value(row[index]) for index in keep])
    book.save(target)


def _spreadsheet_value(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
