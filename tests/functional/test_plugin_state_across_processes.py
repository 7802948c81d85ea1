"""An admin's change to a plugin reaches every server process on its next call: the state is
kept in memory per process and read again when the plugins' generation moves (see
marketplace/plugins/generation.py). Two real processes share the test's database (SQLite, or
PostgreSQL when DATAMARKET_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from marketplace.accounts.models import Role
from marketplace.db import get_engine
from marketplace.plugins import get_runtime, services
from marketplace.plugins.models import PluginState
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "governance_tools"


class Child:
    def __init__(self, database_url: str, redis_url: str = ""):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.plugin_state_child", database_url,
             *([redis_url] if redis_url else [])],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def call(self) -> str:
        self.process.stdin.write("call\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)
        self.process.stdin.close()
        self.process.stdout.close()


@pytest.fixture(params=["database", "redis"])
def other_process(request, app, database_url):
    get_runtime(app).sync()
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    child = Child(database_url, redis_url)
    yield child
    child.stop()


def decide(db, change) -> None:
    admin = make_user(db, Role.ADMIN)
    row = services.find(db, PLUGIN)
    change(db, admin, row)
    db.commit()


def test_a_plugin_disabled_in_one_process_is_refused_by_the_other_at_once(db, other_process):
    assert other_process.call() == "ok trusted"
    assert other_process.call() == "ok trusted"
    decide(db, lambda s, admin, row: services.set_state(s, admin, row, PluginState.DISABLED))
    assert other_process.call() == "OperationNotFound"
    decide(db, lambda s, admin, row: services.set_state(s, admin, row, PluginState.ENABLED))
    assert other_process.call() == "ok trusted"


def test_a_plugin_untrusted_in_one_process_runs_in_a_worker_in_the_other_at_once(
        db, other_process):
    assert other_process.call() == "ok trusted"
    decide(db, lambda s, admin, row: services.set_trusted(s, admin, row, False))
    assert other_process.call() == "ok worker"
    decide(db, lambda s, admin, row: services.set_trusted(s, admin, row, True))
    assert other_process.call() == "ok trusted"


def test_the_records_are_read_once_until_they_change(app, db):
    runtime = get_runtime(app)
    runtime.sync()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if "installed_plugin" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        runtime.installed.snapshot_of(PLUGIN)
        statements.clear()
        for _ in range(5):
            assert runtime.installed.snapshot_of(PLUGIN).records[PLUGIN].state == "enabled"
        assert statements == [], "kept in memory after the first read"
        decide(db, lambda s, admin, row: services.set_state(s, admin, row,
                                                           PluginState.DISABLED))
        statements.clear()
        for _ in range(3):
            assert runtime.installed.snapshot_of(PLUGIN).records[PLUGIN].state == "disabled"
        assert len(statements) == 1, "read again once, after the change"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        runtime.close()
