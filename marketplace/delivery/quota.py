"""Quotas as sold, counted so that concurrent calls never overspend.

- a call pack (one-time or per-call with a quota): ``quota`` calls in all, then refused;
- a membership: ``quota`` calls per period (the counter row is keyed by the period's end, so a
  renewal that extends the entitlement starts a new count); beyond it only if the membership
  was sold with an ``overage_unit_price`` (kept on the entitlement), and then those calls are
  recorded as overage for the monthly bill;
- pay-as-you-go (no quota): never refused for quota, every call metered.

A call is *reserved* before the plugin runs and *released* if it fails, so a failed call is
never counted. Two stores, chosen by ``REDIS_URL``:

- :class:`DatabaseQuota` (the embedded default): a conditional ``UPDATE quota_counter SET used =
  used + 1 WHERE ... AND used < quota`` committed at once. PostgreSQL re-checks the condition
  under the row lock and SQLite takes its write lock, so two calls can never both take the last
  unit;
- :class:`RedisQuota`: a Lua script checks and increments in one step in Redis (no database
  write lock held by the reservation); the database counter is the durable record, incremented
  with the usage record of each successful call and used to seed Redis when its key is missing.

A sandbox trial (:func:`reserve_trial`) is counted by the same conditional ``UPDATE``, on the
buyer's ``sandbox_trial`` row, in the database whatever ``REDIS_URL`` says: a trial is a few
calls per buyer and product, never a hot counter.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace.catalog.models import PricingModel
from marketplace.delivery.models import Entitlement, QuotaCounter, SandboxTrial, UsageKind

#: Seconds an idle Redis counter lives before it is seeded again from the database.
REDIS_TTL = 86_400


@dataclass(frozen=True)
class QuotaTerms:
    """How an entitlement's calls are counted: ``limit`` None means not limited."""

    limit: int | None
    period: str = ""
    overage: bool = False


def terms_for(entitlement: Entitlement) -> QuotaTerms:
    if entitlement.quota is None:
        return QuotaTerms(None)
    if entitlement.pricing_model == PricingModel.MEMBERSHIP:
        period = entitlement.valid_to.isoformat() if entitlement.valid_to else "open"
        return QuotaTerms(entitlement.quota, f"until:{period}",
                          entitlement.overage_unit_price is not None)
    return QuotaTerms(entitlement.quota, "pack")


@dataclass(frozen=True)
class Reservation:
    """A call let through: counted (``counted``) or merely metered, and what it is billed as."""

    entitlement_id: int
    terms: QuotaTerms
    kind: str = UsageKind.CALL
    counted: bool = False
    #: Calls left within the quota after this one (None: no quota).
    remaining: int | None = None


def _ensure_row(session: Session, entitlement_id: int, period: str) -> bool:
    """Make the period's counter row if it is missing; whether it was missing (the first call
    of a period: the hot path tries its UPDATE first and comes here only when it matched
    nothing)."""
    exists = session.exec(select(QuotaCounter.id).where(
        *_counter(entitlement_id, period))).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(QuotaCounter(entitlement_id=entitlement_id, period=period, used=0))
    except IntegrityError:
        pass  # another call made it first
    return True


def _counter(entitlement_id: int, period: str):
    """The conditions naming one counter row (the reads; :func:`_bump` writes through its
    statement built once)."""
    return (QuotaCounter.entitlement_id == entitlement_id, QuotaCounter.period == period)


def _bump(session: Session, entitlement_id: int, period: str, *, below: int | None,
          by: int = 1) -> int | None:
    """Add ``by`` to the counter (only while it is below ``below`` when given); the new count,
    or None when the condition failed."""
    return _conditional_add(session, QuotaCounter,
                            {"entitlement_id": entitlement_id, "period": period},
                            below=below, by=by)


@functools.cache
def _add_statement(model, columns: tuple[str, ...], bounded: bool, decrease: bool):
    """The ``UPDATE`` of :func:`_conditional_add` for one shape of call, built once and on the
    Core table: on every gateway call, building it again and the ORM's bulk-update preparation
    cost more than running it."""
    table = model.__table__
    # (an UPDATE's parameters may not be named after a column: hence ``where_``)
    statement = update(table).where(*(table.c[name] == bindparam(f"where_{name}")
                                      for name in columns))
    if bounded:
        statement = statement.where(table.c.used < bindparam("below"))
    if decrease:
        statement = statement.where(table.c.used > 0)
    return statement.values(used=table.c.used + bindparam("by")).returning(table.c.used)


def _conditional_add(session: Session, table, where: dict[str, object], *, below: int | None,
                     by: int = 1) -> int | None:
    """``UPDATE table SET used = used + by WHERE <where's columns equal> [AND used < below]
    RETURNING used``: the one way every counter here moves, so that two calls can never both
    take the last unit."""
    statement = _add_statement(table, tuple(where), below is not None, by < 0)
    params = {f"where_{name}": value for name, value in where.items()}
    row = session.execute(statement, {**params, "below": below, "by": by}).first()
    return None if row is None else int(row[0])


def _commit_without_waiting_for_disk(session: Session) -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk.

    A reservation only matters for a call that completes, and a completed call commits its
    usage record synchronously afterwards, which flushes the WAL up to and including the
    reservation. A crash in between loses the reservation of a call that was never answered:
    exactly what should not be counted. SQLite has no such switch (see ``db.make_engine``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def reserve_trial(session: Session, trial_id: int, allowed: int) -> Reservation | None:
    """Count one sandbox call of a trial allowing ``allowed`` calls, committed at once; None
    when the trial is used up. ``remaining`` is the trial calls left after this one."""
    _commit_without_waiting_for_disk(session)
    used = _conditional_add(session, SandboxTrial, {"id": trial_id}, below=allowed)
    session.commit()
    if used is None:
        return None
    return Reservation(trial_id, QuotaTerms(allowed, "trial"), UsageKind.SANDBOX, True,
                       max(0, allowed - used))


def release_trial(session: Session, reservation: Reservation) -> None:
    """Give back a sandbox call that failed, committed at once."""
    session.rollback()
    _conditional_add(session, SandboxTrial, {"id": reservation.entitlement_id}, below=None,
                     by=-1)
    session.commit()


class DatabaseQuota:
    """Quota counted in the ``quota_counter`` table (see the module's notes)."""

    def reserve(self, session: Session, entitlement: Entitlement) -> Reservation | None:
        """Count one call before it runs, committed at once; None when the quota is spent."""
        terms = terms_for(entitlement)
        if terms.limit is None:
            return Reservation(entitlement.id, terms)
        _commit_without_waiting_for_disk(session)
        used = _bump(session, entitlement.id, terms.period, below=terms.limit)
        if used is None and _ensure_row(session, entitlement.id, terms.period):
            used = _bump(session, entitlement.id, terms.period, below=terms.limit)
        kind = UsageKind.CALL
        if used is None and terms.overage:
            used, kind = _bump(session, entitlement.id, terms.period, below=None), \
                UsageKind.OVERAGE
        session.commit()
        if used is None:
            return None
        return Reservation(entitlement.id, terms, kind, True, max(0, terms.limit - used))

    def release(self, session: Session, reservation: Reservation) -> None:
        """Give back a reserved call that failed, committed at once."""
        if reservation.counted:
            session.rollback()
            _bump(session, reservation.entitlement_id, reservation.terms.period, below=None,
                  by=-1)
            session.commit()

    def confirm(self, session: Session, reservation: Reservation) -> None:
        """Nothing to do: the reservation already is the durable count."""


# KEYS[1]: the counter; ARGV: limit, overage allowed ("1"/"0"), ttl. Returns {status, used}:
# status 1 within the quota, 2 overage, 0 spent, -1 missing (seed it from the database).
_RESERVE = """
local used = redis.call('GET', KEYS[1])
if not used then return {-1, 0} end
used = tonumber(used)
redis.call('EXPIRE', KEYS[1], ARGV[3])
if used < tonumber(ARGV[1]) then return {1, redis.call('INCR', KEYS[1])} end
if ARGV[2] == '1' then return {2, redis.call('INCR', KEYS[1])} end
return {0, used}
"""


class RedisQuota:
    """Quota counted in Redis, with the database counter as the durable record."""

    def __init__(self, redis_url: str):
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.script = self.client.register_script(_RESERVE)

    @staticmethod
    def key(entitlement_id: int, period: str) -> str:
        return f"datamarket:quota:{entitlement_id}:{period}"

    def _seed(self, session: Session, entitlement_id: int, period: str) -> None:
        _ensure_row(session, entitlement_id, period)
        used = session.exec(select(QuotaCounter.used).where(
            *_counter(entitlement_id, period))).first() or 0
        session.commit()
        self.client.set(self.key(entitlement_id, period), used, nx=True, ex=REDIS_TTL)

    def reserve(self, session: Session, entitlement: Entitlement) -> Reservation | None:
        terms = terms_for(entitlement)
        if terms.limit is None:
            return Reservation(entitlement.id, terms)
        key = self.key(entitlement.id, terms.period)
        args = [terms.limit, "1" if terms.overage else "0", REDIS_TTL]
        status, used = self.script(keys=[key], args=args)
        if status == -1:
            self._seed(session, entitlement.id, terms.period)
            status, used = self.script(keys=[key], args=args)
        if status not in (1, 2):
            return None
        kind = UsageKind.CALL if status == 1 else UsageKind.OVERAGE
        return Reservation(entitlement.id, terms, kind, True, max(0, terms.limit - int(used)))

    def release(self, session: Session, reservation: Reservation) -> None:
        if reservation.counted:
            self.client.decr(self.key(reservation.entitlement_id, reservation.terms.period))

    def confirm(self, session: Session, reservation: Reservation) -> None:
        """Add the successful call to the database counter (in the usage record's
        transaction)."""
        if reservation.counted:
            entitlement_id, period = reservation.entitlement_id, reservation.terms.period
            if _bump(session, entitlement_id, period, below=None) is None:
                _ensure_row(session, entitlement_id, period)
                _bump(session, entitlement_id, period, below=None)


_STORES: dict[str, DatabaseQuota | RedisQuota] = {}


def store_for(redis_url: str) -> DatabaseQuota | RedisQuota:
    """The quota store for a deployment: Redis when ``redis_url`` is set, else the database."""
    if redis_url not in _STORES:
        _STORES[redis_url] = RedisQuota(redis_url) if redis_url else DatabaseQuota()
    return _STORES[redis_url]
