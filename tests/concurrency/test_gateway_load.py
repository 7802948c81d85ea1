"""The gateway's quota under real concurrency: gunicorn with several worker processes, a quota
of 100, 400 calls from 40 parallel clients: exactly 100 answers and 300 refusals, and exactly
100 usage records, on SQLite and PostgreSQL, counting in the database or in Redis.

Run by ``make test-concurrency`` (PostgreSQL from ``DATAMARKET_TEST_DATABASE_URL`` or the local
server; Redis is the suite's private redis-server).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.db import get_engine, new_session
from marketplace.plugins import get_runtime
from tests.concurrency.stack import BIN, DEFAULT_DATABASE_URL, ROOT, free_port
from tests.gateway_support import BODY, PLUGINS, buy, make_world, new_key
from tests.postgres_support import create_database

QUOTA, CALLS, CLIENTS, WORKERS, THREADS = 100, 400, 40, 3, 4
SECRET = "gateway-load-secret"


def _database(kind: str, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    base = make_url(os.environ.get("DATAMARKET_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL)
    return create_database(base.render_as_string(hide_password=False),
                           f"{base.database}_gateway_load")


@pytest.fixture(params=["sqlite", "postgresql", "sqlite+redis", "postgresql+redis"])
def served(request, tmp_path):
    database, _, redis = request.param.partition("+")
    url = _database(database, tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET,
           "DATAMARKET_INSTANCE_PATH": str(tmp_path / "instance"),
           "DATAMARKET_PLUGINS_DIR": str(PLUGINS), "GATEWAY_RATE_LIMIT": "100000/minute",
           "PLUGIN_BREAKER_THRESHOLD": "1000", "PYTHONWARNINGS": "ignore",
           "REDIS_URL": request.getfixturevalue("redis_url") if redis else ""}
    subprocess.run([str(BIN / "datamarket"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATAMARKET_PLUGINS_DIR": str(PLUGINS), "SEARCH_POLL_SECONDS": 0,
                      "MAIL_FOLDER": str(tmp_path / "mail"), "SMTP_HOST": ""})
    with app.test_request_context():
        db = new_session(get_engine(app))
        world = make_world(app, db)
        entitlement = buy(db, world, world.buyer, quota=QUOTA)
        token = new_key(db, app, world.buyer)
        db.close()
    get_runtime(app).close()
    get_engine(app).dispose()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "gthread",
         "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log),
         "--log-level", "warning", "marketplace:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, server, log)
        yield port, world.url(), token, url, entitlement.id, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(port: int, server: subprocess.Popen, log) -> None:
    import time

    for _ in range(400):
        if server.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def test_400_parallel_calls_on_a_quota_of_100_yield_exactly_100_answers(served):
    port, path, token, url, entitlement_id, log = served
    body = json.dumps(BODY)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def calls(count: int) -> list[int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        statuses = []
        for _ in range(count):
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = pool.map(calls, [CALLS // CLIENTS] * CLIENTS)
    statuses = Counter(status for batch in results for status in batch)
    assert statuses == {200: QUOTA, 429: CALLS - QUOTA}, (statuses, log.read_text()[-3000:])
    engine = create_engine(url)
    with engine.connect() as conn:
        records = conn.execute(text("SELECT count(*) FROM usage_record WHERE entitlement_id = "
                                    ":e"), {"e": entitlement_id}).scalar()
        used = conn.execute(text("SELECT sum(used) FROM quota_counter WHERE entitlement_id = "
                                 ":e"), {"e": entitlement_id}).scalar()
    engine.dispose()
    assert (records, used) == (QUOTA, QUOTA)
