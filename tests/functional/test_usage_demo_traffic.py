"""The demo's ordinary traffic raises no abnormal-use alert: the demo buyer's program scans
varied texts with the demo key for a while, then ``datamarket sweep-usage`` runs."""

from __future__ import annotations

import datetime as dt
import random
from datetime import timedelta

from datamarket_sdk import synthetic
from sqlmodel import func, select

from marketplace.delivery.models import UsageRecord
from marketplace.demo.seed import DEMO_API, demo_product_id, seed
from marketplace.monitoring.models import UsageAlert
from marketplace.plugins import get_runtime

TEMPLATES = ("客户 {name} 的联系电话 {phone}，请回访。", "Invoice for order {n}, paid by card.",
             "身份证号 {id} 的申请已受理。", "no personal data here",
             "Meeting notes {n}: budget ok.")


def test_the_demo_buyers_ordinary_calls_raise_no_alert(app, db, client):
    assert seed(db) is True
    product_id = demo_product_id(db)
    plugin, operation = DEMO_API["operation"]
    rng = random.Random(2026)
    try:
        for _ in range(120):
            born = dt.date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
            values = [template.format(name=rng.choice(["王芳", "李伟", "Zhang Min"]),
                                      phone=f"139{rng.randrange(10**8):08d}",
                                      id=synthetic.resident_id("440106", born,
                                                               rng.randrange(1000)),
                                      n=rng.randrange(10**6))
                      for template in rng.sample(TEMPLATES, 2)]
            response = client.post(f"/api/v1/gateway/{product_id}/{plugin}/{operation}",
                                   json={"values": values},
                                   headers={"Authorization": f"Bearer {DEMO_API['key']}"})
            assert response.status_code == 200, response.get_json()
        result = app.test_cli_runner().invoke(args=["sweep-usage"])
    finally:
        get_runtime(app).close()

    assert result.exit_code == 0, result.output
    assert "0 alert(s) raised, 0 key(s) suspended" in result.output
    db.rollback()
    assert db.exec(select(func.count()).select_from(UsageRecord)).one() == 120
    assert db.exec(select(func.count()).select_from(UsageAlert)).one() == 0
