"""A merchant's plugin from nothing to an answer: ``datamarket plugin new``, pip install, the app
finds it through its entry point, records it, and its operation answers through the runtime.

The plugin is installed with pip into a folder of its own (offline: no index, no build
isolation), which is put on ``sys.path`` for this process and on ``PYTHONPATH`` for the worker
process an untrusted plugin runs in. Attaching the operation to a listing and approving that
listing, seeing its schemas on the product page and calling it from the merchant's try-it console
are the last test, over HTTP as the merchant and the admin use them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from html import unescape

import pytest
from click.testing import CliRunner
from datamarket_sdk import Scope
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Listing, ListingState
from marketplace.cli import main as datamarket
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import PluginBadInput
from marketplace.plugins.models import InstalledPlugin
from tests.factories import logged_in_client, make_organization, make_user

CREDIT_CODE = "91350100M000100Y43"
PLUGIN = "hello_data"
PACKAGE = "datamarket_hello_data"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """The scaffolded plugin, pip-installed into a folder of its own; returns that folder."""
    root = tmp_path_factory.mktemp("scaffold-e2e")
    source = root / "datamarket-hello-data"
    result = CliRunner().invoke(datamarket, ["plugin", "new", "hello-data", "--directory",
                                             str(source), "--merchant", CREDIT_CODE])
    assert result.exit_code == 0, result.output

    site = root / "site"
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--quiet", "--target", str(site),
         str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (site / PACKAGE / "plugin.py").is_file()
    return site


@pytest.fixture
def installed_plugin(plugin_site, monkeypatch):
    """The installed plugin importable here and in worker processes, for one test."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(plugin_site), os.environ.get("PYTHONPATH")])))
    yield plugin_site
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def app(installed_plugin, app):
    yield app
    get_runtime(app).close()


def test_a_scaffolded_plugin_is_installed_loaded_recorded_and_answers(app, db):
    runtime = get_runtime(app)

    loaded = runtime.plugins[PLUGIN]
    assert not loaded.failed, loaded.error
    assert loaded.origin.entry_point == f"{PACKAGE}.plugin"  # found through its entry point
    record = runtime.records()[PLUGIN]
    assert (record.state, record.trusted) == ("enabled", False)  # a merchant's: untrusted
    assert (record.version, record.merchant, record.title) == ("0.1.0", CREDIT_CODE, "Hello Data")
    assert record.capabilities["operations"] == ["echo_upper"]
    assert record.load_error == ""

    listed = {(op.plugin, op.name): op for op in runtime.operations()}
    operation = listed[(PLUGIN, "echo_upper")]
    assert operation.merchant == CREDIT_CODE
    assert operation.input_schema["properties"]["text"]["maxLength"] == 1000
    assert set(operation.output_schema["properties"]) == {"text", "length"}
    assert operation.pricing_hint["model"] == "per_call"

    scope = Scope(operations=frozenset({"echo_upper"}))
    answer = runtime.invoke(PLUGIN, "echo_upper", {"text": "open data"}, buyer="buyer-e2e",
                            scope=scope)
    assert answer == {"text": "OPEN DATA", "length": 9}
    assert runtime.worker_pid(PLUGIN) is not None  # it ran in its own worker process

    with pytest.raises(PluginBadInput) as refused:
        runtime.invoke(PLUGIN, "echo_upper", {"text": "x" * 1001}, buyer="buyer-e2e",
                       scope=scope)
    assert refused.value.status_code == 422
    assert "text" in str(refused.value)


def test_a_trusted_scaffolded_plugin_answers_inside_the_platform(app, db):
    runtime = get_runtime(app)
    runtime.sync()
    record = db.exec(select(InstalledPlugin).where(InstalledPlugin.name == PLUGIN)).one()
    record.trusted = True
    db.add(record)
    db.commit()

    answer = runtime.invoke(PLUGIN, "echo_upper", {"text": "数据 ok"}, buyer="buyer-e2e",
                            scope=Scope(operations=frozenset({"echo_upper"})))

    assert answer == {"text": "数据 OK", "length": 5}
    assert runtime.worker_pid(PLUGIN) is None


def _signed_in(app, user):
    return logged_in_client(app, user)  # an admin passes the second factor there


def test_a_scaffolded_operation_is_attached_reviewed_published_shown_and_tried(app, db):
    """The must-show flow, over HTTP: the merchant whose credit code the scaffolded manifest names
    attaches its operation to a listing and submits it, an admin approves it, buyers see the
    operation's schemas on the product page, and the merchant runs it in the try-it console."""
    organization = make_organization(db)
    organization.credit_code = CREDIT_CODE
    db.add(organization)
    db.commit()
    merchant = _signed_in(app, make_user(db, Role.MERCHANT, organization=organization))
    admin = _signed_in(app, make_user(db, Role.ADMIN))
    ref = f"{PLUGIN}.echo_upper"

    editor = merchant.get("/merchant/listings/new").get_data(as_text=True)
    assert f'value="{ref}"' in editor  # offered: the plugin is this organization's
    saved = merchant.post("/merchant/listings/new", data={
        "title": "Capital letters as a service", "summary": "Puts a text in capitals.",
        "description_md": "Send a text, get it back in capitals with its length.",
        "product_type": "ai_data", "delivery_form": "service_api", "scenario": "finance",
        "classification_level": "1", "version": "1.0",
        "data_dictionary-0-name": "text", "data_dictionary-0-field_type": "string",
        "data_dictionary-0-description": "The text", "data_dictionary-0-sensitivity": "none",
        "pricing_plans-0-name": "Pay as you go", "pricing_plans-0-model": "per_call",
        "pricing_plans-0-tiers": "* 0.10", "operation": ref, "save": "Save draft",
    })
    assert saved.status_code == 302, saved.get_data(as_text=True)
    listing = db.exec(select(Listing).where(Listing.organization_id == organization.id)).one()
    assert (listing.plugin_name, listing.operation_name) == (PLUGIN, "echo_upper")

    assert merchant.post(f"/merchant/listings/{listing.id}/submit").status_code == 302
    review = admin.get(f"/admin/reviews/{listing.id}").get_data(as_text=True)
    assert f"{PLUGIN} · echo_upper" in review
    decided = admin.post(f"/admin/reviews/{listing.id}/decision",
                         data={"decision": "approve", "reason": ""})
    assert decided.status_code == 302
    db.expire_all()
    assert db.get(Listing, listing.id).state == ListingState.PUBLISHED

    page = app.test_client().get(f"/products/{listing.product_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Put a text in capitals and count its characters." in html
    assert "<code>text</code>" in html and "<code>length</code>" in html
    assert "The text to put in capitals." in html and "at most 1000 characters" in html
    api = app.test_client().get(f"/api/v1/products/{listing.product_id}").get_json()
    assert api["operation"]["input_schema"]["properties"]["text"]["maxLength"] == 1000

    console = merchant.get(f"/merchant/operations?operation={ref}").get_data(as_text=True)
    assert "hello, data" in console  # prefilled with the plugin's example input
    answer = merchant.post("/merchant/operations", headers={"Accept": "application/json"},
                           data={"operation": ref, "payload": '{"text": "open data"}'})
    assert answer.status_code == 200
    assert answer.get_json() == {"output": {"text": "OPEN DATA", "length": 9}}
    shown = merchant.post("/merchant/operations",
                          data={"operation": ref, "payload": '{"text": "数据"}'})
    assert shown.status_code == 200
    assert '"length": 2' in unescape(shown.get_data(as_text=True))  # the output, pretty-printed
