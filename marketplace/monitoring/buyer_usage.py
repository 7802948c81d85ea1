"""A buyer's dashboard: calls and downloads per day, and per entitlement and API key with the
quota used. Four queries, whatever the number of days, entitlements or keys."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.catalog.models import Listing
from marketplace.delivery.models import ApiKey, Entitlement, QuotaCounter, UsageKind, UsageRecord
from marketplace.delivery.quota import terms_for
from marketplace.monitoring.series import bounds, day_of, day_text, every_day

#: Usage kinds counted as calls (sandbox trial calls are shown on the keys page, not here).
CALL_KINDS = (UsageKind.CALL, UsageKind.OVERAGE)


@dataclass(frozen=True)
class DayUsage:
    day: str
    calls: int
    downloads: int


@dataclass(frozen=True)
class EntitlementUsage:
    entitlement: Entitlement
    title: str
    calls: int
    downloads: int
    #: Calls counted against the quota in its current period (None: no quota).
    quota_used: int | None
    #: The listing's English title, if its merchant gave one (``title`` is the Chinese).
    title_en: str = ""

    @property
    def quota_left(self) -> int | None:
        if self.entitlement.quota is None or self.quota_used is None:
            return None
        return max(self.entitlement.quota - self.quota_used, 0)


@dataclass(frozen=True)
class KeyUsage:
    key: ApiKey
    calls: int
    last_call: datetime | None


@dataclass(frozen=True)
class BuyerDashboard:
    start: date
    end: date
    days: list[DayUsage]
    entitlements: list[EntitlementUsage]
    keys: list[KeyUsage]

    @property
    def total_calls(self) -> int:
        return sum(day.calls for day in self.days)

    @property
    def total_downloads(self) -> int:
        return sum(day.downloads for day in self.days)


def buyer_dashboard(session: Session, buyer_id: int, start: date, end: date) -> BuyerDashboard:
    """What ``buyer_id`` used from ``start`` to ``end`` (inclusive, UTC days)."""
    day = day_of(UsageRecord.occurred_at)
    mine = (Entitlement.buyer_id == buyer_id, *bounds(UsageRecord.occurred_at, start, end))
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_entitlement: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_key: dict[int | None, list] = defaultdict(lambda: [0, None])
    rows = session.exec(
        select(day, UsageRecord.entitlement_id, UsageRecord.api_key_id, UsageRecord.kind,
               func.sum(UsageRecord.units), func.max(UsageRecord.occurred_at))
        .join(Entitlement, Entitlement.id == UsageRecord.entitlement_id).where(*mine)
        .group_by(day, UsageRecord.entitlement_id, UsageRecord.api_key_id, UsageRecord.kind)
    ).all()
    for on, entitlement_id, key_id, kind, units, last in rows:
        bucket = "downloads" if kind == UsageKind.DOWNLOAD else (
            "calls" if kind in CALL_KINDS else None)
        if bucket is None:
            continue
        per_day[day_text(on)][bucket] += int(units)
        per_entitlement[entitlement_id][bucket] += int(units)
        if bucket == "calls":
            per_key[key_id][0] += int(units)
            per_key[key_id][1] = max(filter(None, (per_key[key_id][1], last)), default=None)
    held = session.exec(select(Entitlement, Listing.title, Listing.title_en)
                        .join(Listing, Listing.id == Entitlement.listing_id)
                        .where(Entitlement.buyer_id == buyer_id)
                        .order_by(col(Entitlement.id).desc())).all()
    counters = {(c.entitlement_id, c.period): c.used for c in session.exec(
        select(QuotaCounter).join(Entitlement, Entitlement.id == QuotaCounter.entitlement_id)
        .where(Entitlement.buyer_id == buyer_id))}
    entitlements = []
    for entitlement, title, title_en in held:
        terms = terms_for(entitlement)
        used = (counters.get((entitlement.id, terms.period), 0)
                if terms.limit is not None else None)
        counts = per_entitlement.get(entitlement.id, {})
        entitlements.append(EntitlementUsage(entitlement, title, counts.get("calls", 0),
                                             counts.get("downloads", 0), used, title_en))
    key_rows = session.exec(select(ApiKey).where(ApiKey.buyer_id == buyer_id,
                                                 col(ApiKey.trial_id).is_(None))
                            .order_by(col(ApiKey.id).desc())).all()
    keys = [KeyUsage(key, per_key[key.id][0] if key.id in per_key else 0,
                     per_key[key.id][1] if key.id in per_key else None) for key in key_rows]
    days = [DayUsage(d, per_day.get(d, {}).get("calls", 0), per_day.get(d, {}).get(
        "downloads", 0)) for d in every_day(start, end)]
    return BuyerDashboard(start, end, days, entitlements, keys)
