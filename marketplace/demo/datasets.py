"""The demo's data packages get datasets: rows made by the same synthetic generators as their
samples (``marketplace/demo/samples.py`` over ``synthetic.py``), uploaded through the real
upload service as a CSV file, so the demo shows what a merchant's upload produces.

Each package gets :data:`DEMO_ROWS` rows: enough to page through and export, few enough to keep
``seed-demo`` fast (a few tenths of a second per package). The rows are as the sample shows
them: a demo never holds unmasked personal data, even synthetic.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.catalog.models import Listing
from marketplace.datasets import get_store, services, store_settings
from marketplace.datasets.models import Dataset

DEMO_ROWS = 2_000


def dataset_csv(sample: Callable[[random.Random], list[dict[str, Any]]], fields: list[str],
                rng: random.Random, rows: int = DEMO_ROWS) -> bytes:
    """``rows`` rows from the sample generator ``sample``, as UTF-8 CSV with ``fields`` as its
    header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    written = 0
    while written < rows:
        for row in sample(rng)[: rows - written]:
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
            written += 1
    return out.getvalue().encode("utf-8")


def upload_demo_dataset(session: Session, member: User, listing: Listing,
                        sample: Callable[[random.Random], list[dict[str, Any]]],
                        rng: random.Random) -> Dataset:
    """Upload a dataset for the demo listing, as its merchant would from the editor."""
    fields = [field["name"] for field in listing.data_dictionary]
    data = dataset_csv(sample, fields, rng)
    settings = store_settings()
    return services.upload(session, member, listing, io.BytesIO(data), f"{listing.id}.csv",
                           store=get_store(), work_dir=settings.local_dir / "uploads",
                           limit=settings.upload_max_bytes)
