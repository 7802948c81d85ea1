"""A merchant uploads a data package's dataset in the browser and watches the progress bar fill
(the upload throttled to 1 MB/s through Chromium's network emulation, so the bar is seen
part-way), then reads what the platform found in the file. Screenshots at 1,280 and 390 px."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import select

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.datasets.models import Dataset
from marketplace.db import get_engine, new_session
from tests.browser.audit import SCREENSHOTS, WIDTHS
from tests.browser.sign_in import log_in
from tests.factories import make_listing, plans

pytestmark = pytest.mark.browser

ROWS = 60_000
DICTIONARY = [
    {"name": "station_id", "type": "string", "description": "Station", "sensitivity": "none"},
    {"name": "district", "type": "string", "description": "District", "sensitivity": "none"},
    {"name": "connectors", "type": "integer", "description": "Connectors", "sensitivity": "none"},
    {"name": "energy_kwh", "type": "decimal", "description": "Energy", "sensitivity": "none"},
]


def _draft_package(app) -> int:
    with app.app_context(), new_session(get_engine(app)) as session:
        merchant = session.exec(select(User).where(User.email == "merchant@example.com")).one()
        organization = session.get(MerchantOrganization, merchant.organization_id)
        listing = make_listing(session, merchant, organization,
                               product_type="raw_dataset", delivery_form="data_package",
                               data_dictionary=DICTIONARY, sample_rows=[],
                               plans=plans("one_time"))
        return listing.id


def _csv(path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([field["name"] for field in DICTIONARY])
        for number in range(rows):
            writer.writerow([f"CD-{number:06d}", ("锦江区", "武侯区", "高新区")[number % 3],
                             number % 12 + 1, f"{number * 1.25:.2f}"])


def test_a_merchant_uploads_a_dataset_with_a_progress_bar(live_server, page, tmp_path):
    app, base = live_server
    listing_id = _draft_package(app)
    upload = tmp_path / "charging.csv"
    _csv(upload, ROWS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    log_in(page, base, "merchant@example.com", "demo-merchant")
    page.goto(f"{base}/merchant/listings/{listing_id}/dataset")
    assert page.get_by_test_id("dataset-missing").is_visible()
    page.get_by_test_id("dataset-file").set_input_files(str(upload))
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": 1024 * 1024})
    page.get_by_test_id("dataset-upload-submit").click()

    bar = page.get_by_test_id("dataset-upload-progress")
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=dataset-upload-progress]')"
        ".value; return v > 0 && v < 100; }")
    assert page.get_by_test_id("dataset-upload-progress-box").is_visible()
    assert page.get_by_test_id("dataset-upload-percent").inner_text().endswith("%")
    page.screenshot(path=str(SCREENSHOTS / "merchant-dataset-upload-halfway-1280.png"))
    assert 0 < float(bar.get_attribute("value") or bar.evaluate("b => b.value")) <= 100

    page.get_by_test_id("dataset-rows").wait_for(timeout=60_000)
    network.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert page.get_by_test_id("dataset-rows").inner_text() == f"{ROWS:,}"
    assert page.get_by_test_id("dataset-facts").get_by_text("charging.csv").is_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"merchant-dataset-uploaded-{width}.png"),
                        full_page=True)
    with app.app_context(), new_session(get_engine(app)) as session:
        dataset = session.exec(select(Dataset).where(Dataset.listing_id == listing_id)).one()
        assert (dataset.row_count, dataset.original_name) == (ROWS, "charging.csv")
