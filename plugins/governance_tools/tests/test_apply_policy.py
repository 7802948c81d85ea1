"""Masking whole tables with field policies: checks up front, streaming, joins and leaks."""

import datetime as dt
import json
import random

import pytest
from pydantic import ValidationError
from stdnum.cn import ric

from datamarket_governance_tools.masking import FieldPolicy, MaskingError, apply_policy

KEY = b"product-key-0123456789abcdef"
OTHER_KEY = b"other-product-key-0123456789"
SURNAMES = ["王", "李", "张", "欧阳", "司马", "诸葛"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明"


def people(count: int, seed: int) -> list[dict[str, str]]:
    """Synthetic people with valid resident ID numbers (every 4th has the check digit X)."""
    rng = random.Random(seed)
    found: list[dict[str, str]] = []
    while len(found) < count:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        body = f"440305{birth:%Y%m%d}{rng.randrange(1000):03d}"
        check = ric.calc_check_digit(body + "0")
        if (check == "X") != (len(found) % 4 == 0):
            continue
        found.append({
            "id": body + check,
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
            "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        })
    return found


def policy(field: str, strategy: str, **params) -> FieldPolicy:
    return FieldPolicy(field=field, strategy=strategy, params=params)


def test_fields_without_a_policy_pass_through_and_input_rows_are_not_changed():
    rows = [{"name": "张三", "city": "深圳", "amount": 12.5}]

    masked = list(apply_policy(rows, [policy("name", "full_mask")], None))

    assert masked == [{"name": "**", "city": "深圳", "amount": 12.5}]
    assert rows == [{"name": "张三", "city": "深圳", "amount": 12.5}]


def test_rows_are_masked_one_at_a_time():
    pulled = []

    def rows():
        for number in range(1, 1001):
            pulled.append(number)
            yield {"n": str(number * 11)}

    masked = apply_policy(rows(), [policy("n", "truncate", length=1)], None)
    assert pulled == []
    assert [next(masked)["n"] for _ in range(2)] == ["1", "2"]
    assert pulled == [1, 2]


def test_an_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(ValidationError, match=r"unknown strategy 'hash' for field 'id'; choose "
                                              r"one of partial_mask, full_mask, pseudonymize"):
        policy("id", "hash")


@pytest.mark.parametrize("params, message", [
    ({"keep_frist": 2}, r"keep_frist: Extra inputs are not permitted\); it accepts: keep_first, "
                        r"keep_last, mask_char"),
    ({"keep_first": -1}, r"keep_first: Input should be greater than or equal to 0"),
    ({"key": "secret-in-params"}, r"key: Extra inputs are not permitted"),
])
def test_bad_params_name_the_parameter_and_the_accepted_ones(params, message):
    with pytest.raises(ValidationError, match=message):
        FieldPolicy(field="phone", strategy="partial_mask", params=params)


def test_policies_are_checked_before_any_row_is_read():
    def rows():
        raise AssertionError("no row should be read")
        yield {}

    with pytest.raises(MaskingError, match="field 'id' has two policies"):
        apply_policy(rows(), [policy("id", "nullify"), policy("id", "full_mask")], KEY)
    with pytest.raises(MaskingError, match="pseudonymize needs a key of at least 16 bytes"):
        apply_policy(rows(), [policy("id", "pseudonymize")], None)
    with pytest.raises(MaskingError, match="shift_date needs a key"):
        apply_policy(rows(), [policy("day", "shift_date")], b"too-short")


def test_strategies_without_a_key_need_none():
    masked = apply_policy([{"phone": "13800138000"}], [policy("phone", "partial_mask")], None)
    assert list(masked) == [{"phone": "138****8000"}]


def test_a_row_without_the_field_is_named():
    rows = [{"id": "1", "phone": "13800138000"}, {"id": "2", "mobile": "13900139000"}]
    with pytest.raises(MaskingError, match="row 2 has no field 'phone'; its fields are id, "
                                           "mobile"):
        list(apply_policy(rows, [policy("phone", "partial_mask")], None))


def test_a_value_the_strategy_cannot_read_is_named_by_row_and_field():
    rows = [{"birth": "1990-03-07"}, {"birth": "1990/3/7"}, {"birth": "someday"}]
    with pytest.raises(MaskingError, match="row 3, field 'birth': 'someday' is not a date"):
        list(apply_policy(rows, [policy("birth", "generalize_date")], None))


def test_date_shifts_follow_the_entity_read_before_it_is_masked():
    rows = [{"id": "A1", "visit": "2024-01-05"}, {"id": "B2", "visit": "2024-01-05"},
            {"id": "A1", "visit": "2024-03-01"}]
    policies = [policy("id", "pseudonymize"), policy("visit", "shift_date", entity_field="id")]

    masked = list(apply_policy(rows, policies, KEY))

    first, second = (dt.date.fromisoformat(masked[n]["visit"]) for n in (0, 2))
    assert (second - first).days == (dt.date(2024, 3, 1) - dt.date(2024, 1, 5)).days
    assert masked[0]["id"] == masked[2]["id"] != "A1"
    unshifted = list(apply_policy(rows, [policy("visit", "shift_date", entity_field="id")], KEY))
    assert [row["visit"] for row in unshifted] == [row["visit"] for row in masked]


def _join(left, right, key):
    return sorted((a["customer_no"], b["loan_no"]) for a in left for b in right
                  if a[key] == b[key])


def _tables(seed):
    persons = people(60, seed)
    customers = [{"customer_no": f"C{n}", **person} for n, person in enumerate(persons)]
    rng = random.Random(seed)
    loans = []
    for n in range(150):
        person = rng.choice(persons)
        # Some systems write the X of an ID in lower case; the join must survive it.
        spelling = person["id"].lower() if n % 3 == 0 else person["id"]
        # Amounts of at most two digits cannot happen to contain four digits of an ID.
        loans.append({"loan_no": f"L{n}", "id": spelling, "amount": str(rng.randrange(100))})
    return customers, loans


def test_pseudonymized_tables_join_exactly_as_the_originals_and_leak_nothing():
    customers, loans = _tables(seed=11)
    hide = [policy("id", "pseudonymize"), policy("name", "pseudonymize", prefix="N"),
            policy("phone", "pseudonymize", prefix="T")]

    masked_customers = list(apply_policy(customers, hide, KEY))
    masked_loans = list(apply_policy(loans, [policy("id", "pseudonymize")], KEY))

    original = sorted((c["customer_no"], loan["loan_no"]) for c in customers for loan in loans
                      if c["id"] == loan["id"].upper())
    assert original and _join(masked_customers, masked_loans, "id") == original
    assert len({row["id"] for row in masked_customers}) == len(customers)  # no collisions

    output = json.dumps([masked_customers, masked_loans], ensure_ascii=False)
    secrets = [person[field] for person in customers for field in ("id", "name", "phone")]
    for secret in secrets:
        for text in (secret, secret.lower()):
            pieces = {text[i:i + 4] for i in range(len(text) - 3)}
            assert not [piece for piece in pieces if piece in output], secret


def test_another_key_gives_tokens_that_share_nothing_with_the_first():
    customers, _loans = _tables(seed=12)
    tokens = {row["id"] for row in apply_policy(customers, [policy("id", "pseudonymize")], KEY)}
    others = {row["id"] for row in apply_policy(customers, [policy("id", "pseudonymize")],
                                                 OTHER_KEY)}
    assert len(tokens) == len(others) == len(customers) and not tokens & others
