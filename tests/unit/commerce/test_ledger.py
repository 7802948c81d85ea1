"""The merchants' ledger: exact splits, commission rounding, refunds at the sale's rate, rates set
by the admin, payouts, statements and their CSV."""

from __future__ import annotations

import csv
import io
import random
import secrets
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from marketplace import settings as settings_module
from marketplace.accounts.models import MerchantOrganization
from marketplace.audit.models import AuditEntry
from marketplace.commerce import ledger
from marketplace.commerce.models import CommissionRate, LedgerEntry, LedgerKind, Payout
from marketplace.commerce.orders import cart, fulfilment
from marketplace.errors import ValidationFailed
from tests.commerce_factories import (
    buy,
    ledger_entries,
    ledger_sums,
    make_plan,
    make_shop,
    published_listing_with,
    quick_line,
    quick_order,
    quick_user,
)
from tests.factories import make_merchant, make_organization

# -- allocate and commission (no database) -------------------------------------------------


@pytest.mark.parametrize(("amount", "weights", "shares"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (10, [3, 3, 4], [3, 3, 4]),
    (1, [1, 1], [1, 0]),
    (0, [5, 7], [0, 0]),
    (999, [0, 1], [0, 999]),
    (7, [0, 0], [7, 0]),  # nothing to weigh by: the first line takes it all
    (5, [], []),
])
def test_allocate_splits_in_proportion_with_whole_units(amount, weights, shares):
    assert ledger.allocate(amount, weights) == shares


def test_allocate_always_sums_exactly_and_stays_within_one_unit_of_the_proportion():
    rng = random.Random(5)
    for _ in range(2_000):
        weights = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 6))]
        amount = rng.randint(0, 1_000_000)
        shares = ledger.allocate(amount, weights)
        assert sum(shares) == amount
        total = sum(weights)
        if total:
            for share, weight in zip(shares, weights, strict=True):
                assert abs(share - amount * weight / total) < 1


@pytest.mark.parametrize(("amount", "rate_bp", "cut"), [
    (4, 1_000, 0),  # 0.4 fen rounds down
    (5, 1_000, 1),  # 0.5 fen rounds up, not to even
    (15, 1_000, 2),  # 1.5 -> 2
    (25, 1_000, 3),  # 2.5 -> 3 (banker's rounding would give 2)
    (99_00, 1_000, 9_90),
    (12_345, 1_250, 1_543),  # 1,543.125
    (12_347, 1_250, 1_543),  # 1,543.375
    (12_348, 1_250, 1_544),  # 1,543.5
    (10_000, 0, 0),
    (10_000, 10_000, 10_000),
])
def test_commission_rounds_half_up_to_the_fen(amount, rate_bp, cut):
    assert ledger.commission(amount, rate_bp) == cut


# -- splitting payments and refunds (database) ---------------------------------------------


@pytest.fixture
def shop(db):
    return make_shop(db)


def paid(db, order, amount=None, ref=None):
    fulfilment.record_charge(db, order, amount=order.total if amount is None else amount,
                             provider_ref=ref or f"pi_{secrets.token_hex(6)}")
    db.commit()


def test_a_payment_is_split_per_line_and_per_merchant_and_sums_exactly(db, shop):
    other_merchant, other_org = make_merchant(db)
    _, (first,) = published_listing_with(db, shop, make_plan("one_time", price=333_33))
    other_shop = type(shop)(other_merchant, other_org, shop.admin, shop.buyer)
    _, (second,) = published_listing_with(db, other_shop, make_plan("one_time", price=666_67))
    cart.add(db, shop.buyer, first.id)
    cart.add(db, shop.buyer, second.id)
    order = cart.checkout(db, shop.buyer, attempt="two-merchants")
    db.commit()
    assert order.total == 1_000_00

    paid(db, order)

    entries = ledger_entries(db, order.id)
    assert sum(e.amount for e in entries) == 1_000_00
    by_org = {org: sum(e.amount for e in entries if e.organization_id == org and
                       e.account == "merchant") for org in (shop.org.id, other_org.id)}
    assert by_org == {shop.org.id: 333_33 - ledger.commission(333_33, 1_000),
                      other_org.id: 666_67 - ledger.commission(666_67, 1_000)}

    # A partial refund is spread over the lines by largest remainder, and still sums exactly.
    fulfilment.record_refund(db, order, amount=1_00, provider_ref="re_partial")
    db.commit()
    refund_entries = [e for e in ledger_entries(db, order.id) if e.source_ref == "re_partial"]
    assert sum(e.amount for e in refund_entries) == -1_00
    assert sum(ledger_sums(db, order.id).values()) == 999_00


def test_a_refund_is_split_with_the_rate_of_its_sale_after_the_rate_changed(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=500_00))
    order = buy(db, shop.buyer, plan)
    paid(db, order)  # at the default 10 %
    ledger.set_rate(db, shop.admin, 2_500, shop.org)  # the merchant now pays 25 %
    db.commit()

    fulfilment.record_refund(db, order, amount=500_00, provider_ref="re_all")
    db.commit()

    reversal = {e.kind: e for e in ledger_entries(db, order.id) if e.source_ref == "re_all"}
    assert reversal[LedgerKind.COMMISSION_REVERSAL].amount == -50_00
    assert reversal[LedgerKind.REFUND].amount == -450_00
    assert {e.rate_bp for e in reversal.values()} == {1_000}
    assert ledger_sums(db, order.id) == {"merchant": 0, "platform": 0}
    # A new sale pays the new rate.
    later = buy(db, shop.buyer, plan)
    paid(db, later)
    assert ledger_sums(db, later.id) == {"merchant": 375_00, "platform": 125_00}


def test_the_same_payment_or_refund_recorded_twice_adds_nothing(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00))
    order = buy(db, shop.buyer, plan)
    paid(db, order, ref="pi_once")
    paid(db, order, ref="pi_once")
    assert len(ledger_entries(db, order.id)) == 2
    assert fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_once")
    assert not fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_once")
    db.commit()
    assert len(ledger_entries(db, order.id)) == 4
    assert fulfilment.refunded_amount(db, order.id) == 10_00


def test_rates_default_override_and_clear(app, db, shop):
    assert ledger.rate_for(db, shop.org.id) == app.config["COMMERCE_COMMISSION_BP"] == 1_000
    ledger.set_rate(db, shop.admin, 800)
    assert ledger.default_rate(db) == 800 and ledger.rate_for(db, shop.org.id) == 800
    ledger.set_rate(db, shop.admin, 300, shop.org)
    assert ledger.rate_for(db, shop.org.id) == 300 and ledger.default_rate(db) == 800
    ledger.clear_override(db, shop.admin, shop.org)
    assert ledger.rate_for(db, shop.org.id) == 800
    with pytest.raises(ValidationFailed):
        ledger.set_rate(db, shop.admin, 10_001)


def test_payouts_reduce_the_balance_and_never_exceed_it(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00))
    paid(db, buy(db, shop.buyer, plan))
    assert ledger.balance(db, shop.org.id) == 90_00
    assert ledger.commission_for(db, shop.org.id) == 10_00

    with pytest.raises(ValidationFailed) as caught:
        ledger.record_payout(db, shop.admin, shop.org, amount=90_01, reference="")
    assert set(caught.value.field_errors) == {"amount", "reference"}
    ledger.record_payout(db, shop.admin, shop.org, amount=60_00, reference="BANK-1")
    db.commit()

    assert ledger.balance(db, shop.org.id) == 30_00
    lines = ledger.statement(db, shop.org.id)
    assert [(line.entry.kind, line.running_balance) for line in lines] == [
        (LedgerKind.SALE, 90_00), (LedgerKind.PAYOUT, 30_00)]


def test_the_statement_csv_neutralises_formulas(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00),
                                        title="=HYPERLINK(\"http://evil\")")
    paid(db, buy(db, shop.buyer, plan))

    text = ledger.statement_csv(ledger.statement(db, shop.org.id))

    assert text.startswith("\ufeffdate,kind,order,product,amount")
    assert "'=HYPERLINK" in text and ",90.00," in text


# -- boundaries and remainders, written out by hand -------------------------------------------


@pytest.mark.parametrize(("amount", "weights", "shares"), [
    (1, [1, 1, 1], [1, 0, 0]),  # one fen goes to the first of equal lines
    (2, [1, 1, 1], [1, 1, 0]),
    (5, [1, 2], [2, 3]),  # 1.67 and 3.33: the larger remainder (2/3) gets the extra fen
    (10, [1, 2], [3, 7]),  # 3.33 and 6.67
    (7, [1, 1, 1, 1], [2, 2, 2, 1]),
    (1, [0, 5], [0, 1]),
    (3, [2, 1], [2, 1]),
    (0, [], []),
])
def test_allocate_hands_out_remainders_by_largest_remainder_then_line_order(
        amount, weights, shares):
    assert ledger.allocate(amount, weights) == shares


@pytest.mark.parametrize(("amount", "rate_bp", "cut"), [
    (0, 1_000, 0),
    (1, 1_000, 0),  # 0.1 fen
    (1, 4_999, 0),  # 0.4999
    (1, 5_000, 1),  # 0.5 rounds up
    (1, 10_000, 1),
    (1, 0, 0),
    (2, 2_500, 1),  # 0.5
    (3, 1, 0),
])
def test_commission_of_the_smallest_amounts(amount, rate_bp, cut):
    assert ledger.commission(amount, rate_bp) == cut


@pytest.mark.parametrize(("rate_bp", "accepted"), [
    (-1, False), (0, True), (1, True), (10_000, True), (10_001, False)])
def test_a_rate_is_between_0_and_100_percent(db, rate_bp, accepted):
    admin = quick_user(db)
    if accepted:
        ledger.set_rate(db, admin, rate_bp)
        assert ledger.default_rate(db) == rate_bp
        return
    with pytest.raises(ValidationFailed) as caught:
        ledger.set_rate(db, admin, rate_bp)
    assert caught.value.field_errors == {"rate": ["The commission is between 0 and 100 %."]}
    assert db.exec(select(CommissionRate)).all() == []


def commission_audit(db) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(
        col(AuditEntry.action).startswith("commission.")).order_by(col(AuditEntry.seq))))


def test_setting_rates_updates_one_row_each_and_is_audited(app, db):
    admin = quick_user(db)
    org, other = make_organization(db), make_organization(db)
    # The platform's setting when no admin has set a rate (read once, at app creation).
    app.extensions[settings_module.EXTENSION_KEY] = replace(settings_module.settings(app),
                                                            commission_bp=1_234)
    assert ledger.default_rate(db) == 1_234 and ledger.rate_for(db, org.id) == 1_234

    ledger.set_rate(db, admin, 800)
    ledger.set_rate(db, admin, 700)
    ledger.set_rate(db, admin, 300, org)
    ledger.set_rate(db, admin, 200, org)
    db.commit()

    assert (ledger.default_rate(db), ledger.rate_for(db, org.id),
            ledger.rate_for(db, other.id)) == (700, 200, 700)
    rows = db.exec(select(CommissionRate).order_by(col(CommissionRate.id))).all()
    assert [(r.organization_id, r.rate_bp, r.updated_by) for r in rows] == [
        (None, 700, admin.id), (org.id, 200, admin.id)]
    assert [(e.action, e.actor_id, e.subject_type, e.subject_id, e.details)
            for e in commission_audit(db)] == [
        ("commission.set", admin.id, "platform", "default", {"from": None, "to": 800}),
        ("commission.set", admin.id, "platform", "default", {"from": 800, "to": 700}),
        ("commission.set", admin.id, "organization", str(org.id), {"from": None, "to": 300}),
        ("commission.set", admin.id, "organization", str(org.id), {"from": 300, "to": 200}),
    ]

    ledger.clear_override(db, admin, org)
    ledger.clear_override(db, admin, other)  # none to clear: nothing happens
    db.commit()
    assert ledger.rate_for(db, org.id) == 700
    (cleared,) = [e for e in commission_audit(db) if e.action == "commission.clear"]
    assert (cleared.actor_id, cleared.subject_type, cleared.subject_id, cleared.details) == (
        admin.id, "organization", str(org.id), {"was": 200})


# -- splits at the edges ---------------------------------------------------------------------


def entry_rows(db, order) -> list[tuple]:
    return [(e.order_line_id, e.account, e.kind, e.amount, e.rate_bp)
            for e in ledger_entries(db, order.id)]


def test_one_fen_paid_over_two_lines_goes_to_the_first_and_keeps_no_commission(db):
    order, (first, second) = quick_order(db, quick_line("one_time", 100),
                                         quick_line("one_time", 100))

    ledger.split_payment(db, order, [first, second], 1, "pi_one_fen")

    assert entry_rows(db, order) == [(first.id, "merchant", "sale", 1, 1_000),
                                     (first.id, "platform", "commission", 0, 1_000)]


def test_a_payment_split_keeps_every_remainder_and_each_lines_own_rate(db):
    admin = quick_user(db)
    org = make_organization(db)
    ledger.set_rate(db, admin, 5_000, org)
    order, lines = quick_order(db, *(quick_line("one_time", 1, organization=org)
                                     for _ in range(3)))
    other_order, (other_line,) = quick_order(db, quick_line("one_time", 3))

    ledger.split_payment(db, order, lines, 10, "pi_ten")
    ledger.split_payment(db, other_order, [other_line], 3, "pi_three")
    db.commit()

    # 10 fen over three equal lines: 4, 3, 3; half of each to the platform, rounded half up.
    assert entry_rows(db, order) == [
        (lines[0].id, "merchant", "sale", 2, 5_000), (lines[0].id, "platform", "commission", 2,
                                                      5_000),
        (lines[1].id, "merchant", "sale", 1, 5_000), (lines[1].id, "platform", "commission", 2,
                                                      5_000),
        (lines[2].id, "merchant", "sale", 1, 5_000), (lines[2].id, "platform", "commission", 2,
                                                      5_000)]
    assert entry_rows(db, other_order) == [(other_line.id, "merchant", "sale", 3, 1_000),
                                           (other_line.id, "platform", "commission", 0, 1_000)]
    entry = ledger_entries(db, order.id)[0]
    assert (entry.organization_id, entry.currency, entry.order_id, entry.source_ref) == (
        org.id, "CNY", order.id, "pi_ten")


def test_a_zero_payment_records_nothing_and_a_second_payment_is_split_again(db):
    order, lines = quick_order(db, quick_line("membership", 999_00))

    ledger.split_payment(db, order, lines, 0, "in_free_trial")
    assert ledger_entries(db, order.id) == []
    ledger.split_payment(db, order, lines, 999_00, "in_first")
    ledger.split_payment(db, order, lines, 999_00, "in_first")  # reported again
    ledger.split_payment(db, order, lines, 999_00, "in_renewal")
    db.commit()

    assert [(e.source_ref, e.amount) for e in ledger_entries(db, order.id)] == [
        ("in_first", 899_10), ("in_first", 99_90), ("in_renewal", 899_10), ("in_renewal", 99_90)]


def test_one_fen_refunded_is_taken_from_the_first_line(db):
    order, lines = quick_order(db, quick_line("one_time", 50), quick_line("one_time", 50))
    ledger.split_payment(db, order, lines, 100, "pi_1")

    ledger.reverse_refund(db, order, lines, 1, "re_1")
    ledger.reverse_refund(db, order, lines, 1, "re_1")  # reported again

    refund = [row for row, e in zip(entry_rows(db, order), ledger_entries(db, order.id),
                                    strict=True) if e.source_ref == "re_1"]
    assert refund == [(lines[0].id, "merchant", "refund", -1, 1_000),
                      (lines[0].id, "platform", "commission_reversal", 0, 1_000)]


def test_a_refund_without_a_recorded_sale_rate_uses_the_merchants_rate_now(db):
    admin = quick_user(db)
    order, (line,) = quick_order(db, quick_line("one_time", 100_00))
    db.add(LedgerEntry(organization_id=line.organization_id, kind=LedgerKind.SALE,
                       amount=90_00, order_id=order.id, order_line_id=line.id,
                       source_ref="pi_legacy", rate_bp=None))
    ledger.set_rate(db, admin, 2_000, db.get(MerchantOrganization, line.organization_id))
    unsold, (unsold_line,) = quick_order(db, quick_line("one_time", 100_00))

    ledger.reverse_refund(db, order, [line], 100_00, "re_legacy")
    ledger.reverse_refund(db, unsold, [unsold_line], 10_00, "re_unsold")
    db.commit()

    assert entry_rows(db, order)[1:] == [(line.id, "merchant", "refund", -80_00, 2_000),
                                         (line.id, "platform", "commission_reversal", -20_00,
                                          2_000)]
    assert entry_rows(db, unsold) == [(unsold_line.id, "merchant", "refund", -9_00, 1_000),
                                      (unsold_line.id, "platform", "commission_reversal", -1_00,
                                       1_000)]


# -- balances, payouts, statements (entries written directly) --------------------------------


def put(db, org, amount, *, kind=LedgerKind.SALE, account="merchant", when=None,
        order=None, line=None, rate_bp=1_000):
    entry = LedgerEntry(organization_id=org.id, account=account, kind=kind, amount=amount,
                        order_id=order.id if order else None,
                        order_line_id=line.id if line else None,
                        source_ref=f"ref-{secrets.token_hex(6)}", rate_bp=rate_bp,
                        created_at=when or at(2026, 5, 1))
    db.add(entry)
    db.flush()
    return entry


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_a_balance_is_the_merchants_own_merchant_entries(db):
    org, other = make_organization(db), make_organization(db)
    put(db, org, 90_00)
    put(db, org, 10_00, kind=LedgerKind.COMMISSION, account="platform")
    put(db, org, -9_00, kind=LedgerKind.REFUND)
    put(db, org, -1_00, kind=LedgerKind.COMMISSION_REVERSAL, account="platform")
    put(db, other, 500_00)
    put(db, org, -30_00, kind=LedgerKind.PAYOUT, rate_bp=None)

    assert ledger.balance(db, org.id) == 51_00
    assert ledger.commission_for(db, org.id) == 9_00
    assert ledger.balance(db, make_organization(db).id) == 0
    assert ledger.commission_for(db, other.id) == 0


def payout_errors(db, org, amount, reference="BANK-1"):
    with pytest.raises(ValidationFailed) as caught:
        ledger.record_payout(db, quick_user(db), org, amount=amount, reference=reference)
    return caught.value.field_errors


def test_a_payout_is_a_positive_amount_within_the_balance_with_a_reference(db):
    org = make_organization(db)
    put(db, org, 90_00)

    assert payout_errors(db, org, 0) == {"amount": ["A payout is a positive amount."]}
    assert payout_errors(db, org, -1) == {"amount": ["A payout is a positive amount."]}
    assert payout_errors(db, org, 90_01) == {"amount": ["The merchant's balance is only 90.00."]}
    assert payout_errors(db, org, 1, reference=" \t") == {
        "reference": ["Give the bank transfer's reference."]}
    assert payout_errors(db, org, 0, reference="") == {
        "amount": ["A payout is a positive amount."],
        "reference": ["Give the bank transfer's reference."]}
    assert db.exec(select(Payout)).all() == []
    assert ledger.balance(db, org.id) == 90_00


def test_payouts_of_one_fen_and_of_the_whole_balance_are_recorded_and_audited(db):
    org = make_organization(db)
    admin = quick_user(db)
    put(db, org, 90_00)

    first = ledger.record_payout(db, admin, org, amount=1, reference="  BANK-1  ",
                                 note="  first  ")
    whole = ledger.record_payout(db, admin, org, amount=89_99, reference="R" * 120,
                                 note="n" * 1_200)
    db.commit()

    assert ledger.balance(db, org.id) == 0
    assert (first.organization_id, first.amount, first.reference, first.note,
            first.recorded_by) == (org.id, 1, "BANK-1", "first", admin.id)
    assert (whole.reference, whole.note) == ("R" * 100, "n" * 1_000)
    entries = db.exec(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.PAYOUT)
                      .order_by(col(LedgerEntry.id))).all()
    assert [(e.organization_id, e.account, e.amount, e.payout_id, e.source_ref)
            for e in entries] == [(org.id, "merchant", -1, first.id, f"payout:{first.id}"),
                                  (org.id, "merchant", -89_99, whole.id, f"payout:{whole.id}")]
    audits = db.exec(select(AuditEntry).where(AuditEntry.action == "payout.record")
                     .order_by(col(AuditEntry.seq))).all()
    assert [(a.actor_id, a.subject_type, a.subject_id, a.details) for a in audits] == [
        (admin.id, "organization", str(org.id), {"amount": 1, "reference": "BANK-1"}),
        (admin.id, "organization", str(org.id), {"amount": 89_99, "reference": "R" * 100})]
    assert payout_errors(db, org, 1) == {"amount": ["The merchant's balance is only 0.00."]}
    put(db, org, 12_34)
    assert payout_errors(db, org, 12_35) == {
        "amount": ["The merchant's balance is only 12.34."]}
    assert ledger.record_payout(db, admin, org, amount=5_00, reference="BANK-3").note == ""


def test_a_statement_shows_one_merchants_period_with_its_opening_balance(db):
    org, other = make_organization(db), make_organization(db)
    order, (line,) = quick_order(db, quick_line("one_time", 100_00, organization=org))
    start, end = at(2026, 5, 1), at(2026, 6, 1)
    put(db, org, 40_00, when=at(2026, 4, 30, 23, 59))  # before: in the opening balance
    put(db, org, 4_44, kind=LedgerKind.COMMISSION, account="platform", when=at(2026, 4, 2))
    put(db, other, 7_77, when=at(2026, 4, 3))  # another merchant's, before
    sale = put(db, org, 90_00, when=start, order=order, line=line)  # the first moment
    put(db, other, 5_55, when=at(2026, 5, 2))  # another merchant's, within
    put(db, org, 10_00, kind=LedgerKind.COMMISSION, account="platform", when=at(2026, 5, 2))
    payout = put(db, org, -50_00, kind=LedgerKind.PAYOUT, when=at(2026, 5, 31, 23, 59),
                 rate_bp=None)
    put(db, org, 1_00, when=end)  # the next period's

    lines = ledger.statement(db, org.id, start=start, end=end)

    assert [(s.entry.id, s.order_number, s.title, s.running_balance) for s in lines] == [
        (sale.id, order.number, "Quick product", 130_00), (payout.id, None, None, 80_00)]
    everything = ledger.statement(db, org.id)
    assert [s.running_balance for s in everything] == [40_00, 130_00, 80_00, 81_00]
    assert [s.running_balance for s in ledger.statement(db, org.id, start=end)] == [81_00]
    assert [s.running_balance for s in ledger.statement(db, org.id, end=start)] == [40_00]
    # A first period opens at zero.
    newcomer = make_organization(db)
    put(db, newcomer, 3_00, when=at(2026, 5, 9))
    assert [s.running_balance for s in ledger.statement(db, newcomer.id, start=start)] == [3_00]


def test_the_statement_csv_writes_every_column(db):
    sale = LedgerEntry(organization_id=1, kind="sale", amount=90_00, currency="CNY",
                       source_ref="a", rate_bp=1_250, created_at=at(2026, 5, 1, 9, 5))
    refund = LedgerEntry(organization_id=1, kind="refund", amount=-5, currency="CNY",
                         source_ref="b", rate_bp=1_000, created_at=at(2026, 5, 2, 10, 0))
    payout = LedgerEntry(organization_id=1, kind="payout", amount=-89_95, currency="CNY",
                         source_ref="c", rate_bp=None, created_at=at(2026, 5, 3, 23, 59))
    lines = [ledger.StatementLine(sale, "DM-1", "Blacklist", 90_00),
             ledger.StatementLine(refund, "DM-1", "Blacklist", 89_95),
             ledger.StatementLine(payout, None, None, 0)]

    assert ledger.statement_csv(lines) == (
        "\ufeffdate,kind,order,product,amount,currency,commission_rate,balance\r\n"
        "2026-05-01 09:05,sale,DM-1,Blacklist,90.00,CNY,12.50%,90.00\r\n"
        "2026-05-02 10:00,refund,DM-1,Blacklist,-0.05,CNY,10.00%,89.95\r\n"
        "2026-05-03 23:59,payout,,,-89.95,CNY,,0.00\r\n")


@pytest.mark.parametrize(("title", "cell"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-5", "-5"), ("+3.5", "+3.5"),  # numbers are left as they are
    ("Plain = fine", "Plain = fine"), ("", ""),
])
def test_the_statement_csv_neutralises_each_formula_start(title, cell):
    entry = LedgerEntry(organization_id=1, kind="sale", amount=1, source_ref="a", rate_bp=0,
                        created_at=at(2026, 1, 1))
    text = ledger.statement_csv([ledger.StatementLine(entry, "DM-1", title, 1)])
    _, row = csv.reader(io.StringIO(text, newline=""))
    assert row[3] == cell


def test_a_free_line_before_a_paid_one_is_skipped_not_the_end_of_the_split(db):
    order, (free, priced) = quick_order(db, quick_line("free", 0), quick_line("one_time", 100))

    ledger.split_payment(db, order, [free, priced], 100, "pi_mixed")
    ledger.reverse_refund(db, order, [free, priced], 1, "re_mixed")

    assert entry_rows(db, order) == [(priced.id, "merchant", "sale", 90, 1_000),
                                     (priced.id, "platform", "commission", 10, 1_000),
                                     (priced.id, "merchant", "refund", -1, 1_000),
                                     (priced.id, "platform", "commission_reversal", 0, 1_000)]


def test_a_refund_takes_the_rate_of_its_own_lines_sale_not_of_another(db):
    admin = quick_user(db)
    dear, cheap = make_organization(db), make_organization(db)
    ledger.set_rate(db, admin, 5_000, dear)
    first, first_lines = quick_order(db, quick_line("one_time", 100, organization=dear))
    ledger.split_payment(db, first, first_lines, 100, "pi_dear")
    order, lines = quick_order(db, quick_line("one_time", 100, organization=cheap))
    ledger.split_payment(db, order, lines, 100, "pi_cheap")  # at the default 10 %
    ledger.set_rate(db, admin, 3_000, cheap)

    ledger.reverse_refund(db, order, lines, 100, "re_cheap")

    assert entry_rows(db, order)[2:] == [(lines[0].id, "merchant", "refund", -90, 1_000),
                                         (lines[0].id, "platform", "commission_reversal", -10,
                                          1_000)]


def test_an_order_refund_after_a_line_refund_takes_only_what_each_line_still_holds(db):
    order, lines = quick_order(db, quick_line("one_time", 300), quick_line("one_time", 100))
    ledger.split_payment(db, order, lines, 400, "pi_1")
    ledger.reverse_refund(db, order, [lines[0]], 300, "re_line")  # a line's own refund
    assert ledger.unrefunded_by_line(db, order.id) == {lines[0].id: 0, lines[1].id: 100}

    ledger.reverse_refund(db, order, lines, 100, "re_rest")  # the rest of the order
    assert ledger.unrefunded_by_line(db, order.id) == {lines[0].id: 0, lines[1].id: 0}
    ledger.reverse_refund(db, order, lines, 100, "re_rest")  # reported again: nothing more
    assert ledger.unrefunded_by_line(db, order.id) == {lines[0].id: 0, lines[1].id: 0}
