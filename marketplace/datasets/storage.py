"""Where datasets' files live: one interface, a local folder by default, S3 when configured.

Every backend offers the same four operations on keys such as ``"3f2a.../data.parquet"``:
:meth:`DatasetStore.put` (streamed from a readable binary file, never read whole),
:meth:`~DatasetStore.open` (a seekable binary file, as Parquet readers need),
:meth:`~DatasetStore.delete` and :meth:`~DatasetStore.exists`. Which backend serves is a
setting (:class:`StoreSettings`): ``DATASET_S3_BUCKET`` set means S3-compatible object storage
(:mod:`marketplace.datasets.s3`), otherwise the folder ``DATASETS_DIR`` (``instance/datasets``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

#: Bytes copied at a time when a file is streamed into or out of a store.
CHUNK_BYTES = 1024 * 1024
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class DatasetStore(Protocol):
    """A place that keeps datasets' files under keys."""

    def put(self, key: str, source: BinaryIO) -> int:
        """Store what ``source`` holds (read in chunks) under ``key``; returns the bytes."""

    def open(self, key: str) -> BinaryIO:
        """The file under ``key``, readable and seekable; close it after use.

        :raises FileNotFoundError: when there is none.
        """

    def delete(self, key: str) -> None:
        """Remove the file under ``key``; nothing happens when there is none."""

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""


def check_key(key: str) -> str:
    """``key`` when it is a safe relative path (letters, digits, ``_.-`` and ``/``)."""
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise ValueError(f"not a dataset store key: {key!r}")
    return key


class LocalStore:
    """Files in a folder of this machine (the embedded default)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: BinaryIO) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: a reader never sees half a file.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


@dataclass(frozen=True)
class StoreSettings:
    """Which dataset store serves, and the upload limit of the listing editor."""

    local_dir: Path
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = "datasets/"
    #: The largest file a merchant may upload (the upload route's own request limit).
    upload_max_bytes: int = 200 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StoreSettings:
        return cls(local_dir=Path(config["DATASETS_DIR"]),
                   s3_bucket=str(config.get("DATASET_S3_BUCKET") or ""),
                   s3_endpoint_url=str(config.get("DATASET_S3_ENDPOINT_URL") or ""),
                   s3_region=str(config.get("DATASET_S3_REGION") or ""),
                   s3_access_key_id=str(config.get("DATASET_S3_ACCESS_KEY_ID") or ""),
                   s3_secret_access_key=str(config.get("DATASET_S3_SECRET_ACCESS_KEY") or ""),
                   s3_prefix=str(config.get("DATASET_S3_PREFIX", "datasets/")),
                   upload_max_bytes=int(config["DATASET_UPLOAD_MAX_BYTES"]))


def build_store(store_settings: StoreSettings) -> DatasetStore:
    """The backend the settings name: S3 when a bucket is set, else the local folder."""
    if store_settings.s3_bucket:
        from marketplace.datasets.s3 import S3Store

        return S3Store.from_settings(store_settings)
    return LocalStore(store_settings.local_dir)
