"""A plugin's owner is told when its plugin does not load (once per version and reason, however
many times the platform starts) and when an operation of it is paused; the admins still are
told of the pause. Real plugins in a folder of the test's own; jobs run at the commit."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from marketplace.accounts.models import Role
from marketplace.notifications.models import Notification, OutboundEmail
from marketplace.plugins import get_runtime
from marketplace.plugins.signals import LoadFailed, announce, load_failed
from tests.factories import forget, logged_in_client, make_organization, make_user
from tests.functional.test_plugin_owners import ACME_CODE, OWNER_SECRET, RIVAL_CODE, write_plugin


@pytest.fixture
def plugins_dir(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    write_plugin(folder, "owner_tools", merchant=ACME_CODE, secret=OWNER_SECRET)
    write_plugin(folder, "owner_future", merchant=ACME_CODE, secret=OWNER_SECRET,
                 sdk=">=9.0,<10")
    return folder


@pytest.fixture
def app_config(app_config, plugins_dir):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(plugins_dir),
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 60}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def org_with_code(db, code: str):
    org = make_organization(db)
    org.credit_code = code
    db.add(org)
    db.commit()
    return org


@pytest.fixture
def people(db):
    """Two merchants of the owner, a merchant of another organization, and an admin."""
    acme = org_with_code(db, ACME_CODE)
    rival = org_with_code(db, RIVAL_CODE)
    return {"owners": [make_user(db, Role.MERCHANT, organization=acme),
                       make_user(db, Role.MERCHANT, organization=acme)],
            "rival": make_user(db, Role.MERCHANT, organization=rival),
            "admin": make_user(db, Role.ADMIN)}


def notices(db, kind: str) -> list[Notification]:
    forget(db)
    return list(db.exec(select(Notification).where(Notification.kind == kind)
                        .order_by(col(Notification.id))))


def test_a_plugin_that_does_not_load_is_told_to_its_owner_once_across_starts(
        app, db, people, make_app, app_config, plugins_dir):
    get_runtime(app).sync()  # the first start records what it found
    second = make_app(app_config)
    get_runtime(second).sync()  # the platform starts again: the same plugin, the same reason
    owners = people["owners"]
    told = notices(db, "plugin.load_failed")
    assert sorted(n.user_id for n in told) == sorted(user.id for user in owners)
    assert {n.link for n in told} == {"/merchant/plugins#plugin-owner_future"}
    assert told[0].params["plugin"] == "owner_future"
    assert "It is built for another SDK" in told[0].params["error"]
    mails = db.exec(select(OutboundEmail).where(
        col(OutboundEmail.body).contains("did not load"))).all()
    assert sorted(mail.to_address for mail in mails) == sorted(user.email for user in owners)
    assert all(mail.sent_at is not None for mail in mails)  # the job asked for the delivery

    # Two processes that both saw it first: the effect is claimed once.
    announce(load_failed, second, LoadFailed(
        plugin="owner_future", merchant=ACME_CODE, source="",
        error=get_runtime(second).plugins["owner_future"].error, version="1.0.0"))
    assert len(notices(db, "plugin.load_failed")) == 2

    # A new version that fails the same way is told again.
    write_plugin(plugins_dir, "owner_future", merchant=ACME_CODE, secret=OWNER_SECRET,
                 sdk=">=9.0,<10", version="1.0.1")
    third = make_app(app_config)
    get_runtime(third).sync()
    assert len(notices(db, "plugin.load_failed")) == 4

    page = logged_in_client(app, owners[0]).get("/notifications").get_data(as_text=True)
    assert "Your plugin owner_future did not load" in page
    get_runtime(second).close()
    get_runtime(third).close()


def test_a_paused_operation_is_told_to_its_owner_and_the_admins(app, db, people):
    owners = people["owners"]
    client = logged_in_client(app, owners[0])
    for _ in range(2):
        assert client.post("/merchant/operations", data={
            "operation": "owner_tools.explode", "payload": json.dumps({"text": "x"})},
        ).status_code == 502
    told = notices(db, "plugin.owner_paused")
    assert sorted(n.user_id for n in told) == sorted(user.id for user in owners)
    assert told[0].link == "/merchant/plugins#operation-owner_tools-explode"
    assert OWNER_SECRET in told[0].params["error"]
    assert [n.user_id for n in notices(db, "plugin.paused")] == [people["admin"].id]
    page = client.get("/notifications").get_data(as_text=True)
    assert "of your plugin owner_tools failed 2 times in a row and is paused" in page
    assert people["rival"].id not in {n.user_id for n in told}
