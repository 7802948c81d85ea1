"""Uploading a data package's dataset from the listing editor, against both dataset stores.

Every test here runs twice: with the local folder (the embedded default) and with S3-compatible
object storage, a real S3 API server (moto's server mode, tests/s3_support.py). The uploads go
through the real route (a plain form POST, or the raw body the progress bar's script sends),
and what was stored is read back through the one read API.
"""

from __future__ import annotations

import datetime as dt
import io
import random

import pyarrow as pa
import pytest
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marketplace.audit.models import AuditEntry
from marketplace.catalog import compliance
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState, Product
from marketplace.datasets import get_store
from marketplace.datasets.models import Dataset
from marketplace.datasets.reader import read_batches, schema
from marketplace.datasets.s3 import S3Store
from marketplace.demo.synthetic import resident_id
from marketplace.errors import ValidationFailed
from tests.dataset_support import (
    attach_dataset,
    csv_bytes,
    parquet_bytes,
    xlsx_bytes,
)
from tests.factories import (
    forget,
    listing_content,
    logged_in_client,
    make_listing,
    make_merchant,
    page_text,
    plans,
)

DICTIONARY = [
    {"name": "credit_code", "type": "string", "description": "USCC", "sensitivity": "none"},
    {"name": "company", "type": "string", "description": "Name", "sensitivity": "none"},
    {"name": "employees", "type": "integer", "description": "Staff", "sensitivity": "none"},
    {"name": "registered", "type": "date", "description": "Since", "sensitivity": "none"},
]
ROWS = [["credit_code", "company", "employees", "registered"],
        ["91350100M000100Y43", "甲公司", "12", "2020-05-01"],
        ["91110000100000000X", "乙公司", "340", "2018-11-30"],
        ["91440300MA5FXXXX1Q", "丙公司", "", "2021-02-14"]]


@pytest.fixture(params=["local", "s3"])
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def app_config(app_config, store_kind, request):
    if store_kind == "s3":
        app_config.update(request.getfixturevalue("moto_server").new_bucket_settings())
    return app_config


@pytest.fixture
def package(db):
    """A merchant and a draft data package whose dictionary describes ``ROWS``."""
    merchant, org = make_merchant(db)
    listing = make_listing(db, merchant, org, product_type="raw_dataset",
                           delivery_form="data_package", data_dictionary=DICTIONARY,
                           sample_rows=[], plans=plans("one_time"))
    return merchant, listing


def post_file(client, listing, data: bytes, name: str):
    """The form's plain POST (multipart), as a browser without JavaScript sends it. Encoded
    in memory here: the test client would spool a large body to a temporary file it never
    closes."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name)})
    return client.post(f"/merchant/listings/{listing.id}/dataset", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored_objects(app) -> int:
    """How many files the app's dataset store holds."""
    store = get_store(app)
    if isinstance(store, S3Store):
        return store.client.list_objects_v2(Bucket=store.bucket).get("KeyCount", 0)
    return sum(1 for path in store.root.rglob("*") if path.is_file()
               and "uploads" not in path.parts)


def test_the_store_in_use_is_the_one_configured(app, store_kind):
    assert isinstance(get_store(app), S3Store) == (store_kind == "s3")


@pytest.mark.parametrize("encoding, detected", [("utf-8", "UTF-8"),
                                                ("utf-8-sig", "UTF-8 with BOM"),
                                                ("gbk", "GBK")])
def test_a_csv_upload_is_read_in_its_encoding_and_kept_with_its_original(
        app, db, package, encoding, detected):
    merchant, listing = package
    client = logged_in_client(app, merchant)
    data = csv_bytes(ROWS, encoding)

    response = post_file(client, listing, data, "企业名录.csv")

    assert response.status_code == 302
    forget(db)
    dataset = db.get(Dataset, db.get(type(listing), listing.id).dataset_id)
    assert (dataset.row_count, dataset.encoding, dataset.original_format) == (3, detected, "csv")
    assert [(c["name"], c["type"]) for c in dataset.columns] == [
        ("credit_code", "string"), ("company", "string"), ("employees", "integer"),
        ("registered", "date")]
    assert dataset.original_name == "企业名录.csv" and dataset.size_bytes == len(data)
    rows = pa.Table.from_batches(list(read_batches(dataset, batch_size=2))).to_pylist()
    assert [row["company"] for row in rows] == ["甲公司", "乙公司", "丙公司"]
    assert [row["employees"] for row in rows] == [12, 340, None]
    assert rows[0]["registered"] == dt.date(2020, 5, 1)
    with get_store(app).open(dataset.original_path) as original:
        assert original.read() == data
    page = page_text(client.get(f"/merchant/listings/{listing.id}/dataset"))
    assert detected in page and "The data dictionary describes every column" in page
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "dataset.upload")).one()
    assert audit.details["sha256"] == dataset.sha256


def test_an_xlsx_upload_keeps_its_cells_types(app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)
    sheet = [ROWS[0], ["91350100M000100Y43", "甲公司", 12, dt.datetime(2020, 5, 1)],
             ["91110000100000000X", "乙公司", None, dt.datetime(2018, 11, 30)]]

    response = post_file(client, listing, xlsx_bytes(sheet), "companies.xlsx")
    assert response.status_code == 302, page_text(response)[-3000:]

    forget(db)
    dataset = db.exec(select(Dataset)).one()
    assert (dataset.row_count, dataset.original_format, dataset.encoding) == (2, "xlsx", None)
    assert {c["name"]: c["type"] for c in dataset.columns}["employees"] == "integer"
    assert schema(dataset).field("registered").type == pa.timestamp("us")


def test_a_parquet_upload_keeps_its_schema_and_the_dictionary_check_accepts_it(app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)
    table = pa.table({"credit_code": ["91350100M000100Y43"] * 5, "company": ["甲"] * 5,
                      "employees": pa.array(range(5), pa.int32()),
                      "registered": [dt.date(2020, 1, day) for day in range(1, 6)]})

    assert post_file(client, listing, parquet_bytes(table), "companies.parquet").status_code == 302

    forget(db)
    dataset = db.exec(select(Dataset)).one()
    assert schema(dataset).field("employees").type == pa.int32()
    assert sum(batch.num_rows for batch in read_batches(dataset, batch_size=2)) == 5
    catalog.submit(db, merchant, db.get(type(listing), listing.id))  # dictionary agrees
    db.commit()


def test_the_progress_bar_upload_sends_the_raw_body_and_gets_json(app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)

    response = client.post(f"/merchant/listings/{listing.id}/dataset", data=csv_bytes(ROWS),
                           headers={"Accept": "application/json",
                                    "Content-Type": "application/octet-stream",
                                    "X-Upload-Filename": "%E5%90%8D%E5%BD%95.csv"})

    assert response.status_code == 201
    assert response.json["rows"] == 3
    assert response.json["redirect"] == f"/merchant/listings/{listing.id}/dataset"
    assert db.get(Dataset, response.json["dataset_id"]).original_name == "名录.csv"


def test_a_malformed_row_is_refused_naming_the_row_and_nothing_is_kept(app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)
    rows = [*ROWS[:3], ["91440300MA5FXXXX1Q", "丙公司", "7"]]

    response = post_file(client, listing, csv_bytes(rows), "broken.csv")

    assert response.status_code == 422
    assert "Row 4 has 3 cells; the header has 4." in page_text(response)
    forget(db)
    assert db.exec(select(Dataset)).all() == [] and stored_objects(app) == 0
    json_answer = client.post(f"/merchant/listings/{listing.id}/dataset",
                              data=csv_bytes(rows), headers={
                                  "Accept": "application/json", "X-Upload-Filename": "b.csv",
                                  "Content-Type": "application/octet-stream"})
    assert json_answer.status_code == 422
    assert json_answer.json["detail"] == "Row 4 has 3 cells; the header has 4."


@pytest.mark.parametrize("data, name, message", [
    (b"\xff\xfe\x00\x41\x00\x42\x80\x80", "binary.csv", "neither UTF-8 nor GBK"),
    (b"a,b\n1,2\n", "table.json", "Upload a CSV, XLSX or Parquet file"),
    (b"a,b\n1,2\n", "table.xlsx", "is not an Excel workbook"),
    (b"a,b\n", "header-only.csv", "has no rows of data"),
])
def test_files_that_are_not_datasets_get_a_message_saying_why(app, db, package, data, name,
                                                               message):
    merchant, listing = package
    response = post_file(logged_in_client(app, merchant), listing, data, name)
    assert response.status_code == 422 and message in page_text(response)


class TestOverSize:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "DATASET_UPLOAD_MAX_BYTES": 1024 * 1024}

    def test_an_over_size_file_gets_413_with_the_limit_and_nothing_is_kept(self, app, db,
                                                                           package):
        merchant, listing = package
        client = logged_in_client(app, merchant)
        big = csv_bytes([ROWS[0], *[ROWS[1]] * 40_000])
        assert len(big) > 1024 * 1024

        form = post_file(client, listing, big, "big.csv")
        raw = client.post(f"/merchant/listings/{listing.id}/dataset", data=big, headers={
            "Accept": "application/json", "Content-Type": "application/octet-stream",
            "X-Upload-Filename": "big.csv"})

        assert form.status_code == 413 and "larger than 1 MB" in page_text(form)
        assert raw.status_code == 413 and "larger than 1 MB" in raw.json["detail"]
        forget(db)
        assert db.exec(select(Dataset)).all() == [] and stored_objects(app) == 0
        # The limit is this route's own: the file is under the app's general limit.
        assert len(big) < app.config["MAX_CONTENT_LENGTH"]
        assert post_file(client, listing, csv_bytes(ROWS), "small.csv").status_code == 302


def test_columns_that_disagree_with_the_dictionary_are_named_and_block_submission(
        app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)
    rows = [["credit_code", "company", "employees", "phone"],
            ["91350100M000100Y43", "甲公司", "many", "13800000000"]]
    assert post_file(client, listing, csv_bytes(rows), "other.csv").status_code == 302

    page = page_text(client.get(f"/merchant/listings/{listing.id}/dataset"))
    expected = [
        "“employees” is declared as integer in the data dictionary, but the file's column holds "
        "string values.",
        "The data dictionary describes “registered”, but the file has no such column.",
        "The file has a column “phone” that the data dictionary does not describe.",
    ]
    assert all(problem in page for problem in expected)
    response = client.post(f"/merchant/listings/{listing.id}/submit", follow_redirects=True)
    assert all(problem in page_text(response) for problem in expected)
    forget(db)
    assert db.get(type(listing), listing.id).state == ListingState.DRAFT


def test_a_data_package_without_a_dataset_cannot_be_submitted(app, db, package):
    merchant, listing = package
    client = logged_in_client(app, merchant)

    response = client.post(f"/merchant/listings/{listing.id}/submit", follow_redirects=True)

    assert "Upload the dataset this data package sells before submitting it" in \
        page_text(response)
    with pytest.raises(ValidationFailed) as refused:
        catalog.submit(db, merchant, db.get(type(listing), listing.id))
    assert "dataset" in refused.value.field_errors
    forget(db)
    assert db.get(type(listing), listing.id).state == ListingState.DRAFT


def test_a_new_version_keeps_the_dataset_until_a_new_one_is_uploaded(app, db):
    merchant, org = make_merchant(db)
    published = make_listing(db, merchant, org, state=ListingState.PUBLISHED,
                             product_type="raw_dataset", delivery_form="data_package",
                             data_dictionary=DICTIONARY, sample_rows=[])
    first = db.get(Dataset, published.dataset_id)
    product = db.get(Product, published.product_id)

    draft = catalog.start_new_version(db, merchant, product)
    db.commit()
    assert draft.dataset_id == first.id

    second = attach_dataset(db, merchant, draft, csv_bytes(ROWS))
    forget(db)
    assert db.get(type(draft), draft.id).dataset_id == second.id != first.id
    assert db.get(type(published), published.id).dataset_id == first.id
    assert get_store(app).exists(first.parquet_path)
    page = page_text(logged_in_client(app, merchant).get(
        f"/merchant/listings/{published.id}/dataset"))
    assert "Replace the dataset" not in page  # a published version's dataset stays as it is
    response = post_file(logged_in_client(app, merchant), published, csv_bytes(ROWS), "x.csv")
    assert response.status_code == 403


def test_the_compliance_scan_reads_the_real_rows_and_row_count(app, db):
    merchant, org = make_merchant(db)
    dictionary = [{"name": "holder", "type": "string", "description": "Holder",
                   "sensitivity": "none"},
                  {"name": "amount", "type": "integer", "description": "Paid",
                   "sensitivity": "none"}]
    listing = catalog.create_listing(db, merchant, org, listing_content(
        product_type="raw_dataset", delivery_form="data_package", classification_level=1,
        data_dictionary=dictionary, sample_rows=[{"holder": "1101**********1234",
                                                  "amount": 10}]), plans("one_time"))
    db.commit()
    rng = random.Random(7)
    rows = [["holder", "amount"], *[[resident_id(rng), str(n)] for n in range(2_500)]]
    attach_dataset(db, merchant, listing, csv_bytes(rows))

    catalog.submit(db, merchant, listing)
    db.commit()

    report = compliance.latest_report(db, listing.id)
    by_code = {finding["code"]: finding for finding in report.findings}
    assert "The dataset has 2,500 rows; 1,000 of them" in by_code["data.scanned"]["message"]
    assert "found in the dataset's rows" in by_code["dictionary.under_declared"]["message"]
    assert by_code["dictionary.under_declared"]["field"] == "holder"
    assert "classification.too_low" in by_code
