"""Money received or returned, without the provider: charges that pay and fulfil an order once,
duplicates, failures and retries, free orders, memberships and their renewals, usage bills that
lift only their own suspension, refunds of one fen, of everything and of more than was left, and
the receipts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from marketplace.audit.models import AuditEntry
from marketplace.commerce.models import (
    AttemptKind,
    AttemptState,
    LedgerEntry,
    Order,
    OrderState,
    PaymentAttempt,
    PaymentEvent,
    PaymentEventKind,
)
from marketplace.commerce.orders import fulfilment
from marketplace.db import get_engine, new_session
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState
from marketplace.errors import ValidationFailed
from tests.commerce_factories import ledger_sums, quick_line, quick_order, receipts

S, E, K = OrderState, EntitlementState, PaymentEventKind


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def events(db, order) -> list[tuple[str, int, str, str]]:
    return [(e.kind, e.amount, e.provider_ref, e.detail)
            for e in fulfilment.events_for(db, order.id)]


def grants(db, order) -> list[Entitlement]:
    return entitlements.for_order(db, order.id)


def order_audit(db, order) -> list[str]:
    return [e.action for e in db.exec(select(AuditEntry).where(
        AuditEntry.subject_type == "order", AuditEntry.subject_id == order.number)
        .order_by(col(AuditEntry.seq)))]


def attempt(db, order, provider_ref, kind=AttemptKind.CHARGE, amount=0,
            state=AttemptState.PENDING) -> PaymentAttempt:
    row = PaymentAttempt(order_id=order.id, kind=kind, amount=amount, state=state,
                         key=f"{kind}:{provider_ref}", provider_ref=provider_ref)
    db.add(row)
    db.flush()
    return row


def paid(db, *lines, amount=None, ref="pi_1", **kwargs):
    order, made = quick_order(db, *lines)
    assert fulfilment.record_charge(db, order, amount=order.total if amount is None else amount,
                                    provider_ref=ref, **kwargs)
    db.commit()
    return order, made


# -- charges ---------------------------------------------------------------------------------


def test_a_charge_pays_fulfils_splits_and_receipts_the_order_once(db):
    order, (pack, data) = quick_order(db, quick_line("one_time", 300_00, quota=5_000),
                                      quick_line("one_time", 100_00))

    assert fulfilment.record_charge(db, order, amount=400_00, provider_ref="pi_1",
                                    detail="card 4242")
    db.commit()

    assert order.state == S.FULFILLED
    assert order.paid_at is not None and order.fulfilled_at is not None
    assert order_audit(db, order) == ["order.paid", "order.fulfilled"]
    assert events(db, order) == [(K.CHARGE_SUCCEEDED, 400_00, "pi_1", "card 4242")]
    assert fulfilment.paid_amount(db, order.id) == 400_00
    assert [(g.order_line_id, g.quota, g.state) for g in grants(db, order)] == [
        (pack.id, 5_000, E.ACTIVE), (data.id, None, E.ACTIVE)]
    assert ledger_sums(db, order.id) == {"merchant": 360_00, "platform": 40_00}
    (receipt,) = receipts(db, order.id)
    assert (receipt.number, receipt.amount, receipt.buyer_id, receipt.currency) == (
        f"R{order.number[2:]}-1", 400_00, order.buyer_id, "CNY")
    assert receipt.payment_event_id == fulfilment.event_for(db, "pi_1").id

    # The same payment reported again (the webhook after the checkout page) changes nothing.
    assert not fulfilment.record_charge(db, order, amount=400_00, provider_ref="pi_1")
    db.commit()
    assert len(events(db, order)) == 1 and len(receipts(db, order.id)) == 1
    assert len(grants(db, order)) == 2 and len(order_audit(db, order)) == 2
    assert ledger_sums(db, order.id) == {"merchant": 360_00, "platform": 40_00}


def test_a_charge_or_a_free_order_uses_the_lines_the_caller_read(db):
    order, (first, _) = quick_order(db, quick_line("one_time", 10_00),
                                    quick_line("one_time", 10_00))
    free, (only, _) = quick_order(db, quick_line("free"), quick_line("free"))

    fulfilment.record_charge(db, order, amount=20_00, provider_ref="pi_1", lines=[first])
    fulfilment.record_free(db, free, [only])

    assert [g.order_line_id for g in grants(db, order)] == [first.id]
    assert {e.order_line_id for e in db.exec(select(LedgerEntry))} == {first.id}
    assert [g.order_line_id for g in grants(db, free)] == [only.id]


def test_a_failed_order_paid_later_is_fulfilled(db):
    order, _ = quick_order(db, quick_line("one_time", 10_00), state=S.FAILED)
    assert fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_late")
    assert order.state == S.FULFILLED and len(grants(db, order)) == 1


def test_a_charge_of_nothing_fulfils_without_ledger_or_receipt(db):
    order, _ = paid(db, quick_line("membership", 0, billing_period="month"), amount=0)
    assert order.state == S.FULFILLED and len(grants(db, order)) == 1
    assert receipts(db, order.id) == []
    assert db.exec(select(LedgerEntry)).all() == []


def test_a_charge_finishes_its_own_pending_attempt_only(db):
    order, _ = quick_order(db, quick_line("one_time", 10_00))
    mine = attempt(db, order, "pi_mine")
    failed = attempt(db, order, "pi_failed", state=AttemptState.FAILED)
    other = attempt(db, order, "pi_other")

    fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_mine")
    fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_failed")

    assert (mine.state, failed.state, other.state) == (
        AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.PENDING)
    assert mine.finished_at is not None and failed.finished_at is None


@pytest.mark.parametrize("state", [S.PAID, S.FULFILLED, S.PARTLY_REFUNDED, S.REFUNDED,
                                   S.CANCELLED])
def test_a_charge_for_an_order_not_awaiting_payment_is_a_duplicate(db, state):
    order, _ = quick_order(db, quick_line("one_time", 10_00), state=state)

    assert fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_again")
    assert db.info["duplicate_charges"] == {order.id}
    assert not fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_again")
    db.commit()

    assert order.state == state
    assert events(db, order) == [(K.DUPLICATE_CHARGE, 10_00, "pi_again", f"order was {state}")]
    assert fulfilment.paid_amount(db, order.id) == 0  # not counted: it is returned
    assert grants(db, order) == [] and receipts(db, order.id) == []
    assert db.exec(select(LedgerEntry)).all() == []
    assert order_audit(db, order) == []


def test_a_duplicate_keeps_the_detail_it_was_given(db):
    order, _ = quick_order(db, quick_line("one_time", 10_00), state=S.FULFILLED)
    fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_x", detail="second tab")
    assert events(db, order)[0][3] == "second tab"


def test_duplicates_are_listed_until_refunded(db):
    order, _ = quick_order(db, quick_line("one_time", 10_00), state=S.FULFILLED)
    other, _ = quick_order(db, quick_line("one_time", 10_00), state=S.FULFILLED)
    fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_d1")
    fulfilment.record_charge(db, order, amount=10_00, provider_ref="pi_d2")
    fulfilment.record_charge(db, other, amount=10_00, provider_ref="pi_d3")

    assert fulfilment.record_duplicate_refund(db, order, charge_ref="pi_d1", amount=10_00,
                                              provider_ref="re_d1")
    assert not fulfilment.record_duplicate_refund(db, order, charge_ref="pi_d1", amount=10_00,
                                                  provider_ref="re_d1")

    assert [e.provider_ref for e in fulfilment.unrefunded_duplicates(db)] == ["pi_d2", "pi_d3"]
    assert [e.provider_ref for e in fulfilment.unrefunded_duplicates(db, order.id)] == ["pi_d2"]
    assert fulfilment.duplicate_charge(db, order.id, "pi_d2").amount == 10_00
    assert fulfilment.duplicate_charge(db, other.id, "pi_d2") is None  # another order's
    assert fulfilment.duplicate_charge(db, order.id, "re_d1") is None  # not a charge
    assert events(db, order)[-1] == (K.DUPLICATE_REFUNDED, 10_00, "re_d1", "pi_d1")
    assert fulfilment.refunded_amount(db, order.id) == 0
    assert fulfilment.event_for(db, "nothing") is None


def test_lock_reads_the_order_again(app, db):
    order, _ = quick_order(db)
    db.commit()
    with new_session(get_engine(app)) as other:
        row = other.get(Order, order.id)
        row.state = S.CANCELLED
        other.add(row)
        other.commit()

    assert fulfilment.lock(db, order) is order
    assert order.state == S.CANCELLED


# -- memberships and renewals ----------------------------------------------------------------


@pytest.mark.parametrize("period", ["month", "year"])
def test_a_membership_without_the_providers_end_runs_one_period_from_payment(db, period):
    order, _ = quick_order(db, quick_line("membership", 999_00, billing_period=period,
                                          quota=50_000))
    order.created_at = at(2020, 1, 31)  # long before the payment

    fulfilment.record_charge(db, order, amount=999_00, provider_ref="in_1")

    (grant,) = grants(db, order)
    assert grant.valid_to == entitlements.period_end(order.paid_at, period)
    assert grant.valid_to != entitlements.period_end(
        order.paid_at, "year" if period == "month" else "month")
    assert grant.quota == 50_000


def test_a_membership_ends_when_the_provider_says(db):
    order, _ = paid(db, quick_line("membership", 999_00, billing_period="month"),
                    period_end=at(2027, 3, 3))
    assert grants(db, order)[0].valid_to == at(2027, 3, 3)


def test_a_paid_order_fulfilled_later_counts_its_period_from_its_creation(db):
    order, _ = quick_order(db, quick_line("membership", 999_00, billing_period="year"),
                           state=S.PAID)
    order.created_at = at(2028, 2, 29, 8)

    fulfilment.fulfil(db, order)

    assert order.state == S.FULFILLED
    assert grants(db, order)[0].valid_to == at(2029, 2, 28, 8)


def renewal_of(db, original_line, **terms):
    order, (line,) = quick_order(db, quick_line(original_line.pricing_model, 999_00,
                                                renews_line_id=original_line.id, **terms))
    return order, line


def test_a_renewal_extends_the_membership_it_renews(db):
    first, (line,) = paid(db, quick_line("membership", 999_00, billing_period="month"),
                          period_end=at(2027, 1, 1))
    (membership,) = grants(db, first)
    entitlements.change_state(db, membership, E.SUSPENDED, reason="payment failed")
    renewal, _ = renewal_of(db, line, billing_period="month")

    fulfilment.record_charge(db, renewal, amount=999_00, provider_ref="in_2",
                             period_end=at(2027, 2, 1))
    db.commit()

    assert renewal.state == S.FULFILLED and grants(db, renewal) == []
    db.refresh(membership)
    assert (membership.valid_to, membership.state) == (at(2027, 2, 1), E.ACTIVE)
    assert ledger_sums(db, renewal.id) == {"merchant": 899_10, "platform": 99_90}
    assert [r.number for r in receipts(db, renewal.id)] == [f"R{renewal.number[2:]}-1"]


def test_a_renewal_without_a_membership_to_extend_grants_nothing(db):
    first, (line,) = paid(db, quick_line("one_time", 10_00))
    renewal, _ = renewal_of(db, line)
    gone, (missing,) = quick_order(db, quick_line(
        "membership", 999_00, billing_period="month", renews_line_id=10_000))

    fulfilment.record_charge(db, renewal, amount=999_00, provider_ref="pi_2")
    fulfilment.record_charge(db, gone, amount=999_00, provider_ref="in_3")

    assert grants(db, first)[0].valid_to is None  # a data package has no end to push
    assert db.exec(select(Entitlement)).all() == grants(db, first)
    assert gone.state == S.FULFILLED and missing.id


# -- usage bills -----------------------------------------------------------------------------


def usage_bill_for(db, line):
    order, (bill,) = quick_order(db, quick_line(line.pricing_model, 12_34,
                                                usage_of_line_id=line.id, calls=1_234))
    return order, bill


@pytest.mark.parametrize(("state", "reason", "after"), [
    (E.SUSPENDED, entitlements.UNPAID_USAGE, (E.ACTIVE, "usage bill paid")),
    (E.SUSPENDED, "payment failed", (E.SUSPENDED, "payment failed")),  # a renewal's
    (E.SUSPENDED, "suspicious enumeration", (E.SUSPENDED, "suspicious enumeration")),
    (E.ACTIVE, "", (E.ACTIVE, "")),
    (E.REVOKED, entitlements.UNPAID_USAGE, (E.REVOKED, entitlements.UNPAID_USAGE)),
])
def test_paying_a_usage_bill_lifts_only_the_suspension_the_unpaid_bill_caused(
        db, state, reason, after):
    first, (line,) = paid(db, quick_line("per_call", 0, postpaid=True))
    (metered,) = grants(db, first)
    metered.state, metered.state_reason = state, reason
    db.add(metered)
    bill, _ = usage_bill_for(db, line)

    assert fulfilment.record_charge(db, bill, amount=12_34, provider_ref="pi_usage")
    db.commit()

    db.refresh(metered)
    assert (metered.state, metered.state_reason) == after
    assert bill.state == S.FULFILLED and grants(db, bill) == []
    assert ledger_sums(db, bill.id) == {"merchant": 11_11, "platform": 1_23}


def test_a_usage_bill_for_a_line_without_entitlement_grants_nothing(db):
    order, (line,) = quick_order(db, quick_line("per_call", 0))
    bill, _ = usage_bill_for(db, line)
    fulfilment.record_charge(db, bill, amount=12_34, provider_ref="pi_usage")
    assert bill.state == S.FULFILLED and db.exec(select(Entitlement)).all() == []


# -- free orders, failures, retries ----------------------------------------------------------


def test_a_free_order_is_paid_and_fulfilled_without_payment(db):
    order, _ = quick_order(db, quick_line("free", 0))

    fulfilment.record_free(db, order)
    fulfilment.record_free(db, order)  # again: already fulfilled, nothing more
    db.commit()

    assert order.state == S.FULFILLED and len(grants(db, order)) == 1
    assert order_audit(db, order) == ["order.paid", "order.fulfilled"]
    (paid_entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "order.paid"))
    assert paid_entry.details == {"from": "pending_payment", "to": "paid", "reason": "",
                                  "amount": 0, "ref": "free"}
    assert fulfilment.events_for(db, order.id) == []


def test_an_order_that_costs_something_is_not_free(db):
    order, _ = quick_order(db, quick_line("one_time", 1))
    with pytest.raises(ValidationFailed) as caught:
        fulfilment.record_free(db, order)
    assert caught.value.field_errors == {"order": ["This order must be paid."]}
    assert order.state == S.PENDING_PAYMENT


def test_failures_are_each_recorded_and_the_order_waits_for_another_attempt(db):
    order, _ = quick_order(db, quick_line("one_time", 10_00))
    claim = attempt(db, order, "pi_1")

    fulfilment.record_failure(db, order, provider_ref="pi_1", reason="card declined")
    fulfilment.record_failure(db, order, provider_ref="pi_1", reason="insufficient funds")
    db.commit()

    assert (order.state, order.failure_reason) == (S.FAILED, "card declined")
    assert events(db, order) == [(K.CHARGE_FAILED, 0, "pi_1:failed:1", "card declined"),
                                 (K.CHARGE_FAILED, 0, "pi_1:failed:2", "insufficient funds")]
    assert (claim.state, claim.reason) == (AttemptState.FAILED, "card declined")
    assert claim.finished_at is not None
    assert order_audit(db, order) == ["order.failed"]

    fulfilment.retry(db, order)
    assert order.state == S.PENDING_PAYMENT
    (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "order.pending_payment"))
    assert (entry.actor_id, entry.details["reason"]) == (order.buyer_id, "payment retried")


def test_failures_are_counted_per_order(db):
    first, _ = quick_order(db, quick_line("one_time", 10_00))
    second, _ = quick_order(db, quick_line("one_time", 10_00))
    fulfilment.record_failure(db, first, provider_ref="pi_a", reason="declined")
    fulfilment.record_failure(db, second, provider_ref="pi_b", reason="r" * 600)

    (event,) = fulfilment.events_for(db, second.id)
    assert (event.provider_ref, event.detail) == ("pi_b:failed:1", "r" * 500)
    assert second.failure_reason == "r" * 500


def test_a_failure_reported_for_a_paid_order_leaves_it_paid(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    fulfilment.record_failure(db, order, provider_ref="pi_old", reason="late decline")
    fulfilment.retry(db, order)  # only a failed order is retried
    assert order.state == S.FULFILLED
    assert events(db, order)[-1] == (K.CHARGE_FAILED, 0, "pi_old:failed:1", "late decline")


# -- refunds ---------------------------------------------------------------------------------


def test_what_is_refundable_leaves_out_refunds_and_pending_claims(db):
    order, _ = paid(db, quick_line("one_time", 1_00))
    fulfilment.record_refund(db, order, amount=30, provider_ref="re_1")
    attempt(db, order, "re_pending", AttemptKind.REFUND, amount=20)
    attempt(db, order, "re_done", AttemptKind.REFUND, amount=5, state=AttemptState.SUCCEEDED)

    assert fulfilment.refundable(db, order) == 50
    fulfilment.check_refund(db, order, 1)
    fulfilment.check_refund(db, order, 50)
    for amount, message in [(0, "A refund is a positive amount."),
                            (-1, "A refund is a positive amount."),
                            (51, "At most 0.50 CNY can still be refunded on this order.")]:
        with pytest.raises(ValidationFailed) as caught:
            fulfilment.check_refund(db, order, amount)
        assert caught.value.field_errors == {"amount": [message]}
    larger, _ = quick_order(db, quick_line("one_time", 1_234_56))
    fulfilment.record_charge(db, larger, amount=1_234_56, provider_ref="pi_larger")
    with pytest.raises(ValidationFailed) as caught:
        fulfilment.check_refund(db, larger, 1_234_57)
    assert caught.value.field_errors == {"amount": [
        "At most 1234.56 CNY can still be refunded on this order."]}


@pytest.mark.parametrize("amount", [0, -1])
def test_a_refund_of_nothing_books_nothing(db, amount):
    order, _ = paid(db, quick_line("one_time", 10_00))

    assert fulfilment.record_refund(db, order, amount=amount, provider_ref="re_0") is None
    db.commit()

    assert order.state == S.FULFILLED
    assert fulfilment.event_for(db, "re_0") is None
    assert ledger_sums(db, order.id) == {"merchant": 9_00, "platform": 1_00}


def test_one_fen_refunded_partly_refunds_and_keeps_the_entitlements(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    admin_id = order.buyer_id  # any user; the audit names who refunded

    booked = fulfilment.record_refund(db, order, amount=1, provider_ref="re_1", actor_id=admin_id,
                                      reason="goodwill")
    db.commit()

    assert booked == fulfilment.BookedRefund(booked=1, excess=0)
    assert order.state == S.PARTLY_REFUNDED
    assert events(db, order)[-1] == (K.REFUND_SUCCEEDED, 1, "re_1", "goodwill")
    assert [g.state for g in grants(db, order)] == [E.ACTIVE]
    (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "order.partly_refunded"))
    assert entry.actor_id == admin_id
    assert entry.details == {"from": "fulfilled", "to": "partly_refunded", "reason": "goodwill",
                             "amount": 1, "ref": "re_1"}
    assert fulfilment.record_refund(db, order, amount=1, provider_ref="re_1") is None


def test_the_last_fen_refunded_revokes_active_and_suspended_entitlements(db):
    order, _ = paid(db, *(quick_line("one_time", 5_00) for _ in range(3)))
    active, suspended, expired = grants(db, order)
    entitlements.change_state(db, suspended, E.SUSPENDED, reason="admin hold")
    entitlements.change_state(db, expired, E.EXPIRED, reason="validity ended")
    fulfilment.record_refund(db, order, amount=15_00 - 1, provider_ref="re_most")

    booked = fulfilment.record_refund(db, order, amount=1, provider_ref="re_last", actor_id=None)
    db.commit()

    assert booked == fulfilment.BookedRefund(booked=1, excess=0)
    assert order.state == S.REFUNDED
    for grant in (active, suspended, expired):
        db.refresh(grant)
    assert [(g.state, g.state_reason) for g in (active, suspended, expired)] == [
        (E.REVOKED, "order refunded"), (E.REVOKED, "order refunded"),
        (E.EXPIRED, "validity ended")]
    assert ledger_sums(db, order.id) == {"merchant": 0, "platform": 0}
    assert fulfilment.refundable(db, order) == 0
    assert fulfilment.record_refund(db, order, amount=1, provider_ref="re_more") is None


def test_a_refund_beyond_what_is_left_books_what_was_left_and_reports_the_excess(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    fulfilment.record_refund(db, order, amount=4_00, provider_ref="re_1")
    # A refund claimed here reserves its amount, but it is the one now being booked.
    attempt(db, order, "re_2", AttemptKind.REFUND, amount=6_00)

    booked = fulfilment.record_refund(db, order, amount=7_00, provider_ref="re_2")

    assert booked == fulfilment.BookedRefund(booked=6_00, excess=1_00)
    assert order.state == S.REFUNDED
    assert fulfilment.refunded_amount(db, order.id) == 10_00


def test_a_full_refund_in_one_go(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    assert fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_all") == \
        fulfilment.BookedRefund(booked=10_00, excess=0)
    assert order.state == S.REFUNDED and grants(db, order)[0].state == E.REVOKED


# -- receipts --------------------------------------------------------------------------------


def test_receipts_are_numbered_per_order(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    later = PaymentEvent(order_id=order.id, kind=K.CHARGE_SUCCEEDED, amount=5_00,
                         provider_ref="in_2")
    db.add(later)
    db.flush()
    second = fulfilment.issue_receipt(db, order, later)

    numbers = [r.number for r in fulfilment.receipts_for(db, order.id)]
    assert numbers == [f"R{order.number[2:]}-1", f"R{order.number[2:]}-2"]
    assert (second.number, second.amount, second.payment_event_id) == (numbers[1], 5_00,
                                                                       later.id)
    assert fulfilment.receipts_for(db, order.id + 1) == []


def test_a_refund_given_no_reason_records_none(db):
    order, _ = paid(db, quick_line("one_time", 10_00))

    fulfilment.record_refund(db, order, amount=2_00, provider_ref="re_quiet")
    db.commit()

    assert events(db, order)[-1] == (K.REFUND_SUCCEEDED, 2_00, "re_quiet", "")
    (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "order.partly_refunded"))
    assert entry.details["reason"] == ""


def test_the_paid_move_is_audited_with_its_amount_and_payment(db):
    order, _ = paid(db, quick_line("one_time", 400_00), ref="pi_audited")

    (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "order.paid",
                                                AuditEntry.subject_id == order.number))
    assert (entry.details["amount"], entry.details["ref"]) == (400_00, "pi_audited")


def test_a_one_fen_payment_gets_its_receipt(db):
    order, _ = paid(db, quick_line("one_time", 1))

    (receipt,) = receipts(db, order.id)
    assert receipt.amount == 1


def test_a_payment_recorded_for_another_order_pays_nothing_here(db):
    paid(db, quick_line("one_time", 10_00), ref="pi_shared")
    other, _ = quick_order(db, quick_line("one_time", 10_00))

    assert not fulfilment.record_charge(db, other, amount=10_00, provider_ref="pi_shared")
    db.commit()
    assert other.state == S.PENDING_PAYMENT
    assert fulfilment.paid_amount(db, other.id) == 0 and receipts(db, other.id) == []


def test_a_full_refund_audits_the_revocations_under_whoever_refunded(db):
    order, _ = paid(db, quick_line("one_time", 10_00))
    admin_id = order.buyer_id  # any user; the audit names who refunded

    fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_all", actor_id=admin_id)
    db.commit()

    (revoked,) = db.exec(select(AuditEntry).where(AuditEntry.action == "entitlement.revoked"))
    assert revoked.actor_id == admin_id
