"""Abnormal-use detection: sweeps over recent usage records that raise alerts (and, for the
rules chosen in ``USAGE_SUSPEND_RULES``, suspend the key at once).

Three rules, each per API key over the last ``USAGE_WINDOW_MINUTES`` (documented with their
defaults in docs/decisions.md, "Watching use"):

- **burst**: more calls than ``burst_factor`` × the key's median per window (its busy hours
  over the last ``baseline_days``, scaled to the window) and more than ``burst_floor``;
- **enumeration**: ``enumeration_run`` consecutive identifiers among the key's inputs (read
  from the usage records' input keys, :mod:`marketplace.delivery.input_keys`);
- **fishing**: on verification products, at least ``fishing_min_calls`` answers of which more
  than ``fishing_share`` are no-match.

A sweep is idempotent: a key has at most one open alert per rule, and calls already judged by
an alert an admin closed are not judged again. Counting is done in SQL; only enumeration reads
the window's input keys.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.delivery import keys
from marketplace.delivery.input_keys import readings
from marketplace.delivery.models import ApiKey, UsageKind, UsageRecord
from marketplace.delivery.outcomes import NO_MATCH
from marketplace.monitoring.models import AlertRule, AlertState, UsageAlert
from marketplace.settings import UsageWatchSettings

#: Usage records' ids kept in an alert's evidence (the first ones of what the rule found).
EVIDENCE_IDS = 50
#: What a suspension says, per rule (stored on the key; the buyer reads it).
SUSPENSION_REASONS = {
    AlertRule.BURST: "abnormal use: a burst of calls far above this key's usual volume",
    AlertRule.ENUMERATION: "abnormal use: enumeration of sequential identifiers",
    AlertRule.FISHING: "abnormal use: a high share of no-match answers on a verification "
                       "product",
}


@dataclass(frozen=True)
class Finding:
    """What one rule found for one key: the alert to raise."""

    rule: AlertRule
    api_key_id: int
    window_start: datetime
    window_end: datetime
    evidence: dict[str, Any]
    entitlement_id: int | None = None


@dataclass
class SweepResult:
    raised: list[UsageAlert] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    input_keys_cleared: int = 0


def _hour(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _judged_until(session: Session) -> dict[tuple[str, int], datetime]:
    """Per rule and key, the end of the calls a closed alert already judged."""
    rows = session.exec(select(UsageAlert.rule, UsageAlert.api_key_id,
                               func.max(UsageAlert.window_end))
                        .where(UsageAlert.state == AlertState.CLOSED)
                        .group_by(UsageAlert.rule, UsageAlert.api_key_id)).all()
    return {(rule, key_id): end for rule, key_id, end in rows}


def _metered(start: datetime, end: datetime):
    return (col(UsageRecord.api_key_id).is_not(None), UsageRecord.occurred_at >= start,
            UsageRecord.occurred_at <= end, UsageRecord.kind != UsageKind.SANDBOX)


def _bursts(session: Session, watch: UsageWatchSettings, start: datetime,
            end: datetime) -> list[Finding]:
    counts = session.exec(select(UsageRecord.api_key_id, func.count(), func.min(
        UsageRecord.occurred_at), func.max(UsageRecord.occurred_at), func.max(
        UsageRecord.entitlement_id)).where(*_metered(start, end))
        .group_by(UsageRecord.api_key_id)
        .having(func.count() > watch.burst_floor)).all()
    found = []
    for key_id, calls, first, last, entitlement_id in counts:
        hour = _hour(session, UsageRecord.occurred_at)
        hourly = [int(n) for n in session.exec(
            select(func.count()).where(*_metered(start - timedelta(days=watch.baseline_days),
                                                 start - timedelta(microseconds=1)),
                                       UsageRecord.api_key_id == key_id)
            .group_by(hour)).all()]
        baseline = statistics.median(hourly) * watch.window_minutes / 60 if hourly else 0.0
        if calls > watch.burst_factor * baseline:
            found.append(Finding(AlertRule.BURST, key_id, first, last, {
                "calls": calls, "baseline_per_window": round(baseline, 2),
                "factor": watch.burst_factor, "floor": watch.burst_floor,
                "first_call": first.isoformat(), "last_call": last.isoformat()},
                entitlement_id))
    return found


def longest_run(numbers: list[int]) -> tuple[int, int]:
    """The longest run of consecutive integers among ``numbers``: (length, first number)."""
    best, best_first = 0, 0
    values = sorted(set(numbers))
    run, first = 0, None
    for index, value in enumerate(values):
        if index and value == values[index - 1] + 1:
            run += 1
        else:
            run, first = 1, value
        if run > best:
            best, best_first = run, first
    return best, best_first


def _enumerations(session: Session, watch: UsageWatchSettings, start: datetime,
                  end: datetime) -> list[Finding]:
    rows = session.exec(select(UsageRecord.api_key_id, UsageRecord.id, UsageRecord.occurred_at,
                               UsageRecord.input_key, UsageRecord.entitlement_id)
                        .where(*_metered(start, end), col(UsageRecord.input_key).is_not(None))
                        .order_by(col(UsageRecord.id))).all()
    groups: dict[tuple[int, str], list[tuple[int, int, datetime, int | None]]] = defaultdict(list)
    for key_id, record_id, at, input_key, entitlement_id in rows:
        for reading in readings(input_key):
            groups[(key_id, reading.group)].append((reading.number, record_id, at,
                                                    entitlement_id))
    best: dict[int, Finding] = {}
    for (key_id, _group), calls in groups.items():
        length, first = longest_run([number for number, *_rest in calls])
        if length < watch.enumeration_run:
            continue
        in_run = [call for call in calls if first <= call[0] < first + length]
        if key_id in best and best[key_id].evidence["run"] >= length:
            continue
        best[key_id] = Finding(AlertRule.ENUMERATION, key_id, min(c[2] for c in in_run),
                               max(c[2] for c in in_run), {
            "run": length, "threshold": watch.enumeration_run, "calls": len(in_run),
            "first_call": min(c[2] for c in in_run).isoformat(),
            "last_call": max(c[2] for c in in_run).isoformat(),
            "usage_records": sorted(c[1] for c in in_run)[:EVIDENCE_IDS]},
            in_run[-1][3])
    return list(best.values())


def _fishing(session: Session, watch: UsageWatchSettings, start: datetime,
             end: datetime) -> list[Finding]:
    no_match = func.sum(case((UsageRecord.outcome == NO_MATCH, 1), else_=0))
    rows = session.exec(select(UsageRecord.api_key_id, func.count(), no_match,
                               func.min(UsageRecord.occurred_at),
                               func.max(UsageRecord.occurred_at),
                               func.max(UsageRecord.entitlement_id))
                        .where(*_metered(start, end), col(UsageRecord.outcome).is_not(None))
                        .group_by(UsageRecord.api_key_id)
                        .having(func.count() >= watch.fishing_min_calls)).all()
    return [Finding(AlertRule.FISHING, key_id, first, last, {
        "calls": calls, "no_match": int(misses), "share": round(int(misses) / calls, 3),
        "threshold_share": watch.fishing_share, "min_calls": watch.fishing_min_calls,
        "first_call": first.isoformat(), "last_call": last.isoformat()}, entitlement_id)
        for key_id, calls, misses, first, last, entitlement_id in rows
        if int(misses) / calls > watch.fishing_share]


def find(session: Session, watch: UsageWatchSettings, now: datetime) -> list[Finding]:
    """What every rule finds in the window ending at ``now`` (nothing is written)."""
    start = now - timedelta(minutes=watch.window_minutes)
    return [*_bursts(session, watch, start, now), *_enumerations(session, watch, start, now),
            *_fishing(session, watch, start, now)]


def _raise(session: Session, finding: Finding, key: ApiKey,
           watch: UsageWatchSettings) -> UsageAlert | None:
    alert = UsageAlert(rule=finding.rule, api_key_id=key.id, buyer_id=key.buyer_id,
                       entitlement_id=finding.entitlement_id,
                       window_start=finding.window_start, window_end=finding.window_end,
                       evidence={**finding.evidence, "key_prefix": key.prefix},
                       open_key=f"{finding.rule}:{key.id}")
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:  # another sweep raised it meanwhile
        return None
    audit.record(session, actor_id=None, action="usage_alert.raise", subject_type="api_key",
                 subject_id=key.id, details={"alert": alert.id, "rule": finding.rule.value,
                                             **finding.evidence})
    if finding.rule in watch.suspend_rules:
        alert.key_suspended = keys.suspend(
            session, key, f"{SUSPENSION_REASONS[finding.rule]} (alert #{alert.id})",
            actor_id=None) or key.suspended_at is not None
        session.add(alert)
    return alert


def clear_old_input_keys(session: Session, watch: UsageWatchSettings, now: datetime) -> int:
    """Forget the input keys older than ``input_key_days``; returns how many."""
    result = session.exec(update(UsageRecord).where(
        col(UsageRecord.input_key).is_not(None),
        UsageRecord.occurred_at < now - timedelta(days=watch.input_key_days))
        .values(input_key=None).execution_options(synchronize_session=False))
    return result.rowcount or 0


def sweep(session: Session, watch: UsageWatchSettings, now: datetime | None = None) -> SweepResult:
    """Run every rule over the window ending ``now`` and raise what they find, in the caller's
    transaction (the caller commits). Safe to repeat and to run in several processes."""
    now = now or utcnow()
    result = SweepResult(input_keys_cleared=clear_old_input_keys(session, watch, now))
    findings = find(session, watch, now)
    if not findings:
        return result
    open_rules = set(session.exec(select(UsageAlert.open_key).where(
        col(UsageAlert.open_key).is_not(None))).all())
    judged = _judged_until(session)
    key_rows = session.exec(select(ApiKey).where(
        col(ApiKey.id).in_(sorted({f.api_key_id for f in findings})))).all()
    key_by_id = {key.id: key for key in key_rows}
    for finding in findings:
        if f"{finding.rule}:{finding.api_key_id}" in open_rules:
            continue
        until = judged.get((finding.rule.value, finding.api_key_id))
        if until is not None and finding.window_end <= until:
            continue
        alert = _raise(session, finding, key_by_id[finding.api_key_id], watch)
        if alert is not None:
            result.raised.append(alert)
            if alert.key_suspended:
                result.suspended.append(finding.api_key_id)
    return result
