"""The one rule per identifier kind: published examples, values as people type them, the reason
given for each failed check, and agreement with the independent generators of
:mod:`datamarket_sdk.synthetic`."""

import ast
import datetime
import random
from pathlib import Path

import pytest

from datamarket_sdk import identifiers, synthetic
from datamarket_sdk.identifiers import InvalidIdentifier

# GB 11643-1999's own example (北京市朝阳区, born 1949-12-31, a woman).
GB_11643_EXAMPLE = "11010519491231002X"


@pytest.mark.parametrize("kind, value, canonical", [
    ("resident_id", GB_11643_EXAMPLE, GB_11643_EXAMPLE),
    ("resident_id", " 11010519491231002x ", GB_11643_EXAMPLE),
    ("resident_id", "110105 19491231 002X", GB_11643_EXAMPLE),
    ("resident_id", "110105-19491231-002X", GB_11643_EXAMPLE),
    ("resident_id", "１１０１０５１９４９１２３１００２Ｘ", GB_11643_EXAMPLE),
    # 南山区 dates from 1990 and 浦东新区 from 1992; people born before hold their numbers.
    ("resident_id", "440305195007259449", "440305195007259449"),
    ("resident_id", "310115199010261903", "310115199010261903"),
    ("uscc", "91350100M000100Y43", "91350100M000100Y43"),
    ("uscc", "91350100m000100y43", "91350100M000100Y43"),
    ("organisation_code", "m000100y-4", "M000100Y4"),
    ("bank_card", "6205500000000000004", "6205500000000000004"),  # UnionPay, 19 digits
    ("bank_card", "6205 5000 0000 0000 004", "6205500000000000004"),
    ("bank_card", "620550 0000000000004", "6205500000000000004"),
    ("bank_card", "4242-4242-4242-4242", "4242424242424242"),
    ("mobile", "+86 138 0013 8000", "13800138000"),
    ("mobile", "(+86)13800138000", "13800138000"),
    ("mobile", "0086-138-0013-8000", "13800138000"),
    ("mobile", "１３８００１３８０００", "13800138000"),
    ("landline", "(010)6552 9988", "010-65529988"),
    ("landline", "（０７５５）８８８８１２３４", "0755-88881234"),
    ("landline", "+86 21 6432 1234", "021-64321234"),
    ("email", " Zhang.Wei@Example.COM ", "Zhang.Wei@example.com"),
    ("vehicle_plate", "粤b·d12345", "粤BD12345"),
    ("passport", "e12345678", "E12345678"),
])
def test_values_as_people_type_them(kind, value, canonical):
    assert identifiers.VALIDATORS[kind](value) == canonical


@pytest.mark.parametrize("kind, value, reason", [
    ("resident_id", "11010519491231002", "format"),
    ("resident_id", "110105194912310021", "check_character"),
    ("resident_id", "110105 19491231-002X", "format"),
    ("resident_id", synthetic.resident_id("110105", datetime.date(1899, 12, 31), 2),
     "birth_date"),
    ("resident_id", "110105194902300027", "check_character"),
    ("resident_id", synthetic.resident_id("990105", datetime.date(1949, 12, 31), 2), "division"),
    ("uscc", "91350100M000100Y4", "format"),
    ("uscc", "91350100M000100Y4O", "format"),
    ("uscc", "91350100M000100Y44", "check_character"),
    ("uscc", synthetic.credit_code("Y6", "350100", "M000100Y4"), "authority"),
    # A right final check character over an organisation code whose own check is wrong.
    ("uscc", synthetic.credit_code("91", "350100", "M000100Y5"), "organisation_code"),
    ("bank_card", "620550000000000000", "check_character"),
    ("bank_card", "1205500000000000004", "issuer"),
    ("bank_card", "4242 4242-4242 4242", "format"),
    ("mobile", "12800138000", "format"),
    ("landline", "65529988", "format"),
    ("email", "zhang..wei@example.com", "format"),
    ("vehicle_plate", "粤B1234O", "format"),
    ("passport", "E1234567", "format"),
])
def test_each_failed_check_names_its_reason(kind, value, reason):
    with pytest.raises(InvalidIdentifier) as raised:
        identifiers.VALIDATORS[kind](value)
    assert (raised.value.kind, raised.value.reason) == (kind, reason)
    assert not getattr(identifiers, f"is_{kind}")(value)


def test_the_birth_date_may_not_lie_after_today():
    number = synthetic.resident_id("110105", datetime.date(2030, 1, 1), 2)
    with pytest.raises(InvalidIdentifier, match="birth date"):
        identifiers.validate_resident_id(number)
    assert identifiers.validate_resident_id(number, today=datetime.date(2030, 1, 1)) == number


def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_count():
    for division in ("810000", "820000", "830000"):
        assert identifiers.is_resident_id(
            synthetic.resident_id(division, datetime.date(1988, 2, 29), 11))


def test_a_card_laid_out_as_an_id_number_is_not_a_card_but_a_unionpay_card_is():
    # A mistyped ID number with a 19th digit that happens to pass Luhn.
    mistyped = next(number for digit in "0123456789"
                    if identifiers.luhn_valid(number := GB_11643_EXAMPLE[:17] + "2" + digit))
    assert identifiers.has_identifier_layout(mistyped[:-1] + mistyped[-1])
    # 621226 is also the division code of 礼县 (Gansu); a UnionPay card that continues with
    # digits that are no birth date is still a card.
    card = synthetic.card_number("621226" + "199300000000")
    assert identifiers.is_bank_card(card)


@pytest.mark.parametrize("seed", range(3))
def test_the_generators_and_the_validators_agree(seed):
    rng = random.Random(seed)
    for _ in range(3000):
        born = datetime.date(1920, 1, 1) + datetime.timedelta(days=rng.randrange(30000))
        assert identifiers.is_resident_id(
            synthetic.resident_id(rng.choice(("110105", "440305", "650102")), born,
                                  rng.randrange(1000)))
        body = "".join(rng.choice(identifiers.USCC_ALPHABET[:-1]) for _ in range(8))
        organisation = synthetic.organisation_code(body)
        assert identifiers.is_organisation_code(organisation)
        assert identifiers.is_uscc(synthetic.credit_code(rng.choice(("91", "12", "Y1", "N2")),
                                                         "100000", organisation))
        card = synthetic.card_number("62" + "".join(rng.choice("0123456789")
                                                    for _ in range(rng.randrange(13, 17))))
        assert identifiers.luhn_valid(card)


def test_the_generators_share_no_code_with_the_validators():
    tree = ast.parse(Path(synthetic.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names}
    assert not {name for name in imported if "identifiers" in name or "stdnum" in name}


@pytest.mark.parametrize("call", [
    lambda: synthetic.resident_id("11010", datetime.date(1990, 1, 1), 1),
    lambda: synthetic.resident_id("110105", datetime.date(1990, 1, 1), 1000),
    lambda: synthetic.organisation_code("M00010"),
    lambda: synthetic.credit_code("9I", "110105", "M0001000Y"),
    lambda: synthetic.card_number("6205x"),
])
def test_the_generators_refuse_parts_that_cannot_make_an_identifier(call):
    with pytest.raises(ValueError):
        call()


def test_digits_of_other_scripts_are_not_digits():
    arabic_indic = GB_11643_EXAMPLE[:17].translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
    assert not identifiers.is_resident_id(arabic_indic + "X")
    assert not identifiers.is_mobile("١٣٨٠٠١٣٨٠٠٠")
