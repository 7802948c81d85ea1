"""The dataset table: one immutable upload, kept as its original file and as Parquet.

A :class:`Dataset` never changes once written. A listing points at the dataset it sells
(``Listing.dataset_id``); a new version of the product starts pointing at the same one, and
uploading again makes a new dataset instead of changing the old one, so what a published
version sold stays what it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.base import json_column, utcnow


class Dataset(SQLModel, table=True):
    """One uploaded file, normalized.

    ``columns`` holds one dict per column in file order: ``name``, ``type`` (a data dictionary
    type: string, integer, decimal, boolean, date, datetime or json) and ``arrow_type`` (the
    Parquet column's type as pyarrow names it).
    """

    id: int | None = Field(default=None, primary_key=True)
    # The folder of its files in the dataset store (a random hex name, never reused).
    storage_key: str = Field(max_length=64, unique=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    organization_id: int = Field(foreign_key="merchant_organization.id", index=True)
    # The listing version it was uploaded to (later versions may sell it too). No foreign key:
    # the listing points back at its dataset, and tables must not reference each other.
    listing_id: int = Field(index=True)
    row_count: int = Field(ge=0)
    columns: list[dict[str, Any]] = Field(default_factory=list,
                                          sa_column=json_column(nullable=False))
    original_name: str = Field(max_length=255)
    # csv, xlsx or parquet.
    original_format: str = Field(max_length=10)
    # The text encoding detected in a CSV file ("UTF-8", "UTF-8 with BOM", "GBK"); None else.
    encoding: str | None = Field(default=None, max_length=20)
    # Bytes of the original file, and its SHA-256 (hex).
    size_bytes: int = Field(ge=0)
    sha256: str = Field(max_length=64)
    # Bytes of the normalized Parquet file.
    parquet_bytes: int = Field(ge=0)
    uploaded_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def original_path(self) -> str:
        """The original file's key in the dataset store."""
        return f"{self.storage_key}/original.{self.original_format}"

    @property
    def parquet_path(self) -> str:
        """The normalized Parquet file's key in the dataset store."""
        return f"{self.storage_key}/data.parquet"
