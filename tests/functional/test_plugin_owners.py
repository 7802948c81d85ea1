"""Plugin owners see their own plugins: the "Your plugins" page and the real error in their own
try-it console, with real plugins written to a plugins folder of the test's own.

``owner_tools`` and ``owner_future`` (built for another SDK: it fails to load) belong to
ACME_CODE's organization; ``rival_tools`` to RIVAL_CODE's. Their operations raise errors with
words a buyer must never read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from marketplace import policy
from marketplace.accounts.models import Role
from marketplace.db import get_engine
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import IncidentKind, InstalledPlugin
from marketplace.plugins.owners import PluginOwner
from tests.factories import (
    forget,
    logged_in_client,
    make_organization,
    make_user,
    page_text,
)

ACME_CODE = "91350100M000100Y43"
RIVAL_CODE = "91110108MAD272HD0J"
OWNER_SECRET = "registry connection refused by host registry.acme.internal"
RIVAL_SECRET = "rival database password rejected for user rival_admin"

PLUGIN = '''
from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel


class Text(BaseModel):
    text: str


def echo(ctx: Context, request: Text) -> Text:
    return Text(text=request.text)


def explode(ctx: Context, request: Text) -> Text:
    raise RuntimeError({secret!r})


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name={name!r}, version={version!r}, merchant={merchant!r},
                    sdk={sdk!r}, title={title!r})


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [
        Operation(name="echo", summary="Say it back.", input_model=Text, output_model=Text,
                  handler=echo, example_input={{"text": "hello"}}),
        Operation(name="explode", summary="Always fails.", input_model=Text,
                  output_model=Text, handler=explode, example_input={{"text": "boom"}}),
    ]
'''


def write_plugin(folder: Path, name: str, *, merchant: str, secret: str,
                 version: str = "1.0.0", sdk: str = ">=0.1,<0.2") -> Path:
    path = folder / f"{name}.py"
    path.write_text(PLUGIN.format(name=name, version=version, merchant=merchant, sdk=sdk,
                                  secret=secret, title=name.replace("_", " ").title()))
    return path


@pytest.fixture
def plugins_dir(tmp_path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    write_plugin(folder, "owner_tools", merchant=ACME_CODE, secret=OWNER_SECRET)
    write_plugin(folder, "owner_future", merchant=ACME_CODE, secret=OWNER_SECRET,
                 sdk=">=9.0,<10")
    write_plugin(folder, "rival_tools", merchant=RIVAL_CODE, secret=RIVAL_SECRET)
    return folder


@pytest.fixture
def app_config(app_config, plugins_dir):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(plugins_dir),
            "DATAMARKET_DISABLE_PLUGIN_AUTOLOAD": False,
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 600}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def org_with_code(db, code: str, *, verified: bool = True):
    org = make_organization(db, verified=verified)
    org.credit_code = code
    db.add(org)
    db.commit()
    return org


@pytest.fixture
def acme(db):
    return make_user(db, Role.MERCHANT, organization=org_with_code(db, ACME_CODE))


@pytest.fixture
def rival(db):
    return make_user(db, Role.MERCHANT, organization=org_with_code(db, RIVAL_CODE))


def run_in_console(client, ref: str, payload: dict, **kwargs):
    return client.post("/merchant/operations",
                       data={"operation": ref, "payload": json.dumps(payload)}, **kwargs)


def incident_ids(text: str) -> list[str]:
    return re.findall(r'id="incident-([0-9a-f]{16})"', text)


# ---------------------------------------------------------------------------- the page


def test_an_owner_sees_its_plugins_loaded_or_not_and_never_another_merchants(
        app, db, acme, rival):
    rival_client = logged_in_client(app, rival)
    assert run_in_console(rival_client, "rival_tools.explode", {"text": "x"}).status_code == 502
    acme_client = logged_in_client(app, acme)
    failed = run_in_console(acme_client, "owner_tools.explode", {"text": "x"})
    assert failed.status_code == 502

    response = acme_client.get("/merchant/plugins")
    assert response.status_code == 200
    page = page_text(response)
    loaded = page.split('id="plugin-owner_tools"')[1].split("</section>")[0]
    assert "version 1.0.0" in loaded and "Enabled" in loaded
    assert "Untrusted: runs in a limited worker" in loaded
    assert "<code>echo</code>" in loaded and "<code>explode</code>" in loaded
    assert "running" in loaded and "paused" not in loaded  # one fault: the breaker is closed
    assert OWNER_SECRET in loaded and "Raised an error" in loaded
    [incident] = incident_ids(loaded)
    forget(db)
    assert plugin_services.find_incident(db, incident).plugin == "owner_tools"

    broken = page.split('id="plugin-owner_future"')[1].split("</section>")[0]
    assert "Failed to load" in broken
    assert "Why it did not load:" in broken and "It is built for another SDK" in broken
    assert "&gt;=9.0,&lt;10" in response.get_data(as_text=True)  # the reason, escaped

    assert "rival_tools" not in page and RIVAL_SECRET not in page
    rival_page = page_text(rival_client.get("/merchant/plugins"))
    assert RIVAL_SECRET in rival_page
    assert OWNER_SECRET not in rival_page and "owner_tools" not in rival_page


def test_a_paused_operation_says_until_when(app, db, acme):
    client = logged_in_client(app, acme)
    for _ in range(2):
        assert run_in_console(client, "owner_tools.explode", {"text": "x"}).status_code == 502
    page = page_text(client.get("/merchant/plugins"))
    explode = page.split('id="operation-owner_tools-explode"')[1].split("</li>")[0]
    assert "paused" in explode
    assert re.search(r"until \d\d:\d\d UTC \(a trial call is let through in (59\d|600) s\)",
                     explode), explode
    echo = page.split('id="operation-owner_tools-echo"')[1].split("</li>")[0]
    assert "running" in echo
    breaker = page.split('id="plugin-owner_tools"')[1].split("</section>")[0]
    assert "Breaker opened" in breaker and "paused for 600 seconds" in breaker


@pytest.mark.parametrize("who", ["buyer", "unverified", "admin"])
def test_only_members_of_a_verified_organization_open_the_page(app, db, who):
    if who == "buyer":
        user = make_user(db)
    elif who == "admin":
        user = make_user(db, Role.ADMIN)
    else:
        user = make_user(db, Role.MERCHANT,
                         organization=org_with_code(db, ACME_CODE, verified=False))
    assert logged_in_client(app, user).get("/merchant/plugins").status_code == 403
    assert app.test_client().get("/merchant/plugins").status_code in (302, 401)


def test_the_dashboard_and_the_console_link_to_the_page(app, db, acme):
    client = logged_in_client(app, acme)
    assert 'href="/merchant/plugins"' in client.get("/merchant").get_data(as_text=True)
    assert 'href="/merchant/plugins"' in client.get("/merchant/operations").get_data(
        as_text=True)


def count_queries(app, client, url: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_page_reads_the_same_number_of_queries_for_more_plugins_and_incidents(
        app, db, acme):
    client = logged_in_client(app, acme)
    client.get("/merchant/plugins")  # the first use records what discovery found
    few = count_queries(app, client, "/merchant/plugins")
    for n in range(6):  # plugins of earlier starts (no longer installed), with incidents
        db.add(InstalledPlugin(name=f"old_tool_{n}", merchant=ACME_CODE, version="0.1",
                               capabilities={"operations": ["a", "b"]},
                               load_error=plugin_services.NO_LONGER_INSTALLED, state="failed"))
        for m in range(4):
            plugin_services.record_incident(db, incident=f"{n:08d}{m:08d}", plugin=f"old_tool_{n}",
                                            operation="a", kind=IncidentKind.EXCEPTION,
                                            message=f"error {n}.{m}")
    db.commit()
    page = page_text(client.get("/merchant/plugins"))
    assert page.count('class="card owned-plugin') == 8
    assert "error 5.3" in page
    assert count_queries(app, client, "/merchant/plugins") == few


def test_the_latest_incidents_per_plugin_are_kept_to_ten(app, db, acme):
    client = logged_in_client(app, acme)
    client.get("/merchant/plugins")
    for m in range(12):
        plugin_services.record_incident(db, incident=f"{m:016d}", plugin="owner_tools",
                                        operation="explode", kind=IncidentKind.TIMEOUT,
                                        message=f"late call {m:02d}")
        db.commit()
    page = page_text(client.get("/merchant/plugins"))
    section = page.split('id="plugin-owner_tools"')[1].split("</section>")[0]
    assert len(incident_ids(section)) == 10
    assert "late call 11" in section and "late call 01" not in section


def test_a_plugin_that_stops_importing_stays_its_owners(app, db, acme, plugins_dir, make_app,
                                                        app_config):
    get_runtime(app).sync()
    (plugins_dir / "owner_tools.py").write_text("import datamarket_no_such_module  # noqa\n")
    restarted = make_app(app_config)
    try:
        get_runtime(restarted).sync()
        forget(db)
        row = db.exec(select(InstalledPlugin).where(InstalledPlugin.name == "owner_tools")).one()
        assert row.merchant == ACME_CODE and row.load_error.startswith("It could not be imported")
        page = page_text(logged_in_client(restarted, acme).get("/merchant/plugins"))
        section = page.split('id="plugin-owner_tools"')[1].split("</section>")[0]
        assert "Failed to load" in section and "datamarket_no_such_module" in section
    finally:
        get_runtime(restarted).close()


# ---------------------------------------------------------------------------- the console


def test_the_owner_s_console_shows_the_real_error_and_the_incident(app, db, acme):
    client = logged_in_client(app, acme)
    response = run_in_console(client, "owner_tools.explode", {"text": "x"})
    assert response.status_code == 502
    page = page_text(response)
    assert "The operation failed inside its plugin" in page  # what a buyer reads, too
    details = page.split('data-testid="incident-details"')[1].split("</div>")[0]
    assert OWNER_SECRET in details
    [incident] = re.findall(r'href="/merchant/plugins#incident-([0-9a-f]{16})"', details)
    assert f'<code class="incident-id">{incident}</code>' in page

    problem = run_in_console(client, "owner_tools.explode", {"text": "x"},
                             headers={"Accept": "application/json"})
    assert problem.status_code == 502
    assert problem.mimetype == "application/problem+json"
    body = problem.get_json()
    assert OWNER_SECRET in body["incident_error"] and body["incident"]
    assert OWNER_SECRET not in body["detail"]


def test_who_reads_the_error_behind_an_incident(app, db, acme, rival):
    admin = make_user(db, Role.ADMIN)
    buyer = make_user(db)
    acme_plugin = PluginOwner("owner_tools", ACME_CODE, acme.organization_id)
    platform_plugin = PluginOwner("governance_tools", "", None)
    assert policy.can(acme, "plugin.incident_details", acme_plugin)
    assert policy.can(admin, "plugin.incident_details", acme_plugin)
    assert policy.can(admin, "plugin.incident_details", platform_plugin)
    for outsider in (rival, buyer, None):
        assert not policy.can(outsider, "plugin.incident_details", acme_plugin)
    # the platform's own plugins: no merchant reads their errors, whatever its organization
    assert not policy.can(acme, "plugin.incident_details", platform_plugin)
    assert not policy.can(acme, "plugin.incident_details",
                          PluginOwner("unregistered", "91110000600037341L", None))
