"""Datasets for tests: files in each format, and a dataset attached to a listing through the
real upload service (the app's dataset store, local or S3)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.catalog.models import Listing
from marketplace.datasets import get_store, services, store_settings
from marketplace.datasets.models import Dataset

#: A value of each data dictionary type, as text in a file.
TYPED_TEXT = {"string": "text", "integer": "7", "decimal": "1.5", "boolean": "true",
              "date": "2026-01-31", "datetime": "2026-01-31 08:30:00", "json": '{"a": 1}'}


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    """``rows`` (the header first) as CSV text in ``encoding`` (``utf-8-sig`` adds a BOM)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def dictionary_csv(dictionary: list[dict[str, Any]], rows: int = 3) -> bytes:
    """A CSV file whose columns are exactly the dictionary's fields, with values of their
    types."""
    names = [field["name"] for field in dictionary if field.get("name")]
    types = [TYPED_TEXT[field.get("type") or "string"] for field in dictionary if field.get("name")]
    return csv_bytes([names, *([types] * rows)])


def attach_dataset(session: Session, merchant: User, listing: Listing,
                   data: bytes | None = None, name: str = "data.csv") -> Dataset:
    """Upload ``data`` (by default a CSV matching the listing's dictionary) to the listing,
    through the upload service, and commit."""
    settings = store_settings()
    dataset = services.upload(
        session, merchant, listing,
        io.BytesIO(data if data is not None else dictionary_csv(listing.data_dictionary)),
        name, store=get_store(), work_dir=settings.local_dir / "uploads",
        limit=settings.upload_max_bytes)
    session.commit()
    return dataset
