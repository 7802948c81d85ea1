"""Database engine and per-request sessions.

The engine is created once per app and kept in ``app.extensions``; a request (or CLI command) gets
one SQLModel ``Session`` through :func:`get_session`, closed when the app context ends. Services
receive the session as an argument and never reach for Flask themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

ENGINE_KEY = "datamarket.engine"
log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each backend needs to be safe under concurrency."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no branch - runs per connection
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets gunicorn's workers read while one writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints instead of at every commit: a crash of
            # the process loses nothing, a power cut may lose the last commits but never
            # corrupts the file (docs/decisions.md, "SQLite durability").
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_begin_before_savepoint(connection, _name):  # pragma: no branch
            # pysqlite opens a transaction only at the first write, so a SAVEPOINT taken
            # before any write would itself be the transaction: released, it commits, and a
            # later rollback cannot undo it. Open the real transaction first. (Reads stay
            # outside a transaction until the first write, as before, so WAL readers never
            # hold a snapshot that a later write would have to upgrade.)
            if not connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    app.extensions[ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[ENGINE_KEY]


def get_session() -> Session:
    """The session bound to the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def new_session(engine: Engine | None = None) -> Session:
    """A session that remembers whether a committed transaction queued e-mail."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    event.listen(session, "after_commit", _outbox_committed)
    event.listen(session, "after_rollback", _outbox_rolled_back)
    return session


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction commits (never on rollback).

    For side effects that must not happen for work that is rolled back, such as telling
    plugins about a paid order. A failing callback is logged; the commit stands.
    """
    session.info.setdefault("after_commit", []).append(callback)


def _outbox_committed(session) -> None:
    if session.info.pop("outbox_pending", False):
        session.info["outbox_committed"] = True
    for callback in session.info.pop("after_commit", []):
        try:
            callback()
        except Exception:
            log.exception("an after-commit action failed; the committed work stands")


def _outbox_rolled_back(session) -> None:
    session.info.pop("outbox_pending", None)
    session.info.pop("after_commit", None)


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
