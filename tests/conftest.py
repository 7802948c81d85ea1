"""Shared fixtures: an app on a fresh database per test, a client, and a session; for payments,
localstripe, the app's payments adapter and a webhook receiver (tests/commerce_support.py).

The database is SQLite in a temporary folder unless ``DATAMARKET_TEST_DATABASE_URL`` names a
PostgreSQL server (``.ci/run`` sets it); then each xdist worker gets a database of its own, built
by running the migrations (so the suite tests the schema production has, triggers included), and
tables are emptied between tests. ``empty_database_url`` gives a test a database with no schema
at all, on the same engine, for the migration tests.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

import marketplace.models  # noqa: F401  (every table on the metadata)
from marketplace import create_app, migrate
from marketplace.db import get_engine, new_session
from marketplace.models import metadata
from tests import postgres_support
from tests.commerce_support import LocalstripeControl, LocalstripeServer, WebhookReceiver
from tests.redis_support import RedisServer
from tests.s3_support import MotoServer

POSTGRES_URL = os.environ.get("DATAMARKET_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str | None]:
    """A PostgreSQL database for this xdist worker, created once, or None for SQLite."""
    if not POSTGRES_URL:
        yield None
        return
    url = create_postgres_database(f"test_{worker_id}")
    migrate.upgrade(url)
    yield url
    postgres_support.close_connections()


def create_postgres_database(suffix: str, template: str | None = None) -> str:
    """A new PostgreSQL database named after the configured one, dropped first if a previous
    run left it: empty, or a copy of the database ``template``; returns its URL."""
    name = f"{make_url(POSTGRES_URL).database}_{suffix}"
    return postgres_support.create_database(POSTGRES_URL, name, template)


def drop_postgres_database(url: str) -> None:
    postgres_support.drop_database(POSTGRES_URL, make_url(url).database)


@pytest.fixture
def empty_database_url(tmp_path, worker_id) -> Iterator[str]:
    """A database with no tables, on PostgreSQL when the suite runs there, else SQLite."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_postgres_database(f"empty_{worker_id}")
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite database with every table, made once per test process.

    Creating the tables took most of a fast unit test's time (a second on a busy machine);
    copying the file takes a millisecond.
    """
    path = tmp_path_factory.mktemp("schema") / "empty.db"
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(request, tmp_path, postgres_url) -> str:
    if postgres_url:
        postgres_support.restore(postgres_url, metadata.sorted_tables)
        return postgres_url
    target = tmp_path / "test.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config(request, tmp_path, database_url) -> dict:
    """Settings for the test app; override in a test module to change them.

    Payments go to a closed port unless the test asks for the ``localstripe`` fixture: then to
    that server, with an instance tag of the test's own.
    """
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "SMTP_HOST": "",
        "WTF_CSRF_ENABLED": False,
        # Never a developer's localstripe on 8420: port 9 (discard) refuses at once.
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        # No updater thread: each commit applies its search outbox rows before returning.
        "SEARCH_POLL_SECONDS": 0,
        # Jobs run where they are asked, at the commit; the tests of the queue itself run a
        # real worker (tests/jobs_support.py) with this off.
        "JOBS_IMMEDIATE": True,
    }
    if "localstripe" in request.fixturenames:
        config.update(request.getfixturevalue("localstripe").settings())
        config["STRIPE_INSTANCE_TAG"] = f"test-{uuid.uuid4().hex[:12]}"
    return config


class IsolatedRequestsClient(FlaskClient):
    """A test client whose every request runs in contexts of its own, as in production.

    The ``db`` fixture keeps an app context pushed for the whole test (services translate
    messages); without this, Flask would reuse that context for every request, so ``g`` — the
    signed-in user, the request's database session and the record of policy checks — would leak
    from one request to the next and let authorization tests pass wrongly.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    """A private redis-server for this xdist worker (see tests/redis_support.py)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of an emptied Redis: a test sets ``REDIS_URL`` to it to count in Redis."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
    """An S3 API server (moto in server mode) for this xdist worker (tests/s3_support.py)."""
    server = MotoServer(tmp_path_factory.mktemp("moto")).start()
    yield server
    server.stop()


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    application.test_client_class = IsolatedRequestsClient
    yield application
    get_engine(application).dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[[dict], Flask]]:
    """Another app made inside a test (other settings, a second process's view); its engine's
    connections are closed after the test, as the ``app`` fixture's are."""
    made: list[Flask] = []

    def make(config: dict) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield make
    for application in made:
        get_engine(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session on the test database, inside an app context (services need one to translate)."""
    with app.test_request_context():
        session = new_session(get_engine(app))
        yield session
        session.close()


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory) -> Iterator[LocalstripeControl]:
    """localstripe on 127.0.0.1 for this test process (one per xdist worker), state in memory.

    Started the first time a test asks for it, so the other tests never pay for it; its log is
    in the session's temporary folder. Tests asking for it get an app that pays through it.
    """
    log_file = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    server = LocalstripeServer.start(log_file=log_file)
    yield LocalstripeControl(server.base_url)
    server.stop()


@pytest.fixture
def payments(app, localstripe):
    """The app's payments adapter, talking to localstripe."""
    return app.extensions["payments"]


@pytest.fixture
def webhook_receiver(localstripe, app) -> Iterator[WebhookReceiver]:
    """An HTTP receiver that localstripe sends this test's events to, signed with the app's
    webhook secret."""
    receiver = WebhookReceiver()
    localstripe.register_webhook(receiver.url, app.config["STRIPE_WEBHOOK_SECRET"])
    yield receiver
    receiver.close()
