"""Creating and dropping the suite's PostgreSQL databases.

The tests' role may create databases but is not a superuser, so ``DROP DATABASE ... WITH (FORCE)``
is not ours to use: it must terminate every backend on the database, and an autovacuum worker that
happens to be there is not the role's to terminate ("must be a member of the role whose process is
being terminated"). Instead the role ends its own leftover connections, then drops the database
plainly; PostgreSQL itself asks an autovacuum worker to leave and waits for it.

Between tests a worker's database is not dropped but put back: emptied, or filled again with the
rows of a :class:`Snapshot`, by DELETE and COPY in one transaction (about 30 ms, where a
``CREATE DATABASE ... TEMPLATE`` copy took 700 ms and ``TRUNCATE`` of every table 200 ms).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import Connection, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# PostgreSQL waits up to 5 s for other sessions to leave before DROP DATABASE gives up; one of
# ours still closing (a test app's pool disposed a moment ago) gets a few more tries.
DROP_ATTEMPTS = 5


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A new database ``name`` on the server of ``server_url`` (dropped first if a previous run
    left it): empty, or a copy of the database ``template``. Returns its URL."""
    copy = f' TEMPLATE "{template}"' if template else ""
    with _admin(server_url) as conn:
        _drop(conn, name)
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        _drop(conn, name)


class _admin:
    """An autocommit connection to the server's own database, closed with its engine."""

    def __init__(self, server_url: str) -> None:
        self.engine = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")

    def __enter__(self) -> Connection:
        self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()
        self.engine.dispose()


def _drop(conn: Connection, name: str) -> None:
    for attempt in range(DROP_ATTEMPTS):
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :name AND usename = current_user "
                          "AND pid <> pg_backend_pid()"), {"name": name})
        try:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except OperationalError:  # still in use: a session of ours that was just ending
            if attempt == DROP_ATTEMPTS - 1:
                raise
            time.sleep(0.2)


@dataclass
class Snapshot:
    """Every row of the given tables (COPY's text form) and where each sequence stood."""

    rows: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)


def take_snapshot(url: str, tables: list[Table]) -> Snapshot:
    snapshot = Snapshot()
    conn = _connection(url)
    with conn.cursor() as cursor:
        for table in tables:
            data = bytearray()
            with cursor.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                for chunk in copy:
                    data += chunk
            if data:
                snapshot.rows[table.name] = bytes(data)
        cursor.execute("SELECT schemaname, sequencename, last_value FROM pg_sequences "
                       "WHERE last_value IS NOT NULL")
        for schema, name, last_value in cursor.fetchall():
            snapshot.sequences[f'"{schema}"."{name}"'] = (last_value, True)
    conn.commit()
    return snapshot


def restore(url: str, tables: list[Table], snapshot: Snapshot | None = None) -> None:
    """Empty ``tables`` (given parents first) and every sequence, then put the snapshot's rows
    and sequence positions back. The migrated audit log refuses DELETE (migration 0012); its
    owner, the tests' role, switches the triggers off for this one transaction."""
    snapshot = snapshot or Snapshot()
    conn = _connection(url)
    with conn.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_entry DISABLE TRIGGER USER")
        for table in reversed(tables):
            cursor.execute(f'DELETE FROM "{table.name}"')
        for table in tables:
            if table.name in snapshot.rows:
                with cursor.copy(f'COPY "{table.name}" FROM STDIN') as copy:
                    copy.write(snapshot.rows[table.name])
        cursor.execute("ALTER TABLE audit_entry ENABLE TRIGGER USER")
        cursor.execute("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                       "FROM pg_sequences")
        for name, (value, called) in snapshot.sequences.items():
            cursor.execute("SELECT setval(%s, %s, %s)", (name, value, called))
    conn.commit()


_connections: dict[str, psycopg.Connection] = {}


def _connection(url: str) -> psycopg.Connection:
    """One connection per database for the test process, kept open (a new one costs more than
    the reset it serves) until :func:`close_connections`."""
    if url not in _connections:
        _connections[url] = psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    return _connections[url]


def close_connections() -> None:
    for conn in _connections.values():
        conn.close()
    _connections.clear()
