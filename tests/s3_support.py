"""A private S3 API server for the dataset store's tests: moto in server mode (``moto_server``,
from the ``moto[server]`` test extra), started on a free loopback port, stopped at the end.

It speaks the S3 REST API over HTTP as real object storage does, so the store's boto3 client
is exercised end to end (multipart uploads, ranged GETs, HEAD on missing keys).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import BinaryIO

from tests.redis_support import _free_port

ACCESS_KEY_ID = "testing-key"
SECRET_ACCESS_KEY = "testing-secret"
REGION = "us-east-1"


class MotoServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.log: BinaryIO | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> MotoServer:
        self.log = (self.folder / "moto.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                urllib.request.urlopen(self.endpoint_url + "/moto-api/", timeout=2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on port {self.port}; "
                           f"see {self.folder / 'moto.log'}")

    def reset(self) -> None:
        """Forget every bucket and object."""
        request = urllib.request.Request(self.endpoint_url + "/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def settings(self, bucket: str) -> dict[str, str]:
        """The app settings that put datasets in ``bucket`` on this server."""
        return {"DATASET_S3_BUCKET": bucket, "DATASET_S3_ENDPOINT_URL": self.endpoint_url,
                "DATASET_S3_REGION": REGION, "DATASET_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
                "DATASET_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}

    def new_bucket_settings(self) -> dict[str, str]:
        """Make a bucket of its own for one test and return the app settings that use it."""
        import boto3

        bucket = f"datasets-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                     aws_access_key_id=ACCESS_KEY_ID,
                     aws_secret_access_key=SECRET_ACCESS_KEY).create_bucket(Bucket=bucket)
        return self.settings(bucket)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None
