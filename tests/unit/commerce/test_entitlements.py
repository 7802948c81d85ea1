"""Entitlements: what a grant gives and for how long, membership periods by the calendar, every
state change (allowed, refused, or already there), extensions, expiry and usability at the
exact edges of validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from marketplace.audit.models import AuditEntry
from marketplace.audit.services import verify_chain
from marketplace.catalog.models import Listing
from marketplace.delivery import announce, entitlements
from marketplace.delivery.models import Entitlement, EntitlementState
from marketplace.errors import InvalidTransition
from tests.commerce_factories import quick_line, quick_order, quick_user

E = EntitlementState


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- periods (no database) -------------------------------------------------------------------


@pytest.mark.parametrize(("start", "period", "end"), [
    (at(2026, 1, 15, 10, 30), "month", at(2026, 2, 15, 10, 30)),
    (at(2026, 1, 31, 23, 59), "month", at(2026, 2, 28, 23, 59)),  # February is shorter
    (at(2028, 1, 31), "month", at(2028, 2, 29)),  # a leap year's February
    (at(2026, 2, 28), "month", at(2026, 3, 28)),
    (at(2026, 3, 31), "month", at(2026, 4, 30)),
    (at(2026, 8, 31), "month", at(2026, 9, 30)),
    (at(2026, 11, 30), "month", at(2026, 12, 30)),
    (at(2026, 12, 1), "month", at(2027, 1, 1)),  # into the next year
    (at(2026, 12, 31), "month", at(2027, 1, 31)),
    (at(2026, 5, 20, 8), "year", at(2027, 5, 20, 8)),
    (at(2028, 2, 29), "year", at(2029, 2, 28)),  # no Feb 29 the year after
    (at(2027, 3, 1), "year", at(2028, 3, 1)),  # 366 days: the period holds a leap day
    (at(2026, 12, 31), "year", at(2027, 12, 31)),
    (at(2026, 7, 4), None, at(2026, 8, 4)),  # no period given: a month
])
def test_a_membership_period_is_a_calendar_month_or_year(start, period, end):
    assert entitlements.period_end(start, period) == end


def test_a_period_keeps_the_time_of_day_to_the_microsecond():
    start = datetime(2026, 1, 31, 13, 14, 15, 161_718, tzinfo=UTC)
    assert entitlements.period_end(start, "month") == datetime(2026, 2, 28, 13, 14, 15, 161_718,
                                                               tzinfo=UTC)


def test_a_call_pack_stays_usable_a_year():
    assert entitlements.CALL_PACK_VALIDITY == timedelta(days=365)


# -- scope -----------------------------------------------------------------------------------


def test_a_purchase_grants_the_listings_operation_and_every_field(db):
    # A listing without rows in listing_operation (saved before the table) sells its columns'.
    with_operation = Listing(id=1, product_id=1, organization_id=1, title="t", product_type="x",
                             delivery_form="y", scenario="z", plugin_name="kyb",
                             operation_name="verify")
    assert entitlements.scope_for(db, with_operation) == {
        "operations": {"kyb.verify": {"fields": None, "masking": {}}}}
    with_operation.operation_name = None
    assert entitlements.scope_for(db, with_operation) == {"operations": {}}


# -- grants ----------------------------------------------------------------------------------


@pytest.fixture
def announced(monkeypatch) -> list[tuple[int, bool]]:
    """(entitlement id, granted) of every event queued for plugins."""
    events: list[tuple[int, bool]] = []
    real = announce.entitlement_changed

    def record(session, entitlement, *, granted):
        events.append((entitlement.id, granted))
        real(session, entitlement, granted=granted)

    monkeypatch.setattr(announce, "entitlement_changed", record)
    return events


def audit_of(db, entitlement: Entitlement) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "entitlement", AuditEntry.subject_id == str(entitlement.id))
        .order_by(col(AuditEntry.seq))))


def grant_one(db, model: str = "one_time", *, quota: int | None = None,
              valid_to: datetime | None = None, operation_name: str | None = None):
    order, (line,) = quick_order(db, quick_line(model, 10_00), state="paid",
                                 operation_name=operation_name)
    listing = db.get(Listing, line.listing_id)
    entitlement = entitlements.grant(db, order, line, listing, quota=quota, valid_to=valid_to)
    return order, line, entitlement


def test_a_grant_records_what_the_line_sold_and_is_audited(db, announced):
    order, line, entitlement = grant_one(db, quota=5_000, operation_name="verify")
    db.commit()

    assert (entitlement.buyer_id, entitlement.product_id, entitlement.listing_id,
            entitlement.plan_id, entitlement.order_id, entitlement.order_line_id) == (
        order.buyer_id, line.product_id, line.listing_id, line.plan_id, order.id, line.id)
    assert entitlement.pricing_model == "one_time"
    assert entitlement.scope == {"operations": {"kyb.verify": {"fields": None, "masking": {}}}}
    assert entitlement.quota == 5_000 and entitlement.state == E.ACTIVE
    (entry,) = audit_of(db, entitlement)
    assert (entry.action, entry.actor_id) == ("entitlement.grant", None)
    assert entry.details == {"order": order.number, "buyer_id": order.buyer_id,
                             "product_id": line.product_id, "plan": "one_time",
                             "quota": 5_000, "valid_to": str(entitlement.valid_to),
                             "application_id": None, "state": "active"}
    assert announced == [(entitlement.id, True)]
    assert verify_chain(db).ok


@pytest.mark.parametrize("model", ["one_time", "per_call"])
def test_a_call_pack_is_valid_for_a_year_from_the_grant(db, model):
    _, _, entitlement = grant_one(db, model, quota=1_000)
    assert entitlement.valid_to - entitlement.valid_from == timedelta(days=365)


@pytest.mark.parametrize(("model", "quota"), [
    ("one_time", None),  # a data package: no calls to count, no end
    ("one_time", 0),
    ("per_call", None),  # pay as you go: billed for its usage, no end
    ("membership", 50_000),  # a membership's end comes from its period, never a pack's year
    ("free", None),
    ("service_fee", None),
])
def test_other_grants_have_no_end_unless_given_one(db, model, quota):
    _, _, entitlement = grant_one(db, model, quota=quota)
    assert entitlement.valid_to is None and entitlement.quota == quota


def test_a_given_end_is_kept_even_for_a_call_pack(db):
    end = at(2027, 6, 1)
    _, _, pack = grant_one(db, "per_call", quota=1_000, valid_to=end)
    _, _, membership = grant_one(db, "membership", quota=50_000, valid_to=end)
    assert pack.valid_to == membership.valid_to == end


def test_granting_the_same_line_again_returns_the_first_grant(db, announced):
    order, line, first = grant_one(db, quota=10)
    listing = db.get(Listing, line.listing_id)

    again = entitlements.grant(db, order, line, listing, quota=99, valid_to=at(2030, 1, 1))
    db.commit()

    assert again.id == first.id and again.quota == 10 and again.valid_to == first.valid_to
    assert len(audit_of(db, first)) == 1 and announced == [(first.id, True)]
    assert db.exec(select(Entitlement)).all() == [first]


# -- state changes ---------------------------------------------------------------------------

# Written out by hand: a row is where an entitlement is, a column where it would go;
# "+" allowed, "=" already there (nothing happens), "." refused.
CHANGES = """
            active  suspended  revoked  expired
active      =       +          +        +
suspended   +       =          +        +
revoked     .       .          =        .
expired     .       .          .        =
"""


def _changes() -> list[tuple[E, E, str]]:
    header, *rows = CHANGES.strip().splitlines()
    targets = [E(name) for name in header.split()]
    table = []
    for row in rows:
        source, *marks = row.split()
        table += [(E(source), target, mark) for target, mark in zip(targets, marks, strict=True)]
    return table


def in_state(db, state: E) -> Entitlement:
    _, _, entitlement = grant_one(db)
    entitlement.state = state
    entitlement.state_reason = "before"
    entitlement.updated_at = at(2020, 1, 1)
    db.add(entitlement)
    db.commit()
    return entitlement


def test_every_state_change_follows_the_table(db, announced):
    admin = quick_user(db)
    assert len(_changes()) == 16
    for before, after, mark in _changes():
        entitlement = in_state(db, before)
        announced.clear()
        audited = len(audit_of(db, entitlement))

        if mark == ".":
            with pytest.raises(InvalidTransition) as caught:
                entitlements.change_state(db, entitlement, after, reason="r", actor_id=admin.id)
            assert str(caught.value) == (f"This entitlement is {entitlements.STATE_LABELS[before]}"
                                         " and cannot change any more.")
            db.rollback()
        else:
            changed = entitlements.change_state(db, entitlement, after, reason="because",
                                                actor_id=admin.id)
            db.commit()
            assert changed == (mark == "+"), (before, after)
        db.refresh(entitlement)
        entries = audit_of(db, entitlement)[audited:]
        if mark == "+":
            assert (entitlement.state, entitlement.state_reason) == (after, "because")
            assert entitlement.updated_at > at(2020, 1, 1)
            (entry,) = entries
            assert (entry.action, entry.actor_id) == (f"entitlement.{after.value}", admin.id)
            assert entry.details == {"from": before.value, "to": after.value,
                                     "reason": "because"}
            assert announced == [(entitlement.id, after == E.ACTIVE)]
        else:
            assert (entitlement.state, entitlement.state_reason) == (before, "before")
            assert entitlement.updated_at == at(2020, 1, 1)
            assert entries == [] and announced == []
    assert verify_chain(db).ok


def test_a_state_reason_is_kept_to_500_characters_and_audited_whole(db):
    entitlement = in_state(db, E.ACTIVE)
    reason = "suspicious enumeration " * 30

    entitlements.change_state(db, entitlement, E.SUSPENDED, reason=reason)
    db.commit()

    assert entitlement.state_reason == reason[:500]
    assert audit_of(db, entitlement)[-1].details["reason"] == reason
    assert audit_of(db, entitlement)[-1].actor_id is None


def test_every_state_has_a_label():
    assert {s: str(label) for s, label in entitlements.STATE_LABELS.items()} == {
        E.ACTIVE: "Active", E.SUSPENDED: "Suspended", E.REVOKED: "Revoked",
        E.EXPIRED: "Expired"}


# -- extensions ------------------------------------------------------------------------------


def membership(db, valid_to: datetime | None, state: E = E.ACTIVE) -> Entitlement:
    _, _, entitlement = grant_one(db, "membership", quota=50_000, valid_to=valid_to)
    entitlement.state, entitlement.updated_at = state, at(2020, 1, 1)
    db.add(entitlement)
    db.commit()
    return entitlement


def extensions(db, entitlement: Entitlement) -> list[AuditEntry]:
    return [e for e in audit_of(db, entitlement) if e.action == "entitlement.extend"]


def test_a_renewal_pushes_the_end_later_and_is_audited(db):
    entitlement = membership(db, at(2027, 1, 1))

    entitlements.extend(db, entitlement, at(2027, 2, 1))
    db.commit()

    assert entitlement.valid_to == at(2027, 2, 1) and entitlement.state == E.ACTIVE
    assert entitlement.updated_at > at(2020, 1, 1)
    (entry,) = extensions(db, entitlement)
    assert entry.actor_id is None
    assert entry.details == {"from": str(at(2027, 1, 1)), "to": str(at(2027, 2, 1))}


def test_an_entitlement_without_an_end_takes_the_renewals_end(db):
    entitlement = membership(db, None)
    entitlements.extend(db, entitlement, at(2027, 2, 1))
    db.commit()
    assert entitlement.valid_to == at(2027, 2, 1)
    assert extensions(db, entitlement)[0].details == {"from": None, "to": str(at(2027, 2, 1))}


@pytest.mark.parametrize("new_end", [at(2027, 1, 1), at(2026, 12, 31)])
def test_an_end_that_is_not_later_changes_nothing(db, new_end):
    entitlement = membership(db, at(2027, 1, 1))

    entitlements.extend(db, entitlement, new_end)
    db.commit()

    assert entitlement.valid_to == at(2027, 1, 1)
    assert entitlement.updated_at == at(2020, 1, 1)
    assert extensions(db, entitlement) == []


@pytest.mark.parametrize("new_end", [at(2027, 2, 1), at(2026, 12, 1)])
def test_a_payment_reactivates_a_suspended_membership(db, new_end):
    entitlement = membership(db, at(2027, 1, 1), E.SUSPENDED)

    entitlements.extend(db, entitlement, new_end)
    db.commit()

    assert (entitlement.state, entitlement.state_reason) == (E.ACTIVE, "payment received")


# -- reading, expiring, using ----------------------------------------------------------------


def test_entitlements_by_line_order_and_buyer(db):
    order, lines = quick_order(db, quick_line("one_time"), quick_line("membership"),
                               state="paid")
    listing = db.get(Listing, lines[0].listing_id)
    first = entitlements.grant(db, order, lines[0], listing, quota=None)
    second = entitlements.grant(db, order, lines[1], listing, quota=None)
    other_order, _ = quick_order(db)  # another buyer's
    _, _, elsewhere = grant_one(db)
    entitlements.change_state(db, second, E.SUSPENDED, reason="x")
    db.commit()

    assert entitlements.for_line(db, lines[1].id).id == second.id
    assert entitlements.for_line(db, 10_000) is None
    assert [e.id for e in entitlements.for_order(db, order.id)] == [first.id, second.id]
    assert entitlements.for_order(db, other_order.id) == []
    assert [e.id for e in entitlements.for_buyer(db, order.buyer_id)] == [second.id, first.id]
    assert [e.id for e in entitlements.for_buyer(db, order.buyer_id, "suspended")] == [second.id]
    assert [e.id for e in entitlements.for_buyer(db, order.buyer_id, E.ACTIVE)] == [first.id]
    assert entitlements.for_buyer(db, order.buyer_id, "") == entitlements.for_buyer(
        db, order.buyer_id)
    assert elsewhere.buyer_id != order.buyer_id


def test_expiry_ends_active_and_suspended_entitlements_whose_end_has_come(db):
    now = at(2027, 1, 1, 12)
    due = membership(db, now)  # ends exactly now
    suspended_due = membership(db, now - timedelta(days=3), E.SUSPENDED)
    not_yet = membership(db, now + timedelta(microseconds=1))
    revoked = membership(db, now - timedelta(days=3), E.REVOKED)
    endless = membership(db, None)

    assert entitlements.expire_due(db, now) == 2
    db.commit()

    for entitlement in (due, suspended_due, not_yet, revoked, endless):
        db.refresh(entitlement)
    assert (due.state, due.state_reason) == (E.EXPIRED, "validity ended")
    assert suspended_due.state == E.EXPIRED
    assert (not_yet.state, revoked.state, endless.state) == (E.ACTIVE, E.REVOKED, E.ACTIVE)
    assert entitlements.expire_due(db, now) == 0


def test_expiry_without_a_time_uses_the_present(db):
    past = membership(db, at(2001, 1, 1))
    future = membership(db, at(2999, 1, 1))
    assert entitlements.expire_due(db) == 1
    assert (past.state, future.state) == (E.EXPIRED, E.ACTIVE)


JAN_2027 = at(2027, 1, 1)


def usable(state=E.ACTIVE, valid_from=JAN_2027, valid_to=None, now=None):
    entitlement = Entitlement(buyer_id=1, product_id=1, listing_id=1, plan_id=1, order_id=1,
                              order_line_id=1, pricing_model="one_time", state=state,
                              valid_from=valid_from, valid_to=valid_to)
    return entitlements.is_usable(entitlement, now)


def test_usable_only_while_active_and_from_its_start_until_before_its_end():
    start, end = at(2027, 1, 1), at(2027, 2, 1)
    assert usable(valid_to=end, now=start)  # from the first moment
    assert usable(valid_to=end, now=end - timedelta(microseconds=1))
    assert not usable(valid_to=end, now=end)  # not at the end itself
    assert not usable(valid_to=end, now=start - timedelta(microseconds=1))
    assert usable(valid_to=None, now=at(2999, 1, 1))
    for state in (E.SUSPENDED, E.REVOKED, E.EXPIRED):
        assert not usable(state, valid_to=end, now=start)


def test_usable_without_a_time_uses_the_present():
    assert usable(valid_from=at(2001, 1, 1))
    assert not usable(valid_from=at(2999, 1, 1))
    assert not usable(valid_from=at(2001, 1, 1), valid_to=at(2002, 1, 1))
