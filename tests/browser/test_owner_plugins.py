"""A merchant's own plugins in the browser: the demo merchant owns a plugin that loads and one
that does not; runs the failing operation in the try-it console, reads the real error there,
then finds it on "Your plugins" with the plugin that did not load — each page audited like the
journeys' (both widths, axe-core, both languages)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.db import get_engine, new_session
from marketplace.plugins import get_runtime
from tests.functional.test_plugin_owners import ACME_CODE, OWNER_SECRET, write_plugin

from .audit import Findings, audit_page
from .sign_in import log_in

pytestmark = pytest.mark.browser

LANGUAGES = {"en": ("English", "en"), "zh_Hans": ("中文", "zh-Hans")}


@pytest.fixture
def app_config(app_config, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    write_plugin(folder, "owner_tools", merchant=ACME_CODE, secret=OWNER_SECRET)
    write_plugin(folder, "owner_future", merchant=ACME_CODE, secret=OWNER_SECRET,
                 sdk=">=9.0,<10")
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(folder)}


def _demo_merchant_owns_the_plugins(app) -> None:
    """The demo merchant's organization takes the credit code the test plugins name."""
    with app.app_context(), new_session(get_engine(app)) as session:
        merchant = session.exec(select(User).where(User.email == "merchant@example.com")).one()
        organization = session.get(MerchantOrganization, merchant.organization_id)
        organization.credit_code = ACME_CODE
        session.add(organization)
        session.commit()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_owner_reads_its_plugins_errors(live_server, page, lang):
    app, base = live_server
    _demo_merchant_owns_the_plugins(app)
    try:
        log_in(page, base, "merchant@example.com", "demo-merchant")
        button, html_lang = LANGUAGES[lang]
        page.locator(".lang-switch").get_by_role("button", name=button).click()
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == html_lang
        findings = Findings()

        page.goto(f"{base}/merchant/operations?operation=owner_tools.explode")
        page.locator("[name=run]").click()
        page.wait_for_load_state("load")
        details = page.locator("[data-testid=incident-details]")
        assert OWNER_SECRET in details.inner_text()
        audit_page(page, f"owner-{lang}-console-error", findings)

        details.get_by_role("link").click()
        page.wait_for_load_state("load")
        assert page.url.startswith(f"{base}/merchant/plugins#incident-")
        assert OWNER_SECRET in page.locator("#plugin-owner_tools").inner_text()
        assert "9.0" in page.locator("#plugin-owner_future [data-testid=load-error]").inner_text()
        audit_page(page, f"owner-{lang}-your-plugins", findings)
        assert not findings.problems, findings.report()
    finally:
        get_runtime(app).close()
