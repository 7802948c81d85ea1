"""Downloads of a data package through signed links: the round trip in every format with the
watermark naming the entitlement, and every refusal checked when the link is followed (another
account, expiry, the limit, a revoked entitlement), the scope's columns and masking, the
limit under two clicks at once, and a large package prepared by a job."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine, new_session
from marketplace.delivery import download_links, downloads, entitlements
from marketplace.delivery.download_links import DownloadLink
from marketplace.delivery.exports.identify import Candidate, identify
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.models import Entitlement, EntitlementState, UsageRecord
from marketplace.delivery.scope import DATASET_REF
from marketplace.jobs.models import JobRun
from tests.download_support import buy, link_of, make_package
from tests.factories import logged_in_client, make_user

SECRET = "test-secret-key"
MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet",
         "parquet": "application/vnd.apache.parquet"}


@pytest.fixture
def world(app, db):
    world = make_package(app, db)
    return world


def _ask_link(client, entitlement_id: int, fmt: str = "csv") -> str:
    response = client.post(f"/account/entitlements/{entitlement_id}/download", data={"fmt": fmt})
    assert response.status_code == 200, response.get_data(as_text=True)
    return link_of(response.get_data(as_text=True))


def _fetch(client, link: str):
    """Follow a link and read the whole answer, closing the file it streamed from."""
    response = client.get(link)
    response.get_data()
    response.close()
    return response


def _refusal(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_signed_link_delivers_a_file_the_watermark_traces_to_its_entitlement(
        app, db, world, tmp_path, fmt):
    mine = buy(db, world, world.buyer)
    someone_else = buy(db, world, make_user(db))
    client = logged_in_client(app, world.buyer)
    account = client.get("/account").get_data(as_text=True)
    assert f"/account/entitlements/{mine.id}/download" in account, "offered on the account page"

    response = _fetch(client, _ask_link(client, mine.id, fmt))
    assert response.status_code == 200
    assert response.mimetype == MEDIA[fmt]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=datamarket-{world.listing.product_id}-e{mine.id}.{fmt}")
    delivered = tmp_path / f"delivered.{fmt}"
    delivered.write_bytes(response.get_data())

    verdict = identify(delivered, [Candidate(mine.id), Candidate(someone_else.id)], SECRET)
    assert [finding.candidate.entitlement_id for finding in verdict.named] == [mine.id]
    db.expire_all()
    assert db.get(Entitlement, mine.id).downloads_used == 1
    records = db.exec(select(UsageRecord).where(UsageRecord.entitlement_id == mine.id)).all()
    assert [(r.kind, r.operation) for r in records] == [("download", DATASET_REF)]
    audited = db.exec(select(AuditEntry).where(AuditEntry.action == "download.delivered")).all()
    assert [entry.subject_id for entry in audited] == [str(mine.id)]
    usage = client.get("/account/usage").get_data(as_text=True)
    assert 'data-testid="total-downloads">1<' in usage, "the buyer's dashboard counts it"
    insights = logged_in_client(app, world.merchant).get("/merchant/insights")
    assert 'data-testid="total-downloads">1<' in insights.get_data(as_text=True)


def test_a_link_is_one_download(app, db, world):
    mine = buy(db, world, world.buyer)
    client = logged_in_client(app, world.buyer)
    link = _ask_link(client, mine.id)
    assert _fetch(client, link).status_code == 200
    again = client.get(link)
    assert again.status_code == 409
    assert "already used" in _refusal(again)


def test_a_link_followed_by_another_account_is_refused(app, db, world):
    mine = buy(db, world, world.buyer)
    link = _ask_link(logged_in_client(app, world.buyer), mine.id)
    stranger = logged_in_client(app, make_user(db))
    refused = stranger.get(link)
    assert refused.status_code == 403
    assert "made for another account" in _refusal(refused)
    anonymous = app.test_client().get(link)
    assert anonymous.status_code in (302, 401)
    db.expire_all()
    assert db.get(Entitlement, mine.id).downloads_used == 0


def test_an_expired_link_is_refused(app, db, world):
    mine = buy(db, world, world.buyer)
    client = logged_in_client(app, world.buyer)
    seconds = app.config["DOWNLOAD_LINK_SECONDS"]
    token = download_links.sign(SECRET, DownloadLink(world.buyer.id, mine.id, "csv", "d1"),
                                issued_at=time.time() - seconds - 5)
    refused = client.get(f"/downloads/{token}")
    assert refused.status_code == 410
    assert "expired" in _refusal(refused)
    fresh = download_links.sign(SECRET, DownloadLink(world.buyer.id, mine.id, "csv", "d2"),
                                issued_at=time.time() - seconds + 30)
    assert _fetch(client, f"/downloads/{fresh}").status_code == 200
    forged = client.get(f"/downloads/{fresh[:-2]}xx")
    assert forged.status_code == 404 and "not valid" in _refusal(forged)


def test_past_the_download_limit_a_fresh_link_is_refused(app, db, world):
    mine = buy(db, world, world.buyer)
    client = logged_in_client(app, world.buyer)
    link = _ask_link(client, mine.id)
    mine.downloads_used = app.config["DOWNLOAD_LIMIT"]
    db.add(mine)
    db.commit()
    refused = client.get(link)
    assert refused.status_code == 429
    assert "used all its" in _refusal(refused)
    page = client.get(f"/account/entitlements/{mine.id}/download").get_data(as_text=True)
    assert "used all its" in page and "/downloads/" not in page


def test_a_revoked_entitlements_link_stops_at_once(app, db, world):
    mine = buy(db, world, world.buyer)
    client = logged_in_client(app, world.buyer)
    link = _ask_link(client, mine.id)
    entitlements.change_state(db, mine, EntitlementState.REVOKED, reason="refunded")
    db.commit()
    refused = client.get(link)
    assert refused.status_code == 403
    assert "revoked" in _refusal(refused).lower()
    db.expire_all()
    assert db.exec(select(UsageRecord).where(UsageRecord.entitlement_id == mine.id)).all() == []


def test_the_file_holds_only_the_scopes_columns_masked_as_it_says(app, db, world):
    mine = buy(db, world, world.buyer)
    mine.scope = {"operations": {DATASET_REF: {"fields": ["customer_no", "name", "balance"],
                                               "masking": {"name": "full_mask"}}}}
    db.add(mine)
    db.commit()
    client = logged_in_client(app, world.buyer)
    text = _fetch(client, _ask_link(client, mine.id)).get_data().decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header.replace('"', "") == "customer_no,name,balance", "city and rate are out of scope"
    assert len(lines) == 400
    names = {line.split(",")[1].strip('"') for line in lines}
    assert all(set(name) == {"*"} for name in names), names
    assert "客户" not in text


def test_a_scope_narrowed_without_the_package_refuses_the_download(app, db, world):
    mine = buy(db, world, world.buyer)
    mine.scope = {"operations": {"other.lookup": {"fields": None, "masking": {}}}}
    mine.application_id = None
    db.add(mine)
    db.commit()
    page = logged_in_client(app, world.buyer).get(f"/account/entitlements/{mine.id}/download")
    assert "does not cover downloading" in page.get_data(as_text=True)


def test_two_clicks_at_the_limit_minus_one_let_exactly_one_through(app, db, world):
    mine = buy(db, world, world.buyer)
    limit = app.config["DOWNLOAD_LIMIT"]
    mine.downloads_used = limit - 1
    db.add(mine)
    db.commit()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click(download_id: str) -> None:
        with app.test_request_context(), new_session(get_engine(app)) as session:
            entitlement = session.get(Entitlement, mine.id)
            start.wait()
            try:
                downloads.claim(session, entitlement, download_id, ExportFormat.CSV, limit,
                                actor_id=world.buyer.id, rows=400)
                session.commit()
                outcomes.append("delivered")
            except downloads.DownloadRefused as refused:
                session.rollback()
                outcomes.append(str(refused.status_code))

    threads = [threading.Thread(target=click, args=(f"click-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["429", "delivered"]
    db.expire_all()
    assert db.get(Entitlement, mine.id).downloads_used == limit
    assert len(db.exec(select(UsageRecord).where(UsageRecord.entitlement_id == mine.id)).all()) == 1


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DOWNLOAD_LIMIT": 3}


def test_a_large_package_is_prepared_by_a_job_with_progress(make_app, app_config, db, world,
                                                            tmp_path):
    mine = buy(db, world, world.buyer)
    app = make_app({**app_config, "DOWNLOAD_JOB_ROWS": 100})
    client = logged_in_client(app, world.buyer)
    asked = client.post(f"/account/entitlements/{mine.id}/download", data={"fmt": "parquet"})
    assert asked.status_code == 302 and "?job=" in asked.headers["Location"]
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    job = db.exec(select(JobRun).where(JobRun.kind == "delivery.prepare_download")).one()
    assert (job.state, job.progress, job.asked_by) == ("succeeded", 100, world.buyer.id)
    file = _fetch(client, link_of(page))
    assert file.status_code == 200 and file.headers["Cache-Control"] == "no-store"
    delivered = tmp_path / "prepared.parquet"
    delivered.write_bytes(file.get_data())
    verdict = identify(delivered, [Candidate(mine.id), Candidate(mine.id + 1000)], SECRET)
    assert [finding.candidate.entitlement_id for finding in verdict.named] == [mine.id]
    assert _fetch(client, link_of(page)).status_code == 200, "the prepared file, fetched again"
    db.expire_all()
    assert db.get(Entitlement, mine.id).downloads_used == 1, "counted once, by the job"
    stranger = logged_in_client(app, make_user(db))
    assert stranger.get(link_of(page)).status_code == 403


def test_asking_for_a_download_under_a_revoked_entitlement_is_refused(app, db, world):
    mine = buy(db, world, world.buyer)
    entitlements.change_state(db, mine, EntitlementState.REVOKED, reason="refunded")
    db.commit()
    asked = logged_in_client(app, world.buyer).post(
        f"/account/entitlements/{mine.id}/download", data={"fmt": "csv"})
    assert asked.status_code == 403
    assert "/downloads/" not in asked.get_data(as_text=True)
