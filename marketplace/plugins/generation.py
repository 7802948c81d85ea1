"""The generation of the plugins' records: how every server process knows at once that an admin
changed a plugin.

Each process keeps the ``installed_plugin`` records in memory (:class:`~marketplace.plugins.
records.InstalledPlugins`), with the value of the one ``plugin_generation`` row it read them at.
Each call reads that value again (one primary-key ``SELECT`` of one integer, far cheaper than
the records) and reads the records only when it moved.

The counter moves in the same transaction as the change, whoever makes it: a ``before_flush``
listener on every SQLAlchemy session adds 1 when an ``installed_plugin`` row is added, deleted,
or has its ``state``, ``trusted`` or ``load_error`` changed (``services.set_state`` and
``set_trusted``, the sync at start, a test editing a row). So a process that reads the new
value also reads the committed change, and a process that still reads the old value serves the
call from before the change was committed: there is no window in which a disabled plugin is
served after the admin's request returned, and nothing to forget to call. Writes in plain SQL
that bypass the ORM are not seen; none exist.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace.plugins.models import InstalledPlugin

#: The record attributes whose change every process must see at once.
WATCHED = ("state", "trusted", "load_error")
READ_SQL = "SELECT counter FROM plugin_generation WHERE id = 1"
# One statement on SQLite and PostgreSQL alike; the row is made by the first change.
BUMP_SQL = ("INSERT INTO plugin_generation (id, counter) VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET counter = plugin_generation.counter + 1")


def read(engine: Engine) -> int | None:
    """The generation now (0 before any change), or None when the table does not exist yet."""
    try:
        with engine.connect() as connection:
            value = connection.exec_driver_sql(READ_SQL).scalar()
    except DBAPIError:
        return None
    return int(value or 0)


def _changed(session: Session, row: object) -> bool:
    if not isinstance(row, InstalledPlugin):
        return False
    if row in session.new or row in session.deleted:
        return True
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in WATCHED)


@event.listens_for(Session, "before_flush")
def _bump_when_plugins_change(session: Session, _context, _instances) -> None:
    if any(_changed(session, row) for row in chain(session.new, session.dirty, session.deleted)):
        session.connection().exec_driver_sql(BUMP_SQL)
