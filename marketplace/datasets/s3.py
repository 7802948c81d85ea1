"""The dataset store on S3-compatible object storage (AWS S3, MinIO, Ceph...), through boto3.

Uploads are streamed with boto3's managed transfer (multipart for large files). Reading returns
a seekable file whose reads are ranged GETs, buffered, so a Parquet reader fetches the footer
and then only the parts it needs, and nothing is copied to local disk first.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from marketplace.datasets.storage import CHUNK_BYTES, check_key

if TYPE_CHECKING:
    from marketplace.datasets.storage import StoreSettings

#: Bytes fetched per ranged GET when reading (a Parquet column chunk is often larger).
READ_BUFFER_BYTES = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """Objects in one bucket, under a key prefix."""

    def __init__(self, client, bucket: str, prefix: str = "datasets/"):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> S3Store:
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"}),
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, source: BinaryIO) -> int:
        counted = _CountingReader(source)
        self.client.upload_fileobj(counted, self.bucket, self._key(key),
                                   Config=TransferConfig(multipart_chunksize=8 * CHUNK_BYTES,
                                                         use_threads=False))
        return counted.count

    def open(self, key: str) -> BinaryIO:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise FileNotFoundError(key) from None
            raise
        raw = _RangedObject(self.client, self.bucket, self._key(key),
                            int(head["ContentLength"]))
        return io.BufferedReader(raw, buffer_size=READ_BUFFER_BYTES)  # type: ignore[return-value]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True


class _CountingReader(io.RawIOBase):
    """``source`` read through, counting the bytes (boto3 reports none back)."""

    def __init__(self, source: BinaryIO):
        self.source = source
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _RangedObject(io.RawIOBase):
    """A read-only, seekable view of one object: each read is a ranged GET."""

    def __init__(self, client, bucket: str, key: str, size: int):
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size or len(buffer) == 0:
            return 0
        end = min(self.position + len(buffer), self.size) - 1
        body = self.client.get_object(Bucket=self.bucket, Key=self.key,
                                      Range=f"bytes={self.position}-{end}")["Body"]
        data = body.read()
        body.close()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
