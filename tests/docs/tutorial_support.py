"""The platform side of docs/sdk.md's tutorial: the world the reader starts from, what the reader's
shell does with the commands that install and restart, and the steps the guide has the reader
(and an admin, and a buyer) take in a browser, made over the real HTTP routes.

The world is "an installed platform": a verified merchant organization whose member signs in as
``merchant@example.com``, an admin, and a buyer whose e-mail address is confirmed. Everything
after that is the guide's own steps.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, func, select
from werkzeug.serving import make_server

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MerchantOrganization, OrganizationStatus, Role, User
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState
from marketplace.delivery.models import UsageRecord
from marketplace.plugins import get_runtime
from tests.conftest import IsolatedRequestsClient
from tests.factories import PASSWORD, log_in, make_user, page_text

MERCHANT_EMAIL = "merchant@example.com"
MERCHANT_NAME = "Fuzhou Open Data Co., Ltd."
CREDIT_CODE = "91350100M000100Y43"
OPERATION = "company_check.verify_company"
#: What the reader types into the listing editor, from the table in "What a plugin product
#: needs" and §9's steps.
EDITOR = {
    "title": "企业核验",
    "title_en": "Company check",
    "summary": "核验统一社会信用代码是否登记、名称是否一致。",
    "summary_en": "Checks that a credit code is registered and matches a company name.",
    "description_md": "答复是否匹配及企业状态，不展示登记信息本身。",
    "description_md_en": "Answers match or no match and the company's status, from the "
                         "business registry (updated daily); the registry is never shown.",
    "product_type": "modelized_data",
    "delivery_form": "verification_api",
    "scenario": "finance",
    "classification_level": "2",
    "version": "1.0",
    "sample_rows": ("credit_code,name,registered,name_matches,status\n"
                    "91350100M000100Y43,\"Fuzhou Open Data Co., Ltd.\",true,true,active\n"
                    "91110108MA01ABCD1E,Someone else,true,false,revoked\n"),
    "pricing_plans-0-name": "Per check",
    "pricing_plans-0-model": "per_call",
    "pricing_plans-0-tiers": "* 0.50",
    "operation": OPERATION,
    "save": "Save draft",
}
#: The organization's business registry, uploaded to a data package draft of its own.
REGISTRY_CSV = ("credit_code,name,status\n"
                "91350100M000100Y43,\"Fuzhou Open Data Co., Ltd.\",active\n"
                "91110108MA01ABCD1E,\"Beijing Sample Tech Co., Ltd.\",revoked\n")
REGISTRY_PACKAGE = {
    "title": "工商登记库", "title_en": "Business registry", "product_type": "raw_dataset",
    "delivery_form": "data_package", "scenario": "finance", "classification_level": "2",
    "version": "1.0", "data_dictionary-0-name": "credit_code",
    "data_dictionary-0-field_type": "string", "data_dictionary-0-sensitivity": "none",
    "data_dictionary-1-name": "name", "data_dictionary-1-field_type": "string",
    "data_dictionary-1-sensitivity": "none", "data_dictionary-2-name": "status",
    "data_dictionary-2-field_type": "string", "data_dictionary-2-sensitivity": "none",
    "pricing_plans-0-name": "Whole file", "pricing_plans-0-model": "one_time",
    "pricing_plans-0-price": "1000", "save": "Save draft",
}
DICTIONARY = [("credit_code", "string", "The unified social credit code sent"),
              ("name", "string", "The company name sent, if any"),
              ("registered", "boolean", "Whether the registry holds the code"),
              ("name_matches", "boolean", "Whether the name matches"),
              ("status", "string", "The company's status")]
for _n, (_name, _type, _meaning) in enumerate(DICTIONARY):
    EDITOR |= {f"data_dictionary-{_n}-name": _name, f"data_dictionary-{_n}-field_type": _type,
               f"data_dictionary-{_n}-description": _meaning,
               f"data_dictionary-{_n}-sensitivity": "none"}


@dataclass
class Platform:
    """The platform the reader's commands and browser steps act on."""

    config: dict
    session: Session
    monkeypatch: pytest.MonkeyPatch
    site: Path
    merchant: User = None  # type: ignore[assignment]
    admin: User = None  # type: ignore[assignment]
    buyer: User = None  # type: ignore[assignment]
    app: Flask | None = None
    installed: list[Path] = field(default_factory=list)
    listing_id: int | None = None
    base_url: str = ""
    key: str = ""
    _server: object = None

    def set_up(self) -> Platform:
        """The installed platform the tutorial starts from, and the shell's DATABASE_URL."""
        org = MerchantOrganization(name=MERCHANT_NAME, credit_code=CREDIT_CODE,
                                   contact_email="contact@example.com",
                                   status=OrganizationStatus.VERIFIED, verified_at=utcnow())
        self.session.add(org)
        self.session.commit()
        self.merchant = accounts.sign_up(self.session, email=MERCHANT_EMAIL, password=PASSWORD,
                                         display_name="Merchant", confirmed=True)
        self.merchant.organization_id = org.id
        accounts.set_role(self.session, None, self.merchant, Role.MERCHANT)
        self.session.commit()
        self.admin = make_user(self.session, Role.ADMIN)
        self.buyer = make_user(self.session)
        self.monkeypatch.setenv("DATABASE_URL", self.config["DATABASE_URL"])
        return self

    # -- the reader's shell ----------------------------------------------------------------

    def install(self, folder: Path) -> None:
        """``python -m pip install -e .``: into a folder of this test's own (offline, as the
        suite's environment must stay as it is), importable here and in worker processes."""
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
             "--no-index", "--disable-pip-version-check", "--quiet", "--target",
             str(self.site), str(folder)], capture_output=True, text=True, timeout=300)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        self.monkeypatch.syspath_prepend(str(self.site))
        self.monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [str(self.site), os.environ.get("PYTHONPATH")])))
        self.installed.append(folder)

    def restart(self) -> None:
        """``make run`` again: a new platform process discovers the installed plugin."""
        from marketplace import create_app

        assert self.installed, "the guide restarts the platform before installing the plugin"
        self.app = create_app(self.config)
        self.app.test_client_class = IsolatedRequestsClient
        loaded = get_runtime(self.app).plugins["company_check"]
        assert not loaded.failed, loaded.error

    def serve(self) -> str:
        """The restarted platform on a free port, for the buyer's curl."""
        if not self.base_url:
            server = make_server("127.0.0.1", 0, self.app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._server = server
            self.base_url = f"http://127.0.0.1:{server.server_port}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self.app is not None:
            get_runtime(self.app).close()
            from marketplace.db import get_engine

            get_engine(self.app).dispose()

    def client(self, user: User):
        client = self.app.test_client()
        log_in(client, user)
        return client

    # -- §9: the merchant's listing, checked, submitted and approved -------------------------

    def list_and_get_approved(self) -> None:
        merchant = self.client(self.merchant)
        # The dashboard's button lists the operations the merchant may sell.
        assert OPERATION.replace(".", " · ") in page_text(merchant.get("/merchant/operations"))
        # 2. Attach it: the editor offers it under the organization's plugins.
        editor = page_text(merchant.get("/merchant/listings/new"))
        assert ("company_check · verify_company — Check that a credit code is registered and "
                "matches a company name.") in editor
        # A first draft at level 1: "Check now" shows the blocking finding the guide warns of.
        saved = merchant.post("/merchant/listings/new",
                              data={**EDITOR, "classification_level": "1"})
        assert saved.status_code == 302, page_text(saved)
        self.listing_id = int(saved.headers["Location"].rsplit("/", 1)[1])
        draft = f"/merchant/listings/{self.listing_id}"
        report = page_text(merchant.post(f"{draft}/check"))
        assert "classification.too_low" in report or "call for level 2" in report, report
        # At level 2, as the table says: no blocking finding left.
        edited = merchant.post(f"{draft}/edit", data=EDITOR)
        assert edited.status_code == 302, page_text(edited)
        report = page_text(merchant.post(f"{draft}/check"))
        assert "call for level" not in report and "Blocking" not in report, report
        # The operation reads the registry a listing grants: upload it to a data package draft
        # of the organization, then grant it on the listing's "Datasets for your operations".
        self.grant_registry(merchant, draft)
        # 4. Submit it; the admin approves it from the review queue.
        submitted = merchant.post(f"{draft}/submit")
        assert submitted.status_code == 302, page_text(submitted)
        admin = self.client(self.admin)
        assert f"/admin/reviews/{self.listing_id}" in page_text(admin.get("/admin/reviews"))
        decided = admin.post(f"/admin/reviews/{self.listing_id}/decision",
                             data={"decision": "approve", "reason": ""})
        assert decided.status_code == 302, page_text(decided)
        self.session.rollback()
        listing = self.session.get(Listing, self.listing_id)
        self.session.refresh(listing)
        assert listing.state == ListingState.PUBLISHED

    def grant_registry(self, merchant, draft: str) -> None:
        package = merchant.post("/merchant/listings/new", data=REGISTRY_PACKAGE)
        assert package.status_code == 302, page_text(package)
        upload = package.headers["Location"] + "/dataset"
        uploaded = merchant.post(upload, data={
            "file": (io.BytesIO(REGISTRY_CSV.encode()), "business_registry.csv")},
            content_type="multipart/form-data")
        assert uploaded.status_code == 302, page_text(uploaded)
        # The listing's page links "Grant datasets" under "Datasets for your operations".
        listing_page = page_text(merchant.get(draft))
        assert f'href="{draft}/dataset-grants"' in listing_page and "Grant datasets" in \
            listing_page
        grants = page_text(merchant.get(f"{draft}/dataset-grants"))
        dataset = re.search(r'<option[^>]*value="(\d+)"[^>]*>business_registry.csv', grants)
        assert dataset, grants
        granted = merchant.post(f"{draft}/dataset-grants", data={
            "name": "business_registry", "dataset": dataset.group(1)})
        assert granted.status_code == 302, page_text(granted)

    # -- §10: the buyer buys a call pack and makes a key -----------------------------------

    def buy_and_make_key(self) -> int:
        """The product's number, once the buyer holds 1,000 calls and a key."""
        listing = self.session.get(Listing, self.listing_id)
        product = listing.product_id
        buyer = self.client(self.buyer)
        page = page_text(buyer.get(f"/products/{product}"))
        assert f"/api/v1/gateway/{product}/company_check/verify_company" in page
        assert "1,000 calls for CN¥500.00" in page, re.findall(r"[^>]*calls for[^<]*", page)
        plan_id = re.search(r'name="plan_id"[^>]*value="(\d+)"', page).group(1)
        added = buyer.post("/cart/items", data={"plan_id": plan_id, "pack_calls": "1000"})
        assert added.status_code == 302, page_text(added)
        cart = page_text(buyer.get("/cart"))
        attempt = re.search(r'name="attempt"[^>]*value="([^"]+)"', cart).group(1)
        checked_out = buyer.post("/checkout", data={"attempt": attempt})
        assert checked_out.status_code == 302, page_text(checked_out)
        paid = buyer.post(checked_out.headers["Location"], data={"card": "visa_ok"})
        assert paid.status_code == 302, page_text(paid)
        made = buyer.post("/account/keys", data={"name": "company checks"})
        assert made.status_code == 201, page_text(made)
        self.key = re.search(r'class="mono new-key">([^<]+)<', page_text(made)).group(1)
        return product

    def usage_records(self) -> int:
        self.session.rollback()
        return int(self.session.exec(select(func.count()).select_from(UsageRecord)).one())
