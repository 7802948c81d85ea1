"""The outbox between the database and the index: written with each change, applied after it.

:func:`record` listens to :mod:`marketplace.changes` and adds a :class:`SearchOutbox` row to the
announcing transaction. :func:`apply_pending` runs later, in whichever process holds the index's
write lock: it reads pending rows, rebuilds the documents they name from the database as it is
*now* (so the order rows were written in does not matter), commits the index, and only then
deletes exactly the rows it read. A crash before the index commit leaves the rows for the next
run; a crash after it leaves rows whose replay rewrites the same documents.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from marketplace import failpoints
from marketplace.catalog.models import Product
from marketplace.changes import Change
from marketplace.db import after_commit
from marketplace.search.documents import document, live_facts
from marketplace.search.index import SearchIndex
from marketplace.search.models import SearchOutbox

log = logging.getLogger(__name__)
BATCH = 500

#: The function to call after a commit that wrote outbox rows, by database engine (one per app).
_wakers: weakref.WeakKeyDictionary[Engine, Callable[[], None]] = weakref.WeakKeyDictionary()


def register_waker(engine: Engine, wake: Callable[[], None]) -> None:
    _wakers[engine] = wake


def record(session: Session, change: Change) -> None:
    """Add the change to the outbox, in the announcing transaction (a ``changes`` listener)."""
    session.add(SearchOutbox(product_id=change.product_id,
                             organization_id=change.organization_id,
                             reason=change.reason[:40]))
    bind = session.get_bind()
    wake = _wakers.get(getattr(bind, "engine", bind))
    if wake is not None and wake not in session.info.get("after_commit", []):
        after_commit(session, wake)


def has_pending(session: Session) -> bool:
    """Whether changes wait to be applied (plain SQL: the storefront asks on every page)."""
    return session.connection().exec_driver_sql(
        "SELECT 1 FROM search_outbox LIMIT 1").first() is not None


def _products_of(session: Session, rows: Iterable[SearchOutbox]) -> list[int]:
    product_ids = [row.product_id for row in rows if row.product_id is not None]
    org_ids = {row.organization_id for row in rows if row.organization_id is not None}
    if org_ids:
        product_ids += session.exec(
            select(Product.id).where(col(Product.organization_id).in_(org_ids))).all()
    return list(dict.fromkeys(product_ids))


def write_documents(writer, session: Session, product_ids: list[int]) -> int:
    """Rewrite (or delete) the documents of ``product_ids`` as the database has them now."""
    facts = live_facts(session, product_ids)
    for product_id in product_ids:
        if product_id in facts:
            writer.update_document(**document(facts[product_id]))
        else:
            writer.delete_by_term("product_id", str(product_id))
    return len(product_ids)


def apply_pending(engine: Engine, index: SearchIndex, *, wait: float = 0.0,
                  batch: int = BATCH) -> int:
    """Apply pending outbox rows to the index, a batch at a time, until none is left.

    :returns: how many rows were applied.
    :raises IndexBusy: another process holds the write lock for longer than ``wait`` seconds
        (the rows stay for it, or for the next run).
    """
    applied = 0
    with Session(engine) as session:
        if not has_pending(session):
            return 0
    failpoints.hit("search_apply_start")
    with index.write_lock(wait):
        while True:
            with Session(engine) as session:
                rows = session.exec(
                    select(SearchOutbox).order_by(col(SearchOutbox.id)).limit(batch)).all()
                if not rows:
                    return applied
                ids = [row.id for row in rows]
                with index.writer() as writer:
                    write_documents(writer, session, _products_of(session, rows))
                failpoints.hit("search_after_index_commit")
                session.exec(delete(SearchOutbox).where(col(SearchOutbox.id).in_(ids)))
                session.commit()
                applied += len(ids)
                log.debug("search index: applied %d outbox rows", len(ids))


def rebuild(engine: Engine, index: SearchIndex, *, wait: float = 30.0,
            batch: int = BATCH) -> int:
    """Rebuild the index from scratch from the database; returns the number of documents.

    Readers keep the old index until the new one is committed whole. Outbox rows that existed
    when the rebuild started are covered by it and removed; later ones stay for the updater.
    """
    with index.write_lock(wait):
        with Session(engine) as session:
            covered = session.exec(select(SearchOutbox.id)).all()
            product_ids = session.exec(select(Product.id).order_by(col(Product.id))).all()
            written = 0
            with index.writer(replace_all=True) as writer:
                for start in range(0, len(product_ids), batch):
                    facts = live_facts(session, product_ids[start:start + batch])
                    for product_id in product_ids[start:start + batch]:
                        if product_id in facts:
                            writer.add_document(**document(facts[product_id]))
                            written += 1
                    session.expunge_all()
            if covered:
                session.exec(delete(SearchOutbox).where(col(SearchOutbox.id).in_(covered)))
                session.commit()
    return written
