"""Admins hear of a paused operation through the outbox, never by SMTP inside the plugin call.

The listener (``marketplace.notifications.plugin_notices``) commits the notification and its
e-mail in a session of its own; the e-mail leaves with the next outbox delivery. Here mail goes
to the mail folder (no SMTP host), so an empty folder shows nothing was sent in the request.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from datamarket_sdk import Scope
from flask import jsonify, request
from sqlmodel import col, select

from marketplace import policy
from marketplace.accounts.models import Role
from marketplace.notifications.models import OutboundEmail
from marketplace.notifications.services import deliver_outbox
from marketplace.plugins import get_runtime
from marketplace.plugins.models import InstalledPlugin
from tests.factories import forget, make_user

SAMPLES = Path(__file__).resolve().parents[1] / "plugin_samples"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(SAMPLES),
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 60}


@pytest.fixture
def app(app):
    def call(plugin: str, operation: str):
        result = get_runtime().invoke(plugin, operation, request.get_json(silent=True) or {},
                                      buyer="buyer-1", scope=Scope())
        return jsonify(result)

    app.add_url_rule("/api/test-gateway/<plugin>/<operation>", "test_gateway",
                     policy.public(call), methods=["POST"])
    yield app
    get_runtime(app).close()


def mail_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_the_paused_notice_waits_in_the_outbox_until_it_is_delivered(app, client, db, trusted):
    admin = make_user(db, Role.ADMIN, name="Operator")
    db.commit()
    get_runtime(app).sync()
    row = db.exec(select(InstalledPlugin).where(InstalledPlugin.name == "faulty")).one()
    row.trusted = trusted
    db.add(row)
    db.commit()
    before = len(mail_files(app))  # the admin's own sign-up and role mails, if delivered

    for _ in range(2):
        response = client.post("/api/test-gateway/faulty/flaky", json={"fail": True})
        assert response.status_code == 502
    assert client.post("/api/test-gateway/faulty/flaky", json={}).status_code == 503

    forget(db)
    waiting = db.exec(select(OutboundEmail).where(col(OutboundEmail.sent_at).is_(None))).all()
    paused = [mail for mail in waiting if "paused" in mail.body]
    assert [mail.to_address for mail in paused] == [admin.email]
    assert "The operation “flaky” of plugin faulty failed 2 times in a row" in paused[0].body
    assert len(mail_files(app)) == before, "no mail was sent inside the plugin calls"

    assert deliver_outbox(db, app.config) == len(waiting)
    sent = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in mail_files(app)[before:]]
    assert [message for message in sent
            if message["To"] == admin.email and "is paused" in message.get_content()]
