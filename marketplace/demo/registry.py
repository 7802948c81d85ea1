"""The demo's business registry, granted to the company check (docs/sdk.md's example working):
the merchant keeps the registry as the dataset of a draft data package that is never sold, and
the company check's listing grants it to its operation as ``business_registry``.

The registry holds the company of the guide's example input (:data:`~.samples.GUIDE_COMPANY`)
and :data:`REGISTRY_ROWS` synthetic companies with valid credit codes, from a generator of its
own so that the rest of the demo stays as it was.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.catalog import dataset_grants
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing
from marketplace.datasets import get_store, services, store_settings
from marketplace.datasets.models import Dataset
from marketplace.demo import catalog_data, samples

REGISTRY_ROWS = 2_000


def registry_csv(rows: int = REGISTRY_ROWS) -> bytes:
    """The registry as UTF-8 CSV: the guide's company, then ``rows - 1`` synthetic ones."""
    rng = random.Random("business-registry")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["credit_code", "name", "status"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerow(samples.GUIDE_COMPANY)
    seen = {samples.GUIDE_COMPANY["credit_code"]}
    while len(seen) < rows:
        for row in samples.registry_rows(rng):
            if row["credit_code"] not in seen and len(seen) < rows:
                seen.add(row["credit_code"])
                writer.writerow(row)
    return out.getvalue().encode("utf-8")


def upload_registry(session: Session, member: User, org: MerchantOrganization) -> Dataset:
    """The registry's draft data package, with the registry uploaded as its dataset."""
    entry: dict[str, Any] = catalog_data.REGISTRY_PACKAGE
    content = {key: entry[key] for key in catalog_data.CONTENT_KEYS}
    content["sample_rows"] = entry["sample"](random.Random("business-registry-sample"))
    package = catalog.create_listing(session, member, org, content, entry["plans"])
    settings = store_settings()
    return services.upload(session, member, package, io.BytesIO(registry_csv()),
                           "business_registry.csv", store=get_store(),
                           work_dir=settings.local_dir / "uploads",
                           limit=settings.upload_max_bytes)


def grant_datasets(session: Session, member: User, org: MerchantOrganization,
                   listing: Listing, grants: dict[str, str]) -> None:
    """Grant ``listing``'s operations the datasets ``grants`` names (name -> the key of the
    package holding it; the registry is the one the demo has)."""
    for name, key in grants.items():
        assert key == catalog_data.REGISTRY_PACKAGE["key"], key
        dataset = upload_registry(session, member, org)
        dataset_grants.grant(session, member, listing, name, dataset.id)
